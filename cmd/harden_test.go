//go:build unix

package cmd

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"locket/internal/e2e"
)

// TestNoCoreDump aborts a running locket with SIGABRT under
// GOTRACEBACK=crash, which makes the Go runtime dump core, with core
// files allowed by the parent's limit: locket leaves none.
func TestNoCoreDump(t *testing.T) {
	// Not parallel: it raises this process's core limit, which every
	// child inherits, and puts it back at the end.
	if testing.Short() && os.Getenv("LOCKET_E2E") != "1" {
		t.Skip("builds the binary")
	}
	bin := e2e.Build(t)
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("core test passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vaultEnv := "LOCKET_VAULT=" + filepath.Join(dir, "vault")
	init := exec.Command(bin, "init", "--kdf-memory", "64MiB")
	init.Env = e2e.Env(vaultEnv, "LOCKET_PASSPHRASE_FILE="+pass, "XDG_STATE_HOME="+dir)
	if out, err := init.CombinedOutput(); err != nil {
		t.Fatalf("init: %v: %s", err, out)
	}
	// Allow core files, so that only locket's own hardening prevents one.
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_CORE, &lim); err != nil {
		t.Fatal(err)
	}
	old := lim
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_CORE, &lim); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_CORE, &old)

	// The passphrase command says when locket is running, then waits.
	c := exec.Command(bin, "get", "anything")
	c.Dir = dir
	c.Env = e2e.Env(vaultEnv, "XDG_STATE_HOME="+dir, "GOTRACEBACK=crash",
		"LOCKET_PASSPHRASE_COMMAND=echo ready >&2; exec sleep 600")
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(-c.Process.Pid, syscall.SIGKILL) // the sleep
	lines := bufio.NewScanner(stderr)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("locket did not start: %q", lines.Text())
	}
	if err := c.Process.Signal(syscall.SIGABRT); err != nil {
		t.Fatal(err)
	}
	// The runtime's traceback: drained, or a full pipe would stall the
	// crash. The sleep holds the pipe open until the deferred kill.
	go io.Copy(io.Discard, stderr)
	c.Wait()
	ws := c.ProcessState.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGABRT {
		t.Fatalf("locket ended with %v, not killed by SIGABRT", c.ProcessState)
	}
	if ws.CoreDump() {
		t.Error("locket dumped core")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "core") {
			t.Errorf("a core file was left: %s", e.Name())
		}
	}
}
