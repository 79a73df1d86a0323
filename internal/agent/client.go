package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"locket/internal/agent/proto"
	"locket/vault"
)

// ErrNoAgent: nothing answers on the vault's agent socket.
var ErrNoAgent = errors.New("no agent is running for this vault")

// Client talks to the agent on one socket. It implements vault.Service,
// so the CLI and the TUI use an agent's vault exactly as a local one. It
// is safe for concurrent use.
type Client struct {
	socket string
	http   *http.Client
	closed atomic.Bool
	// protocol is the version spoken (proto.Version(); tests speak others).
	protocol int
	// timeout, when set, replaces every call's timeout (tests).
	timeout time.Duration
}

var _ vault.Service = (*Client)(nil)

// NewClient returns a client of the agent at socket. It connects on its
// first request.
func NewClient(socket string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			c, err := dial(ctx, socket)
			if err != nil {
				return nil, fmt.Errorf("%w (%v)", ErrNoAgent, err)
			}
			if err := checkServer(c); err != nil {
				c.Close()
				return nil, squatted(socket, err)
			}
			return c, nil
		},
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	return &Client{socket: socket, http: &http.Client{Transport: tr}, protocol: proto.Version()}
}

// The client's timeouts: every call has one, so that an agent that
// hangs gives a clear error rather than a hung command.
const (
	// controlTimeout bounds status, lock and stop.
	controlTimeout = 30 * time.Second
	// unlockTimeout bounds unlock, whose Argon2id may be costly.
	unlockTimeout = 5 * time.Minute
	// callTimeout bounds a vault call; Verify and Rekey of a large vault
	// are the slowest.
	callTimeout = 10 * time.Minute
)

// ErrTimeout: the agent did not answer in time.
var ErrTimeout = errors.New("the agent did not answer in time")

// timeoutError names the call that timed out.
type timeoutError struct {
	what string
	d    time.Duration
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("agent: no answer to %s within %s; see 'locket agent status', or 'locket agent stop'", e.what, e.d)
}
func (e *timeoutError) Unwrap() error { return ErrTimeout }

// Socket is the path the client connects to.
func (c *Client) Socket() string { return c.socket }

// Status asks the agent about itself; ErrNoAgent when none answers.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodGet, "status", nil, &st, controlTimeout)
	return st, err
}

// Unlock gives the agent the passphrase. ttl overrides the vault's
// agent-ttl when positive.
func (c *Client) Unlock(ctx context.Context, passphrase []byte, ttl time.Duration) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodPost, "unlock", UnlockRequest{Passphrase: passphrase, TTL: ttl}, &st, unlockTimeout)
	return st, err
}

// Lock makes the agent wipe its keys and exit (lock.go).
func (c *Client) Lock(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodPost, "lock", proto.Empty{}, &st, controlTimeout)
	return st, err
}

// Stop makes the agent lock and exit. It is the one request that works
// across protocol versions, since it is what a user is told to run when
// the versions differ: every version's agent stops on a POST to its own
// stop path, and its answer is not read.
// Its kept-alive connections are dropped, so that the client's next
// request meets whichever agent answers on the socket next.
func (c *Client) Stop(ctx context.Context) error {
	defer c.http.CloseIdleConnections()
	err := c.do(ctx, http.MethodPost, "stop", proto.Empty{}, nil, controlTimeout)
	var skew *SkewError
	if !errors.As(err, &skew) {
		return err
	}
	other := &Client{socket: c.socket, http: c.http, protocol: skew.Agent, timeout: c.timeout}
	return other.do(ctx, http.MethodPost, "stop", nil, nil, controlTimeout)
}

// OtherStatus is what the status of an agent of any protocol version
// says about who uses it; a nil field is one its status does not carry
// (protocol 1's has neither).
type OtherStatus struct {
	Protocol    int    `json:"protocol"`
	PID         int    `json:"pid"`
	Connections *int64 `json:"connections"`
	Watchers    *int   `json:"watchers"`
}

// Alone reports whether the status says that nobody but the asking client
// uses the agent: no watcher (a TUI) and no connection but the status
// request's own. A status that does not say is not alone.
func (s OtherStatus) Alone() bool {
	return s.Connections != nil && s.Watchers != nil && *s.Connections <= 1 && *s.Watchers == 0
}

// StatusOf reads the status of an agent that speaks protocol version n
// (GET status is in every version), so that a client can tell whether an
// agent of another version may be restarted. It sends nothing else.
func (c *Client) StatusOf(ctx context.Context, n int) (OtherStatus, error) {
	other := &Client{socket: c.socket, http: c.http, protocol: n, timeout: c.timeout}
	var st OtherStatus
	err := other.do(ctx, http.MethodGet, "status", nil, &st, controlTimeout)
	return st, err
}

