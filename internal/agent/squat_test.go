//go:build unix

package agent

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Without XDG_RUNTIME_DIR, another user can create $TMPDIR/locket-<uid>
// first. Whether they listen in it or not, the error names the directory,
// its owner and the way out. CI runs as root and squats as nobody.
func TestSquattedDirectory(t *testing.T) {
	if os.Getuid() != 0 {
		if os.Getenv("LOCKET_E2E") == "1" {
			t.Fatal("LOCKET_E2E=1: this test must run as root to squat as nobody")
		}
		t.Skip("needs root to create a directory as another user")
	}
	base, err := os.MkdirTemp("", "lksq")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0o755)
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv(SocketEnv, "")
	t.Setenv("TMPDIR", base)
	sock, err := SocketPath(newVaultDir(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(sock)
	if dir != filepath.Join(base, "locket-0") {
		t.Fatalf("socket directory %s", dir)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	wantAll := func(what string, err error, sentinel error) {
		t.Helper()
		if !errors.Is(err, sentinel) {
			t.Fatalf("%s: %v, want %v", what, err, sentinel)
		}
		for _, want := range []string{dir, "uid 65534", "set XDG_RUNTIME_DIR", "remove " + dir} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q does not say %q", what, err, want)
			}
		}
	}
	// An agent refuses to listen there.
	_, err = NewServer(Config{Dir: base, Socket: sock})
	wantAll("agent in a squatted directory", err, ErrUnsafeDir)

	// A client refuses the squatter's socket.
	exe := copyExecutable(t)
	c := exec.Command(exe, "-test.run=^$")
	c.Env = append(os.Environ(), listenEnv+"="+sock)
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	stdin, err := c.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); c.Wait() })
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); strings.TrimSpace(line) != "listening" {
		t.Fatalf("squatter: %q", line)
	}
	_, err = NewClient(sock).Status(ctx)
	wantAll("client of a squatted socket", err, ErrPeer)
}
