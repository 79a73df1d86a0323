package clip

import "github.com/aymanbagabas/go-osc52/v2"

// OSC52 returns the escape sequence that asks the terminal to put value on
// the clipboard of the machine the terminal runs on, which is how a copy
// reaches the user's desktop over SSH. Write it to the terminal only when
// the vault setting clipboard-osc52 is on. Inside tmux it needs
// `set -g set-clipboard on`.
//
// A terminal's clipboard cannot be read back, so an OSC 52 copy cannot be
// checked before it is cleared: the TUI sends OSC52Clear unconditionally
// after the delay while it runs, and `locket copy` cannot clear it at all.
func OSC52(value []byte) string {
	return osc52.New(string(value)).String()
}

// OSC52Clear returns the escape sequence that empties the terminal's
// clipboard.
func OSC52Clear() string {
	return osc52.Clear().String()
}
