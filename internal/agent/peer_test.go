//go:build unix

package agent

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"locket/internal/agent/proto"
)

// dialEnv makes the test binary a bare client instead: it connects to the
// socket it names and asks for the status without any check of its own,
// printing "answered" or "refused".
const dialEnv = "LOCKET_AGENT_TEST_DIAL"

// listenEnv makes the test binary a squatter: it listens on the socket it
// names, says "listening", and holds it until its stdin closes.
const listenEnv = "LOCKET_AGENT_TEST_LISTEN"

func TestMain(m *testing.M) {
	if sock := os.Getenv(dialEnv); sock != "" {
		fmt.Println(rawStatus(sock))
		os.Exit(0)
	}
	if sock := os.Getenv(listenEnv); sock != "" {
		l, err := net.Listen("unix", sock)
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("listening")
		io.Copy(io.Discard, os.Stdin)
		l.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func rawStatus(sock string) string {
	c, err := net.Dial("unix", sock)
	if err != nil {
		return "cannot connect: " + err.Error()
	}
	defer c.Close()
	fmt.Fprintf(c, "GET %sstatus HTTP/1.1\r\nHost: locket\r\nConnection: close\r\n\r\n", proto.Prefix(proto.Version()))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
		return "refused"
	}
	return "answered"
}

// The agent refuses another uid even when the socket's mode and its
// directory's let it connect. CI runs as root and runs the client as
// nobody.
func TestOtherUserRefused(t *testing.T) {
	if os.Getuid() != 0 {
		if os.Getenv("LOCKET_E2E") == "1" {
			t.Fatal("LOCKET_E2E=1: this test must run as root to start a client as nobody")
		}
		t.Skip("needs root to run a client as another user")
	}
	f := start(t)
	for _, p := range []string{filepath.Dir(filepath.Dir(f.sock)), filepath.Dir(f.sock), f.sock} {
		if err := os.Chmod(p, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	exe := copyExecutable(t)
	run := func(cred *syscall.Credential) string {
		c := exec.Command(exe, "-test.run=^$")
		c.Env = append(os.Environ(), dialEnv+"="+f.sock)
		c.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		// The answer is stdout alone: a binary built with -cover warns on
		// stderr that it writes no coverage data (GOCOVERDIR), and as
		// nobody it could not write any.
		var stderr strings.Builder
		c.Stderr = &stderr
		out, err := c.Output()
		if err != nil {
			t.Fatalf("client: %v\n%s%s", err, out, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	if got := run(nil); got != "answered" {
		t.Fatalf("a client of the same uid: %s", got)
	}
	if got := run(&syscall.Credential{Uid: 65534, Gid: 65534}); got != "refused" {
		t.Fatalf("a client running as nobody: %s", got)
	}
	if !strings.Contains(f.log.String(), "refused a connection from uid 65534") {
		t.Errorf("the refusal is not in the log:\n%s", f.log.String())
	}
	if _, err := f.c.Status(ctx); err != nil {
		t.Fatalf("the agent after a refusal: %v", err)
	}
}

// copyExecutable copies the test binary where nobody can run it.
func copyExecutable(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "lktbin")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	in, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	exe := filepath.Join(dir, "agent.test")
	out, err := os.OpenFile(exe, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	// The vault sets a private umask for the whole process.
	if err := os.Chmod(exe, 0o755); err != nil {
		t.Fatal(err)
	}
	return exe
}
