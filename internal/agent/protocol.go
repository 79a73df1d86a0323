package agent

import (
	"context"
	"errors"
	"reflect"
	"time"

	"locket/vault"
)

// The protocol is HTTP/1.1 with JSON bodies over the Unix socket; every
// path starts with its version, so that a later /v2 can live beside it.
//
//	GET  /v1/status           Status
//	POST /v1/unlock           UnlockRequest → Status
//	POST /v1/lock             → Status
//	POST /v1/stop             → (the agent exits after answering)
//	POST /v1/call/{Method}    JSON array of the arguments after ctx →
//	                          the results before the error (resultsType;
//	                          List, Check: packedMethods)
//	POST /v1/import           gob stream of the options and the secrets →
//	                          NDJSON progress, then the report (import.go)
//	GET  /v1/events           NDJSON stream of vault.Change, one a line
//
// A failed request answers with a non-2xx status and an errorBody whose
// code is vault.Code's (or "locked"), so the client rebuilds an error that
// matches the same sentinel as a direct call's.
const apiPrefix = "/v1/"

// ErrLocked: the agent runs but holds no unlocked vault.
var ErrLocked = errors.New("the agent is locked; unlock it with locket unlock")

// The agent's own error codes on the wire.
const (
	codeLocked   = "locked"
	codeAgentOff = "agent_off"
)

// Status is what an agent reports about itself.
type Status struct {
	// Dir is the vault directory the agent serves.
	Dir string `json:"vault"`
	// Socket is the path the agent listens on.
	Socket string `json:"socket"`
	// PID is the agent's process id.
	PID int `json:"pid"`
	// Started is when the agent started.
	Started time.Time `json:"started"`
	// Locked is true when the agent holds no keys.
	Locked bool `json:"locked"`
	// Since is when the vault was unlocked (zero while locked).
	Since time.Time `json:"since,omitzero"`
	// LocksAt is when the agent locks itself if nothing happens: the
	// earlier of the idle and the ttl deadline (zero while locked).
	LocksAt time.Time `json:"locks_at,omitzero"`
	// Idle and TTL are the limits in force.
	Idle time.Duration `json:"idle"`
	TTL  time.Duration `json:"ttl"`
	// Clients is how many connections the agent has accepted.
	Clients int64 `json:"clients"`
	// Now is the agent's clock when it answered.
	Now time.Time `json:"now"`
}

// UnlockRequest unlocks the agent.
type UnlockRequest struct {
	Passphrase []byte `json:"passphrase"`
	// TTL replaces the vault's agent-ttl for this unlock (0: the setting).
	TTL time.Duration `json:"ttl,omitempty"`
}

// errorBody is a failed request's answer.
type errorBody struct {
	Error wireError `json:"error"`
}

// wireError is an error on the wire.
type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Name is the missing secret of a not_found, so that the CLI
	// can suggest the names closest to it, as it does directly.
	Name string `json:"name,omitempty"`
}

// wireErrorOf is err as it is sent.
func wireErrorOf(err error) wireError {
	we := wireError{Code: errorCode(err), Message: err.Error()}
	if nf := (*vault.NotFoundError)(nil); errors.As(err, &nf) {
		we.Name = nf.Name
	}
	return we
}

// err rebuilds the error that was sent.
func (we wireError) err() error { return errorFrom(we.Code, we.Message, we.Name) }

// resultsType is the media type of a call's results: a gob stream of the
// results before the error, in order. JSON for a check of 100k secrets
// (87k findings, 26 MB) took 1.3 s to encode and decode; gob 0.16 s, and
// packed (packedMethods) less again.
const resultsType = "application/x-gob"

// packedMethods are the calls whose answer is not gob but packed bytes
// (application/octet-stream) in the vault's own encodings: List's secrets
// as vault.EncodeSecrets packs them, Check's findings as
// vault.EncodeFindings does. As JSON, 100k secrets are 30 MB that take a
// client seconds to read; as gob, 87k findings took ~80 ms to encode and as
// long again to decode. Each runs the call on svc with its decoded
// arguments and packs the result; the client unpacks it (Client.packed).
var packedMethods = map[string]func(ctx context.Context, svc vault.Service, args []reflect.Value) ([]byte, error){
	"List": func(ctx context.Context, svc vault.Service, args []reflect.Value) ([]byte, error) {
		o := args[0].Interface().(vault.ListOptions)
		if pl, ok := svc.(packedLister); ok {
			return pl.ListPacked(ctx, o)
		}
		list, err := svc.List(ctx, o)
		if err != nil {
			return nil, err
		}
		return vault.EncodeSecrets(list), nil
	},
	"Check": func(ctx context.Context, svc vault.Service, args []reflect.Value) ([]byte, error) {
		fs, err := svc.Check(ctx, args[0].Interface().(time.Time))
		if err != nil {
			return nil, err
		}
		return vault.EncodeFindings(fs), nil
	},
}

// packedLister is a vault that packs lists itself (vault.ListPacked): the
// vault with the metadata cache sends its stored records as they are.
type packedLister interface {
	ListPacked(ctx context.Context, o vault.ListOptions) ([]byte, error)
}

// errorCode is err's code on the wire.
func errorCode(err error) string {
	switch {
	case errors.Is(err, ErrLocked):
		return codeLocked
	case errors.Is(err, ErrAgentOff):
		return codeAgentOff
	}
	return vault.Code(err)
}

// errorFrom rebuilds an error from its wire code, message and name.
func errorFrom(code, msg, name string) error {
	switch {
	case code == codeLocked:
		return ErrLocked
	case code == codeAgentOff:
		return ErrAgentOff
	case code == vault.Code(vault.ErrNotFound) && name != "":
		return &vault.NotFoundError{Name: name}
	}
	return vault.ErrorFromCode(code, msg)
}
