package agent

import (
	"errors"
	"fmt"
	"net/http"

	"locket/internal/agent/proto"
	"locket/vault"
)

// The protocol is HTTP/1.1 over the Unix socket, written down in
// docs/agent-protocol.md; its types are package proto. Every path starts
// with the protocol version, proto.Prefix(proto.Version()):
//
//	GET  status           → Status
//	POST unlock           UnlockRequest → Status
//	POST lock             → Status
//	POST stop             → Status (the agent exits after answering)
//	POST call/{Name}      one JSON request → one JSON answer (calls.go);
//	                      List and Check answer packed bytes
//	POST import           NDJSON frames → NDJSON progress, then the report
//	GET  events           NDJSON stream of vault.Change, one a line
//
// A failed request answers with a non-2xx status and a proto.ErrorBody
// whose code is vault.Code's or one of proto's, so that the client
// rebuilds an error that matches the same sentinel as a direct call's.

// Status is what an agent reports about itself.
type Status = proto.Status

// UnlockRequest unlocks the agent.
type UnlockRequest = proto.UnlockRequest

// ErrLocked: the agent runs but holds no unlocked vault.
var ErrLocked = errors.New("the agent is locked; unlock it with locket unlock")

// ErrUnsupported: the agent does not know a call or a field of the
// request; it did nothing.
var ErrUnsupported = proto.ErrUnsupported

// ErrProtocol: the agent speaks another protocol version than this client.
var ErrProtocol = errors.New("the agent speaks another protocol version")

// SkewError is ErrProtocol with both versions: one line that says what to
// do about it.
type SkewError struct{ Agent, Client int }

func (e *SkewError) Error() string {
	return fmt.Sprintf("the agent speaks protocol %d, this locket speaks %d: run 'locket agent stop' (it restarts on the next command)", e.Agent, e.Client)
}

func (e *SkewError) Is(target error) bool { return target == ErrProtocol }

// wireErrorOf is err as it is sent.
func wireErrorOf(err error) proto.Error {
	we := proto.Error{Code: errorCode(err), Message: err.Error()}
	if nf := (*vault.NotFoundError)(nil); errors.As(err, &nf) {
		we.Name = nf.Name
	}
	return we
}

// errorCode is err's code on the wire.
func errorCode(err error) string {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, ErrLocked):
		return proto.CodeLocked
	case errors.Is(err, ErrAgentOff):
		return proto.CodeAgentOff
	case errors.Is(err, proto.ErrUnsupported):
		return proto.CodeUnsupported
	case errors.Is(err, proto.ErrTooLarge), errors.As(err, &mbe):
		return proto.CodeTooLarge
	}
	return vault.Code(err)
}

// wireError rebuilds the error that was sent.
func wireError(we proto.Error) error {
	switch {
	case we.Code == proto.CodeLocked:
		return ErrLocked
	case we.Code == proto.CodeAgentOff:
		return ErrAgentOff
	case we.Code == proto.CodeUnsupported:
		return &codedError{msg: we.Message, err: proto.ErrUnsupported}
	case we.Code == proto.CodeTooLarge:
		return &codedError{msg: we.Message, err: proto.ErrTooLarge}
	case we.Code == vault.Code(vault.ErrNotFound) && we.Name != "":
		return &vault.NotFoundError{Name: we.Name}
	}
	return vault.ErrorFromCode(we.Code, we.Message)
}

// codedError is an agent error rebuilt from its code.
type codedError struct {
	msg string
	err error
}

func (e *codedError) Error() string { return e.msg }
func (e *codedError) Unwrap() error { return e.err }

// errUnsupportedField: a field this call does not take.
func errUnsupportedField(field, call string) error {
	return fmt.Errorf("%w: %s takes no %q", proto.ErrUnsupported, call, field)
}
