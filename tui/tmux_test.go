package tui

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTmuxRealTerminal runs the built binary in a real terminal under
// tmux: unlock, filter, open, reveal, quit. Without tmux it skips, unless
// LOCKET_E2E=1, when it fails.
func TestTmuxRealTerminal(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("LOCKET_E2E") == "1" {
			t.Fatal("LOCKET_E2E=1 but tmux is not installed")
		}
		t.Skip("tmux is not installed")
	}
	if testing.Short() {
		t.Skip("builds the binary")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "locket")
	build := exec.Command("go", "build", "-o", bin, "locket")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dir := filepath.Join(tmp, "vault")
	seededVaultAt(t, dir, time.Now()) // the binary runs on the real clock

	// A private tmux server, so that nothing else is touched.
	sock := fmt.Sprintf("locket-e2e-%d", os.Getpid())
	tmux := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("tmux", append([]string{"-L", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-L", sock, "kill-server").Run() })
	// Without a display the copy must fail with a clear line, not a value.
	script := fmt.Sprintf("env -u NO_COLOR -u DISPLAY -u WAYLAND_DISPLAY LOCKET_VAULT=%s TERM=xterm-256color %s; echo EXITED $?; sleep 30", dir, bin)
	target := "e2e"
	tmux("new-session", "-d", "-s", target, "-x", "100", "-y", "30", script)

	screen := func() string { return tmux("capture-pane", "-p", "-t", target) }
	wait := func(texts ...string) string {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			s := screen()
			ok := true
			for _, want := range texts {
				ok = ok && strings.Contains(s, want)
			}
			if ok {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("screen never showed %q:\n%s", texts, s)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	keys := func(k ...string) { tmux(append([]string{"send-keys", "-t", target}, k...)...) }

	wait("Unlock vault")
	keys("-l", testPass)
	if strings.Contains(screen(), testPass) {
		t.Fatal("the passphrase is echoed")
	}
	keys("Enter")
	wait("37 secrets", "prod/db/password")
	keys("/")
	keys("-l", "pdbpass")
	wait("/ pdbpass", "of 37 secrets")
	keys("Enter", "Enter")
	s := wait("status", "stale", "space reveals")
	if !strings.Contains(s, "prod/db/password") {
		t.Fatalf("the detail does not show prod/db/password:\n%s", s)
	}
	keys("Space")
	wait("space hides")
	keys("Escape")
	wait("space reveals")
	keys("c")
	wait("locket: clipboard unavailable")
	colour := tmux("capture-pane", "-e", "-p", "-t", target)
	if !strings.Contains(colour, "\x1b[38;") {
		t.Errorf("no colour on a colour terminal:\n%q", colour)
	}
	keys("q")
	s = wait("EXITED 0")
	if strings.Contains(s, "space reveals") {
		t.Errorf("the UI was left on the screen after quitting:\n%s", s)
	}

	// Under NO_COLOR the screen has no colour and the status words stay.
	target = "e2e-nocolor"
	script = fmt.Sprintf("env NO_COLOR=1 LOCKET_VAULT=%s TERM=xterm-256color %s; echo EXITED $?; sleep 30", dir, bin)
	tmux("new-session", "-d", "-s", target, "-x", "100", "-y", "30", script)
	wait("Unlock vault")
	keys("-l", testPass)
	keys("Enter")
	wait("37 secrets", "stale", "due", "disabled", "snoozed")
	plain := tmux("capture-pane", "-e", "-p", "-t", target)
	if strings.Contains(plain, "\x1b[38;") || strings.Contains(plain, "\x1b[48;") {
		t.Errorf("colour under NO_COLOR:\n%q", plain)
	}
	keys("q")
	wait("EXITED 0")
}
