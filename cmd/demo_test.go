//go:build unix

package cmd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"locket/internal/e2e"
)

// TestDemoCleanup runs `locket demo` in a real terminal (tmux) and ends it
// with each signal a closed terminal, ctrl+c from outside or kill sends,
// once the UI is up: the demo vault must go every time (issue 12, bug 5).
// A demo directory of a dead process is removed when a demo starts; one
// of a live process is left alone.
func TestDemoCleanup(t *testing.T) {
	t.Parallel()
	e2e.NeedTools(t, "tmux")
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := e2e.Build(t)
	tmp := t.TempDir()
	done := exec.Command("true")
	if err := done.Run(); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(tmp, fmt.Sprintf("%s%d-old", demoPrefix, done.Process.Pid))
	live := filepath.Join(tmp, fmt.Sprintf("%s%d-mine", demoPrefix, os.Getpid()))
	for _, d := range []string{stale, live} {
		if err := os.MkdirAll(filepath.Join(d, "vault"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			tmux := e2e.NewTmux(t, e2e.Env("TMPDIR="+tmp))
			p := tmux.Start("demo", fmt.Sprintf("TERM=xterm-256color %s demo; echo EXITED $?; sleep 30", bin))
			p.Wait("Unlock vault", "the passphrase is")
			if _, err := os.Stat(stale); !os.IsNotExist(err) {
				t.Errorf("the stale demo directory of a dead process is still there: %v", err)
			}
			demos := dirsOf(t, tmp)
			if len(demos) != 2 || !slices.Contains(demos, filepath.Base(live)) {
				t.Fatalf("demo directories while running: %v; want the live one and the new one", demos)
			}
			pids := e2e.Processes(t, bin, "TMPDIR="+tmp, "demo")
			if len(pids) != 1 {
				t.Fatalf("demo processes: %v", pids)
			}
			if err := syscall.Kill(pids[0], sig); err != nil {
				t.Fatal(err)
			}
			p.Wait(fmt.Sprintf("EXITED %d", 128+int(sig)))
			if got := dirsOf(t, tmp); !slices.Equal(got, []string{filepath.Base(live)}) {
				t.Errorf("after %s: %v left behind; want only the live process's", sig, got)
			}
		})
	}
}

func dirsOf(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if strings.HasPrefix(e.Name(), demoPrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}
