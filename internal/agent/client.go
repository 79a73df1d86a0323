package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

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
}

var _ vault.Service = (*Client)(nil)

// NewClient returns a client of the agent at socket. It connects on its
// first request.
func NewClient(socket string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, "unix", socket)
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
	return &Client{socket: socket, http: &http.Client{Transport: tr}}
}

// Socket is the path the client connects to.
func (c *Client) Socket() string { return c.socket }

// Status asks the agent about itself; ErrNoAgent when none answers.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodGet, "status", nil, &st)
	return st, err
}

// Unlock gives the agent the passphrase. ttl overrides the vault's
// agent-ttl when positive.
func (c *Client) Unlock(ctx context.Context, passphrase []byte, ttl time.Duration) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodPost, "unlock", UnlockRequest{Passphrase: passphrase, TTL: ttl}, &st)
	return st, err
}

// Lock makes the agent wipe its keys and exit (lock.go).
func (c *Client) Lock(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodPost, "lock", nil, &st)
	return st, err
}

// Stop makes the agent lock and exit.
func (c *Client) Stop(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "stop", nil, nil)
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
	resp, err := c.send(ctx, http.MethodGet, "events", nil)
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

// call runs a vault.Service method on the agent: args are the method's
// arguments after ctx, results point to where its results go.
func (c *Client) call(ctx context.Context, method string, args []any, results ...any) error {
	if args == nil {
		args = []any{}
	}
	resp, err := c.send(ctx, http.MethodPost, "call/"+method, args)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := gob.NewDecoder(bufio.NewReader(resp.Body))
	for _, r := range results {
		if err := dec.Decode(r); err != nil {
			return fmt.Errorf("agent: result of %s: %w", method, err)
		}
	}
	return nil
}

// packed calls one of packedMethods and returns its answer's bytes.
func (c *Client) packed(ctx context.Context, method string, args []any) ([]byte, error) {
	resp, err := c.send(ctx, http.MethodPost, "call/"+method, args)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var b []byte
	if n := resp.ContentLength; n > 0 && n < 1<<30 {
		// Sized once: at 100k secrets a list is ~15 MB.
		b = make([]byte, n)
		_, err = io.ReadFull(resp.Body, b)
	} else {
		b, err = io.ReadAll(resp.Body)
	}
	if err != nil {
		return nil, fmt.Errorf("agent: read answer: %w", err)
	}
	return b, nil
}

// do sends a request with body as JSON and decodes the answer into out.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("agent: read answer: %w", err)
	}
	return nil
}

// send makes a request with body as JSON and returns a successful
// response; a failed one becomes the error whose code it carries.
func (c *Client) send(ctx context.Context, method, path string, body any) (*http.Response, error) {
	if body == nil {
		return c.sendBody(ctx, method, path, "", nil)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("agent: encode request: %w", err)
	}
	return c.sendBody(ctx, method, path, "application/json", bytes.NewReader(b))
}

// sendBody is send with a body of type contentType read from r. The
// response comes back as soon as the agent answers, also while r is still
// being sent (net/http's Transport reads the response beside writing the
// request, see persistConn.roundTrip).
func (c *Client) sendBody(ctx context.Context, method, path, contentType string, r io.Reader) (*http.Response, error) {
	if c.closed.Load() {
		return nil, vault.ErrClosed
	}
	// The host is not used: the transport always dials the socket.
	req, err := http.NewRequestWithContext(ctx, method, "http://locket"+apiPrefix+path, r)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
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
	var eb errorBody
	if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil || eb.Error.Code == "" {
		return nil, fmt.Errorf("agent: %s", resp.Status)
	}
	return nil, eb.Error.err()
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
