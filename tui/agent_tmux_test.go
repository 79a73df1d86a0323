package tui

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"locket/internal/e2e"
)

// TestTmuxAgent runs the TUI in a real terminal while commands run from
// another shell: the TUI's unlock starts and unlocks the agent, the
// commands use it (no passphrase, no exit 5), the TUI shows what they
// write within a moment, and ctrl+l locks the agent for everyone.
func TestTmuxAgent(t *testing.T) {
	t.Parallel()
	e2e.NeedTools(t, "tmux")
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := filepath.Join(t.TempDir(), "vault")
	seededVaultAt(t, dir, time.Now())
	bin, env := agentEnv(t, dir)
	locket := func(stdin string, args ...string) (string, int) {
		t.Helper()
		c := exec.Command(bin, args...)
		c.Env = env
		c.Stdin = strings.NewReader(stdin)
		out, err := c.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}

	tmux := e2e.NewTmux(t, env)
	p := tmux.Start("agent", fmt.Sprintf("%s; echo EXITED $?; sleep 30", bin))
	p.Wait("Unlock vault")
	p.Keys("-l", testPass)
	p.Keys("Enter")
	p.Wait("37 secrets")

	// Another shell, no passphrase: the agent serves it.
	if out, code := locket("from-the-cli", "set", "aaa/new-from-cli"); code != 0 {
		t.Fatalf("set while the TUI is open: exit %d: %s", code, out)
	}
	p.Wait("38 secrets")
	p.Keys("/")
	p.Keys("-l", "newfromcli")
	p.Wait("aaa/new-from-cli")
	p.Keys("Escape")
	if out, code := locket("", "get", "aaa/new-from-cli"); code != 0 || out != "from-the-cli" {
		t.Fatalf("get while the TUI is open: exit %d: %q", code, out)
	}
	if out, code := locket("", "rm", "aaa/new-from-cli"); code != 0 {
		t.Fatalf("rm while the TUI is open: exit %d: %s", code, out)
	}
	p.Wait("37 secrets")

	// A second TUI opens straight on the list.
	p2 := tmux.Start("agent2", fmt.Sprintf("%s; echo EXITED $?; sleep 30", bin))
	p2.Wait("37 secrets")

	// ctrl+l locks the agent: every client is locked out.
	p.Keys("C-l")
	p.Wait("Unlock vault")
	p2.Wait("Unlock vault")
	if out, code := locket("", "get", "prod/db/password"); code != 4 {
		t.Fatalf("get after ctrl+l: exit %d: %s", code, out)
	}
	// `locket unlock` in another shell unlocks both lock screens.
	passFile := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(passFile, []byte(testPass), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := locket("", "unlock", "--passphrase-file", passFile); code != 0 {
		t.Fatalf("unlock from another shell: exit %d: %s", code, out)
	}
	p.Wait("37 secrets")
	p2.Wait("37 secrets")
	p.Keys("C-c")
	p.Wait("EXITED 0")
	p2.Keys("C-c")
	p2.Wait("EXITED 0")
	locket("", "agent", "stop")
}

// TestTmuxAgentFirstRun: with no vault yet, the TUI creates one and hands
// it to the agent, so that from the first run a command in another shell
// shares the vault instead of finding it busy.
func TestTmuxAgentFirstRun(t *testing.T) {
	e2e.NeedTools(t, "tmux")
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin, env := agentEnv(t, filepath.Join(t.TempDir(), "vault"))

	tmux := e2e.NewTmux(t, env)
	p := tmux.Start("first", fmt.Sprintf("%s; echo EXITED $?; sleep 30", bin))
	p.Wait("Create a new vault")
	const pass = "a long first-run passphrase 7"
	p.Keys("-l", pass)
	p.Keys("Tab")
	p.Keys("-l", pass)
	p.Keys("Enter")
	p.Wait("0 secrets")

	set := exec.Command(bin, "set", "first/from-cli")
	set.Env = env
	set.Stdin = strings.NewReader("v")
	if out, err := set.CombinedOutput(); err != nil {
		t.Fatalf("set beside a first-run TUI: %v: %s", err, out)
	}
	p.Wait("1 secret")
	p.Keys("C-c")
	p.Wait("EXITED 0")
	stop := exec.Command(bin, "agent", "stop")
	stop.Env = env
	stop.Run()
}

// agentEnv returns the built binary and an environment for the vault at
// dir with the agent on, in a runtime directory of the test's own: its
// agents are the ones started with it, killed when the test ends. The
// directory is short, under the system's temporary directory, since a
// socket's path is limited to about 100 bytes.
func agentEnv(t *testing.T, dir string) (bin string, env []string) {
	t.Helper()
	bin = e2e.Build(t)
	runtime, err := os.MkdirTemp("", "lkrt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(runtime) })
	e2e.KillAtEnd(t, bin, "XDG_RUNTIME_DIR="+runtime, "agent", "run")
	return bin, e2e.Env("LOCKET_VAULT="+dir, "XDG_RUNTIME_DIR="+runtime, "LOCKET_AGENT=on", "TERM=xterm-256color")
}
