package agent

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"locket/internal/agent/proto"
)

// The agent's limits on its clients (docs/agent-protocol.md, "Limits").
const (
	// maxConns caps the connections open at once. Past it a connection is
	// answered 503 with a busy error and closed, rather than held until
	// the agent runs out of file descriptors.
	maxConns = 256
	// idleTimeout closes a keep-alive connection that sends no request.
	idleTimeout = 2 * time.Minute
	// headerTimeout bounds the reading of a request's header.
	headerTimeout = 30 * time.Second
	// maxBody bounds a call's request body: the largest is a Put of a
	// 64 KiB value, 87 KiB in base64, with its tags.
	maxBody = 1 << 20
	// importStall cancels an import whose client sends nothing for this
	// long.
	importStall = time.Minute
)

// capListener refuses connections past max with a clear answer.
type capListener struct {
	net.Listener
	max  int64
	open atomic.Int64
	log  func(format string, args ...any)
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.max {
			l.open.Add(-1)
			l.log("refused a connection: %d open", l.max)
			go refuse(c, l.max)
			continue
		}
		return &countedConn{Conn: c, l: l}, nil
	}
}

// refuse answers a connection over the cap with 503 and a busy error, so
// that the client says why instead of hanging.
func refuse(c net.Conn, max int64) {
	defer c.Close()
	body, _ := json.Marshal(proto.ErrorBody{Protocol: proto.Version(), Error: proto.Error{
		Code:    proto.CodeBusy,
		Message: fmt.Sprintf("the agent has %d connections open, its limit; try again when fewer clients run", max),
	}})
	c.SetDeadline(time.Now().Add(time.Second))
	fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: %s\r\n\r\n%s",
		http.StatusServiceUnavailable, http.StatusText(http.StatusServiceUnavailable), strconv.Itoa(len(body)), body)
}

// countedConn gives its place back when it closes.
type countedConn struct {
	net.Conn
	l    *capListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

// peerOfConn finds the peerConn under the cap's wrapper.
func peerOfConn(c net.Conn) (*peerConn, bool) {
	if cc, ok := c.(*countedConn); ok {
		c = cc.Conn
	}
	pc, ok := c.(*peerConn)
	return pc, ok
}
