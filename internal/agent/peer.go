package agent

import (
	"context"
	"errors"
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

// peerListener accepts only connections from processes of this user
// (uid; on Windows, the SID of the client process's token). The socket's
// mode and its directory's (the pipe's security descriptor) already keep
// others out; this check holds even if they were opened up, as
// ssh-agent's does.
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
		p, err := checkClient(c, l.uid)
		if err != nil {
			l.log.Printf("refused a connection %v", err)
			c.Close()
			continue
		}
		l.accepted.Add(1)
		return &peerConn{Conn: c, peer: p}, nil
	}
}
