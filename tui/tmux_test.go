package tui

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"locket/internal/e2e"
)

// TestTmuxRealTerminal runs the built binary in a real terminal under
// tmux: unlock, filter, open, reveal, quit. Without tmux it skips, unless
// LOCKET_E2E=1, when it fails.
func TestTmuxRealTerminal(t *testing.T) {
	t.Parallel()
	e2e.NeedTools(t, "tmux")
	if testing.Short() {
		t.Skip("builds the binary")
	}
	tmp := t.TempDir()
	bin := e2e.Build(t)
	dir := filepath.Join(tmp, "vault")
	seededVaultAt(t, dir, time.Now()) // the binary runs on the real clock

	tmux := e2e.NewTmux(t, e2e.Env())
	// Without a display the copy must fail with a clear line, not a value.
	script := fmt.Sprintf("env -u NO_COLOR -u DISPLAY -u WAYLAND_DISPLAY LOCKET_VAULT=%s TERM=xterm-256color %s; echo EXITED $?; sleep 30", dir, bin)
	p := tmux.Start("e2e", script)

	p.Wait("Unlock vault")
	p.Keys("-l", testPass)
	if strings.Contains(p.Screen(), testPass) {
		t.Fatal("the passphrase is echoed")
	}
	p.Keys("Enter")
	p.Wait("37 secrets", "prod/db/password")
	p.Keys("/")
	p.Keys("-l", "pdbpass")
	p.Wait("/ pdbpass", "of 37 secrets")
	p.Keys("Enter", "Enter")
	s := p.Wait("status", "stale", "space reveals")
	if !strings.Contains(s, "prod/db/password") {
		t.Fatalf("the detail does not show prod/db/password:\n%s", s)
	}
	p.Keys("Space")
	p.Wait("space hides")
	p.Keys("Escape")
	p.Wait("space reveals")
	p.Keys("c")
	p.Wait("locket: clipboard unavailable")
	if colour := p.Colour(); !strings.Contains(colour, "\x1b[38;") {
		t.Errorf("no colour on a colour terminal:\n%q", colour)
	}
	p.Keys("q")
	s = p.Wait("EXITED 0")
	if strings.Contains(s, "space reveals") {
		t.Errorf("the UI was left on the screen after quitting:\n%s", s)
	}

	// Under NO_COLOR the screen has no colour and the status words stay.
	script = fmt.Sprintf("env NO_COLOR=1 LOCKET_VAULT=%s TERM=xterm-256color %s; echo EXITED $?; sleep 30", dir, bin)
	p = tmux.Start("e2e-nocolor", script)
	p.Wait("Unlock vault")
	p.Keys("-l", testPass)
	p.Keys("Enter")
	p.Wait("37 secrets", "stale", "due", "disabled", "snoozed")
	if plain := p.Colour(); strings.Contains(plain, "\x1b[38;") || strings.Contains(plain, "\x1b[48;") {
		t.Errorf("colour under NO_COLOR:\n%q", plain)
	}
	p.Keys("q")
	p.Wait("EXITED 0")
}
