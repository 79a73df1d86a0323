//go:build unix

package agent

import (
	"fmt"
	"net"
	"os"
)

// checkClient returns the peer of an accepted connection, or an error if
// it is not a process of uid. The error completes "refused a connection".
func checkClient(c net.Conn, uid int) (Peer, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Peer{}, fmt.Errorf("that is not a unix connection")
	}
	puid, pid, err := peerOf(uc)
	if err != nil {
		return Peer{}, fmt.Errorf("whose peer credentials cannot be read: %w", err)
	}
	if puid != uid {
		return Peer{}, fmt.Errorf("from uid %d (pid %d): %w", puid, pid, ErrPeer)
	}
	return Peer{UID: puid, PID: pid}, nil
}

// checkServer verifies that the agent at the other end of a client's
// connection runs as this user, so that a socket planted by someone else
// never receives a passphrase.
func checkServer(c net.Conn) error {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil
	}
	uid, _, err := peerOf(uc)
	if err != nil {
		return fmt.Errorf("agent peer credentials: %w", err)
	}
	if uid != os.Getuid() {
		return fmt.Errorf("%w: uid %d", ErrPeer, uid)
	}
	return nil
}
