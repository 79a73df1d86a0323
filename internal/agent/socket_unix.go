//go:build unix

package agent

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// socketFor is the socket of the agent whose vault hashes to name.
func socketFor(name string) (string, error) {
	name += ".sock"
	base := os.Getenv("XDG_RUNTIME_DIR")
	if base == "" || !filepath.IsAbs(base) {
		base = filepath.Join(os.TempDir(), "locket-"+strconv.Itoa(os.Getuid()))
		return filepath.Join(base, name), nil
	}
	return filepath.Join(base, "locket", name), nil
}

func logPath(socket string) string {
	return strings.TrimSuffix(socket, ".sock") + ".log"
}

// dial connects to the agent at socket.
func dial(ctx context.Context, socket string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "unix", socket)
}

// detach starts the agent in a session of its own, so that it outlives
// the terminal, with nothing of ours inherited.
func detach(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	inheritNothing()
}

// inheritNothing marks every descriptor above stderr close-on-exec. The
// agent outlives whoever started it: a descriptor that process inherited
// without the flag (a terminal, the write end of a $(...) pipe) would stay
// open in the agent and keep its reader waiting for an end that never
// comes. Go sets the flag on what it opens itself; this covers the rest.
func inheritNothing() {
	dir := "/proc/self/fd"
	if _, err := os.Stat(dir); err != nil {
		dir = "/dev/fd"
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}

// privateDir creates dir with mode 0700 if needed and checks that it is
// this user's and that nobody else may enter it: a socket in a directory
// others can write to could be swapped for theirs.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create agent socket directory: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("%w: %s is not a directory", ErrUnsafeDir, dir)
	case !ok || int(st.Uid) != os.Getuid():
		owner, _ := ownerOf(dir)
		if owner == "" {
			owner = "another user"
		}
		return fmt.Errorf("%w: %s belongs to %s: %s", ErrUnsafeDir, dir, owner, wayOut(dir))
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("%w: %s has mode %04o; want 0700", ErrUnsafeDir, dir, fi.Mode().Perm())
	}
	return nil
}

// listen binds the socket at path with mode 0600. A socket file left by a
// killed agent (nobody accepts on it) is replaced; a live agent's never is.
func listen(path string) (net.Listener, error) {
	if err := privateDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	if alive(path) {
		return nil, fmt.Errorf("%w (%s)", ErrRunning, path)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale agent socket: %w", err)
		}
	}
	// The umask makes the socket 0600 from its creation, so there is no
	// moment at which another user could connect.
	old := syscall.Umask(0o177)
	l, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, err
	}
	// Close must not remove a socket that a newer agent has bound since.
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	return l, nil
}

// alive reports whether something accepts connections at path.
func alive(path string) bool {
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
