package vault

import "context"

// Client is the process a call came from when an agent serves the vault:
// its pid and command line, as the agent read them from the kernel and
// /proc. It goes into the audit events of the call.
type Client struct {
	PID     int    `json:"pid"`
	Command string `json:"command,omitempty"`
}

type clientKey struct{}

// WithClient returns ctx carrying the client for the audit log.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

func clientFrom(ctx context.Context) *Client {
	if c, ok := ctx.Value(clientKey{}).(Client); ok {
		return &c
	}
	return nil
}
