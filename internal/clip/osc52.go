package clip

import (
	"io"
	"os"
	"sync"

	"github.com/aymanbagabas/go-osc52/v2"
)

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

// Terminal is the TUI's output with a lock around every write, so that
// an OSC 52 sequence written from a command never lands inside a frame.
// Bubble Tea v1.3 has no way to send raw escape sequences (tea.Printf
// prints nothing in the alternate screen, and text in View is drawn
// again on every repaint), but its renderer writes each frame with one
// Write call: giving the program a Terminal as its output
// (tea.WithOutput) and writing sequences through the same Terminal keeps
// them whole. It keeps the file's Fd, so the program still sees a
// terminal and gets its size.
type Terminal struct {
	mu sync.Mutex
	f  *os.File
}

// NewTerminal wraps the terminal f.
func NewTerminal(f *os.File) *Terminal { return &Terminal{f: f} }

// Write writes p whole, never interleaved with another write.
func (t *Terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.f.Write(p)
}

// Read reads from the terminal (Bubble Tea's term.File needs it).
func (t *Terminal) Read(p []byte) (int, error) { return t.f.Read(p) }

// Close does nothing: the caller owns the file.
func (t *Terminal) Close() error { return nil }

// Fd is the terminal's file descriptor.
func (t *Terminal) Fd() uintptr { return t.f.Fd() }

var _ io.ReadWriteCloser = (*Terminal)(nil)
