// Package proto is the agent's wire contract: the protocol version, the
// paths, and one request and one response type per call, with the JSON
// field names that travel. docs/agent-protocol.md describes the same thing
// for a reader; this package is what both ends compile against, so a field
// renamed here is a protocol change and needs a new Version.
//
// Nothing here is chosen by reflection: the agent serves the calls written
// out in its dispatch table (internal/agent/calls.go), decodes each
// request into the type named here with unknown fields refused, and
// answers an unknown call or field with CodeUnsupported.
package proto

import (
	"runtime/debug"
	"strconv"
	"time"

	"locket/vault"
)

// version is the protocol this build speaks. It is a string so that a test
// build can speak another (go build -ldflags
// "-X locket/internal/agent/proto.version=1"); Version parses it.
var version = "2"

// Version is the protocol version this build speaks: 1 was the
// reflection-and-gob protocol of locket before it; 2 is this package.
func Version() int {
	n, err := strconv.Atoi(version)
	if err != nil || n < 1 {
		panic("proto: bad version " + strconv.Quote(version))
	}
	return n
}

// Prefix is the path prefix of protocol n: every path starts with it, so
// that an agent can tell a client of another version from a bad request.
func Prefix(n int) string { return "/v" + strconv.Itoa(n) + "/" }

// Revision is the VCS revision this binary was built from ("unknown" for a
// build without VCS information, such as a test binary), with "-dirty"
// when the work tree had changes.
func Revision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}

// Error codes of the agent itself; every other code is vault.Code's.
const (
	// CodeUnsupported: a call, a field or a protocol version the agent
	// does not know. Nothing was done.
	CodeUnsupported = "unsupported"
	// CodeLocked: the agent holds no unlocked vault.
	CodeLocked = "locked"
	// CodeAgentOff: the vault's setting forbids an agent.
	CodeAgentOff = "agent_off"
	// CodeTooLarge: a request body or an import frame is over its limit.
	CodeTooLarge = "too_large"
	// CodeBusy is vault's "busy", also sent when the agent is at its
	// connection limit.
	CodeBusy = "busy"
)

// ErrorBody is every failed request's answer (a non-2xx status).
type ErrorBody struct {
	Error Error `json:"error"`
	// Protocol is the version the agent speaks: a client of another
	// version learns it from any refusal.
	Protocol int `json:"protocol"`
}

// Error is an error on the wire.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Name is the missing secret of a not_found, so that the CLI can
	// suggest the names closest to it, as it does directly.
	Name string `json:"name,omitempty"`
}

// Status is GET status's answer, and the answer of unlock, lock and stop.
type Status struct {
	// Protocol is the version the agent speaks, Revision its build's.
	Protocol int    `json:"protocol"`
	Revision string `json:"revision"`
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
	// Idle and TTL are the limits in force, in nanoseconds.
	Idle time.Duration `json:"idle"`
	TTL  time.Duration `json:"ttl"`
	// Clients is how many connections the agent has accepted.
	Clients int64 `json:"clients"`
	// Connections is how many are open now, this status request's
	// included; Watchers how many of them follow the change feed (an
	// open TUI). A client restarts an agent only when it is alone.
	Connections int64 `json:"connections"`
	Watchers    int   `json:"watchers"`
	// Now is the agent's clock when it answered.
	Now time.Time `json:"now"`
}

// UnlockRequest unlocks the agent.
type UnlockRequest struct {
	Passphrase []byte `json:"passphrase"`
	// TTL replaces the vault's agent-ttl for this unlock, in nanoseconds
	// (0: the setting).
	TTL time.Duration `json:"ttl,omitempty"`
}

// Empty is the request and the answer of a call that has none.
type Empty struct{}

// The calls, POST {prefix}call/{Name}: the request is one JSON object, the
// answer one JSON object, or packed bytes for List and Check (see
// packed.go). Each mirrors the vault.Service method of the same name.

type SetSettingRequest struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	// Current is the vault's passphrase, which the sensitive settings
	// (purge-protection on, agent off) ask for again; others ignore it.
	Current []byte `json:"current,omitempty"`
}

// PassphraseRequest is ChangePassphrase's and Rekey's.
type PassphraseRequest struct {
	// Current is the vault's passphrase now: the agent checks it itself,
	// so that holding the socket is not enough to change it.
	Current    []byte          `json:"current"`
	Passphrase []byte          `json:"passphrase"`
	KDF        vault.KDFParams `json:"kdf"`
}

// PutMode is vault.PutMode on the wire.
type PutMode string

