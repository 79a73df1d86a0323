package agent

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// ErrPeer: the process at the other end of the socket is another user's.
var ErrPeer = errors.New("agent socket peer is another user")

// Peer is the client process of a connection, as the kernel reports it.
type Peer struct {
	UID, PID int
}

// Command is the client's command line from /proc, sanitised and cut
// short, for the audit log: which program asked for a value. It is empty
// where /proc has none (macOS) or the process is gone.
func (p Peer) Command() string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/cmdline")
	if err != nil {
		return ""
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	s := strings.Join(args, " ")
	// Control characters would reach a terminal through `locket audit`.
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
	const max = 256
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

type peerKey struct{}

// PeerFrom returns the peer of the connection a request came on.
func PeerFrom(ctx context.Context) (Peer, bool) {
	p, ok := ctx.Value(peerKey{}).(Peer)
	return p, ok
}

// peerConn is an accepted connection from this user.
type peerConn struct {
	net.Conn
	peer Peer
}

// peerListener accepts only connections from processes of this uid. The
// socket's mode and its directory's already keep others out; this check
// holds even if they were opened up, as ssh-agent's does.
type peerListener struct {
	net.Listener
	uid      int
	log      *log.Logger
	accepted atomic.Int64
}

func (l *peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		uc, ok := c.(*net.UnixConn)
		if !ok {
			c.Close()
			return nil, fmt.Errorf("agent: not a unix connection")
		}
		uid, pid, err := peerOf(uc)
		if err != nil {
			l.log.Printf("refused a connection: peer credentials: %v", err)
			c.Close()
			continue
		}
		if uid != l.uid {
			l.log.Printf("refused a connection from uid %d (pid %d)", uid, pid)
			c.Close()
			continue
		}
		l.accepted.Add(1)
		return &peerConn{Conn: c, peer: Peer{UID: uid, PID: pid}}, nil
	}
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