// Close ends the client's use of the agent (the agent keeps the vault
// unlocked for others). Calls made after it fail with vault.ErrClosed.
func (c *Client) Close() error {
	c.closed.Store(true)
	c.http.CloseIdleConnections()
	return nil
}

// Changes streams the vault's changes until ctx ends, the agent locks or
// it goes away; the channel is then closed.
func (c *Client) Changes(ctx context.Context) (<-chan vault.Change, error) {
	resp, err := c.sendBody(ctx, http.MethodGet, "events", "", nil)
	if err != nil {
		return nil, err
	}
	out := make(chan vault.Change)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var ch vault.Change
			if json.Unmarshal(sc.Bytes(), &ch) != nil {
				return
			}
			select {
			case out <- ch:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// call runs a call of the protocol: req is its request, resp where its
// JSON answer goes.
func (c *Client) call(ctx context.Context, name string, req, resp any) error {
	return c.do(ctx, http.MethodPost, "call/"+name, req, resp, callTimeout)
}

// packed runs a call whose answer is packed bytes (List, Check).
func (c *Client) packed(ctx context.Context, name string, req any) ([]byte, error) {
	var b []byte
	err := c.exchange(ctx, http.MethodPost, "call/"+name, req, callTimeout, func(resp *http.Response) error {
		var err error
		if n := resp.ContentLength; n > 0 && n < 1<<30 {
			// Sized once: at 100k secrets a list is ~15 MB.
			b = make([]byte, n)
			_, err = io.ReadFull(resp.Body, b)
		} else {
			b, err = io.ReadAll(resp.Body)
		}
		return err
	})
	return b, err
}

// do sends body as JSON and decodes the answer into out.
func (c *Client) do(ctx context.Context, method, path string, body, out any, timeout time.Duration) error {
	return c.exchange(ctx, method, path, body, timeout, func(resp *http.Response) error {
		if out == nil {
			_, err := io.Copy(io.Discard, resp.Body)
			return err
		}
		return json.NewDecoder(resp.Body).Decode(out)
	})
}

// exchange sends body as JSON and hands a successful answer to read, all
// within timeout.
func (c *Client) exchange(ctx context.Context, method, path string, body any, timeout time.Duration, read func(*http.Response) error) error {
	what := strings.TrimPrefix(path, "call/")
	if c.timeout > 0 {
		timeout = c.timeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, &timeoutError{what: what, d: timeout})
	defer cancel()
	var r io.Reader
	ct := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("agent: encode request: %w", err)
		}
		r, ct = bytes.NewReader(b), "application/json"
	}
	resp, err := c.sendBody(ctx, method, path, ct, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := read(resp); err != nil {
		if te := (*timeoutError)(nil); errors.As(context.Cause(ctx), &te) {
			return te
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("agent: read answer of %s: %w", what, err)
	}
	return nil
}

// sendBody makes a request with a body of type contentType read from r,
// and returns a successful response; a failed one becomes the error whose
// code it carries. The response comes back as soon as the agent answers,
// also while r is still being sent (net/http's Transport reads the
// response beside writing the request, see persistConn.roundTrip).
func (c *Client) sendBody(ctx context.Context, method, path, contentType string, r io.Reader) (*http.Response, error) {
	if c.closed.Load() {
		return nil, vault.ErrClosed
	}
	// The host is not used: the transport always dials the socket.
	req, err := http.NewRequestWithContext(ctx, method, "http://locket"+proto.Prefix(c.protocol)+path, r)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if te := (*timeoutError)(nil); errors.As(context.Cause(ctx), &te) {
			return nil, te
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, ErrNoAgent) || errors.Is(err, ErrPeer) {
			return nil, unwrapURL(err)
		}
		return nil, fmt.Errorf("agent: %w", unwrapURL(err))
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	var eb proto.ErrorBody
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&eb); err != nil || eb.Error.Code == "" {
		if resp.StatusCode == http.StatusNotFound {
			// Protocol 1's agents answer an unknown path with a bare 404.
			return nil, &SkewError{Agent: 1, Client: c.protocol}
		}
		return nil, fmt.Errorf("agent: %s", resp.Status)
	}
	if eb.Protocol != 0 && eb.Protocol != c.protocol {
		// Read to the end, so that the connection is reused by the
		// StatusOf that follows: the agent's count of connections then
		// stays this client's one.
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		return nil, &SkewError{Agent: eb.Protocol, Client: c.protocol}
	}
	return nil, wireError(eb.Error)
}

// unwrapURL drops net/http's "Post "http://locket/v1/...":" prefix, which
// says nothing to a user.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
