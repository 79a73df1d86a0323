package agent

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ReadyLine is what `locket agent run` writes on stdout once it listens:
// a starter waits for it rather than for a fixed time.
const ReadyLine = "locket agent ready"

// secretEnv are the variables that may carry the passphrase: an agent's
// environment never holds them (security invariant 10), whoever started it.
var secretEnv = []string{"LOCKET_PASSPHRASE", "LOCKET_PASSPHRASE_FILE", "LOCKET_PASSPHRASE_COMMAND", "LOCKET_BACKUP_PASSPHRASE_FILE"}

// Env is environ without the variables that may carry a passphrase.
func Env(environ []string) []string {
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		secret := false
		for _, s := range secretEnv {
			secret = secret || name == s
		}
		if !secret {
			out = append(out, kv)
		}
	}
	return out
}

// Start runs `exe agent run --vault dir` as a detached process in its own
// session, so that it outlives the terminal, and returns once it listens
// on socket. Its log goes to the file beside the socket. If another
// process started an agent meanwhile, that one is used.
func Start(ctx context.Context, exe, dir, socket string) error {
	if err := privateDir(filepath.Dir(LogPath(socket))); err != nil {
		return err
	}
	logf, err := os.OpenFile(LogPath(socket), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("agent log: %w", err)
	}
	defer logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	c := exec.Command(exe, "agent", "run", "--vault", dir)
	c.Env = append(Env(os.Environ()), SocketEnv+"="+socket)
	c.Stdout, c.Stderr = w, logf
	c.Dir = "/"
	detach(c)
	err = c.Start()
	w.Close()
	if err != nil {
		return fmt.Errorf("start agent: %w", err)
	}
	// Reaped in the background: the agent normally outlives us.
	go c.Wait()
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		ready <- strings.TrimSpace(line) == ReadyLine
	}()
	select {
	case ok := <-ready:
		if ok || alive(socket) {
			return nil
		}
		return fmt.Errorf("the agent did not start; see %s", LogPath(socket))
	case <-ctx.Done():
		c.Process.Kill()
		return fmt.Errorf("start agent: %w", ctx.Err())
	}
}

// LogPath is the agent's log file: beside its socket, in the private
// directory (on Windows, where the socket is a named pipe, in
// %LocalAppData%\locket\agent). It holds requests' method names and
// outcomes, never a name or a value.
func LogPath(socket string) string { return logPath(socket) }
