package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// SocketEnv overrides the socket path: for a vault whose agent runs
// elsewhere (ssh -R forwarding), or for tests.
const SocketEnv = "LOCKET_AGENT_SOCK"

// ErrUnsafeDir: the socket directory is not private to this user.
var ErrUnsafeDir = errors.New("agent socket directory is not private")

// SocketPath is where the agent of the vault in dir listens:
// $LOCKET_AGENT_SOCK, else $XDG_RUNTIME_DIR/locket/<hash>.sock, else a
// private directory of this user's under the temp dir. The hash is of the
// vault's absolute directory, so each vault has its own agent and two
// spellings of one directory find the same one.
func SocketPath(vaultDir string) (string, error) {
	if p := os.Getenv(SocketEnv); p != "" {
		return p, nil
	}
	abs, err := filepath.Abs(vaultDir)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	sum := sha256.Sum256([]byte(abs))
	// 16 bytes of hash keep the path well under the 108-byte limit of a
	// socket address.
	name := hex.EncodeToString(sum[:16]) + ".sock"
	base := os.Getenv("XDG_RUNTIME_DIR")
	if base == "" || !filepath.IsAbs(base) {
		base = filepath.Join(os.TempDir(), "locket-"+strconv.Itoa(os.Getuid()))
		return filepath.Join(base, name), nil
	}
	return filepath.Join(base, "locket", name), nil
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

// ErrRunning: a live agent already answers on the socket.
var ErrRunning = errors.New("an agent is already running for this vault")

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