const (
	PutAny      PutMode = "any"      // create the secret or add a version
	PutCreate   PutMode = "create"   // only create: an existing name is "exists"
	PutExisting PutMode = "existing" // only add: a missing name is "not_found"
)

type PutRequest struct {
	Name        string            `json:"name"`
	Value       []byte            `json:"value"`
	Mode        PutMode           `json:"mode,omitempty"`
	ContentType string            `json:"content_type,omitempty"`
	Expires     time.Time         `json:"expires,omitzero"`
	NotBefore   time.Time         `json:"not_before,omitzero"`
	Tags        map[string]string `json:"tags,omitempty"`
	Op          vault.Op          `json:"op,omitempty"`
	Note        string            `json:"note,omitempty"`
}

// VersionResponse is Put's and Rollback's.
type VersionResponse struct {
	Version vault.Version `json:"version"`
}

// GetRequest is Get's and GetFor's (To only for GetFor).
type GetRequest struct {
	Name    string   `json:"name"`
	Version int      `json:"version,omitempty"`
	Purpose vault.Op `json:"purpose"`
	To      string   `json:"to,omitempty"`
}

type GetResponse struct {
	Value   []byte        `json:"value"`
	Version vault.Version `json:"version"`
}

// NameRequest is the request of every call that names one secret:
// Secret, Delete, Recover, Purge, Timeline, Audit (empty: all events).
type NameRequest struct {
	Name string `json:"name"`
}

type SecretResponse struct {
	Secret vault.Secret `json:"secret"`
}

type ListRequest struct {
	Prefix   string            `json:"prefix,omitempty"`
	Deleted  bool              `json:"deleted,omitempty"`
	Tags     map[string]string `json:"tags,omitempty"`
	Statuses []vault.Status    `json:"statuses,omitempty"`
	At       time.Time         `json:"at,omitzero"`
}

type TagRequest struct {
	Name          string            `json:"name"`
	Set           map[string]string `json:"set,omitempty"`
	Remove        []string          `json:"remove,omitempty"`
	IgnoreMissing bool              `json:"ignore_missing,omitempty"`
	Note          string            `json:"note,omitempty"`
}

// UpdateRequest: an absent field is left as it is.
type UpdateRequest struct {
	Name        string     `json:"name"`
	ContentType *string    `json:"content_type,omitempty"`
	Expires     *time.Time `json:"expires,omitempty"`
	NotBefore   *time.Time `json:"not_before,omitempty"`
	Enabled     *bool      `json:"enabled,omitempty"`
	Note        string     `json:"note,omitempty"`
}

type RenameRequest struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type RollbackRequest struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
}

type CheckRequest struct {
	At time.Time `json:"at,omitzero"`
}

// TimelineEntry is vault.TimelineEntry on the wire.
type TimelineEntry struct {
	Time    time.Time     `json:"time"`
	Kind    string        `json:"kind"`
	Version int           `json:"version,omitempty"`
	Lived   time.Duration `json:"lived,omitempty"`
	Op      vault.Op      `json:"op,omitempty"`
	Actor   string        `json:"actor,omitempty"`
	Note    string        `json:"note,omitempty"`
}

type TimelineResponse struct {
	Entries []TimelineEntry `json:"entries"`
}

type AuditResponse struct {
	Events []vault.Event `json:"events"`
}

type VerifyAuditResponse struct {
	Events int `json:"events"`
}

type ReviewRequest struct {
	Name string `json:"name,omitempty"`
	Note string `json:"note"`
}

type SnapshotRequest struct {
	Prefix  string            `json:"prefix,omitempty"`
	Tags    map[string]string `json:"tags,omitempty"`
	Purpose vault.Op          `json:"purpose,omitempty"`
	Note    string            `json:"note,omitempty"`
	// Passphrase is the vault's passphrase, which an export of the whole
	// vault (no prefix, no tags) asks for again.
	Passphrase []byte `json:"passphrase,omitempty"`
}

// SecretData is a secret with its values: Values[i] is Versions[i]'s.
type SecretData struct {
	Secret vault.Secret `json:"secret"`
	Values [][]byte     `json:"values"`
}

type SnapshotResponse struct {
	Secrets  []SecretData   `json:"secrets"`
	Settings vault.Settings `json:"settings"`
}

type TargetRequest struct {
	Target string `json:"target"`
}

type SyncStatesResponse struct {
	States map[string]vault.SyncState `json:"states"`
}

type SetSyncStateRequest struct {
	Target string          `json:"target"`
	State  vault.SyncState `json:"state"`
}

type ForgetSyncStateRequest struct {
	Target string `json:"target"`
	Name   string `json:"name"`
}
