//go:build unix

package agent

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// Without XDG_RUNTIME_DIR the socket directory is $TMPDIR/locket-<uid>,
// which anyone can create first. The agent never uses such a directory
// and a client never talks to its socket (privateDir, checkServer); these
// errors say whose it is and how to get out.

// ownerOf names the user who owns path ("nobody (uid 65534)"), or "" when
// it cannot be read or is this user's.
func ownerOf(path string) (string, bool) {
	fi, err := os.Lstat(path)
	if err != nil {
		return "", false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == os.Getuid() {
		return "", false
	}
	uid := strconv.Itoa(int(st.Uid))
	if u, err := user.LookupId(uid); err == nil {
		return fmt.Sprintf("%s (uid %s)", u.Username, uid), true
	}
	return "uid " + uid, true
}

// wayOut is the hint for a socket directory that is not this user's.
func wayOut(dir string) string {
	return fmt.Sprintf("set XDG_RUNTIME_DIR to a private directory of yours, or remove %s", dir)
}

// squatted explains a client's refusal of the agent at socket (ErrPeer):
// the directory or the socket belongs to another user.
func squatted(socket string, err error) error {
	if !errors.Is(err, ErrPeer) {
		return err
	}
	dir := filepath.Dir(socket)
	if owner, ok := ownerOf(dir); ok {
		return fmt.Errorf("%w; the agent socket directory %s belongs to %s: %s", err, dir, owner, wayOut(dir))
	}
	if owner, ok := ownerOf(socket); ok {
		return fmt.Errorf("%w; the agent socket %s belongs to %s: remove it, or %s", err, socket, owner, wayOut(dir))
	}
	return fmt.Errorf("%w; at %s: %s", err, socket, wayOut(dir))
}
