package vault

import (
	"context"
	"iter"
	"time"
)

// Service is the vault as the CLI, the TUI, backups and rotation review
// use it. The local store (*Vault) implements it; an agent that serves one
// unlocked vault over a socket implements it too, so callers cannot tell
// them apart. That shapes every method: a context first and an error last,
// arguments and results that are plain data (no callbacks, no storage or
// key types), and errors that wrap the sentinels of errors.go so that Code
// and ErrorFromCode carry them across a wire. Import's source is the one
// exception: a sequence of plain data, which an agent client sends as a
// stream.
//
// Close is the one call without a context: like io.Closer it ends the
// session. Calls that are running when Close starts are cancelled and fail
// with ErrClosed or finish; calls made after it fail with ErrClosed.
type Service interface {
	// Info describes the open vault: where it is, who acts, its clock.
	Info(ctx context.Context) (Info, error)
	// Settings returns the vault settings.
	Settings(ctx context.Context) (Settings, error)
	// SetSetting changes one setting (see SettingKeys). Turning on purge
	// protection or turning the agent off takes current, the vault's
	// passphrase; other changes ignore it.
	SetSetting(ctx context.Context, key, value string, current []byte) error
	// ChangePassphrase rewraps the data key under a new passphrase; it
	// takes current, the vault's passphrase now.
	ChangePassphrase(ctx context.Context, current, passphrase []byte, kdf KDFParams) error
	// Rekey also re-encrypts every record under a new data key, so that an
	// old header and its passphrase open nothing; it takes current too.
	Rekey(ctx context.Context, current, passphrase []byte, kdf KDFParams) error
	// Verify checks every record, the state commitment and the audit
	// chain, and lists what is wrong; it is what an agent runs at start.
	Verify(ctx context.Context) (VerifyReport, error)

	// Put adds a version; o.Mode says whether the secret must be new,
	// must exist, or either.
	Put(ctx context.Context, name string, value []byte, o PutOptions) (Version, error)
	// Get hands out a version's value (0: the current one), audited as
	// purpose, which must be a read operation (see Op.Read).
	Get(ctx context.Context, name string, version int, purpose Op) ([]byte, Version, error)
	// GetFor is Get for a value handed on to another program: the audit
	// event names it too (the command run starts, the file inject writes,
	// the host git asked for).
	GetFor(ctx context.Context, name string, version int, purpose Op, to string) ([]byte, Version, error)
	// Secret returns a secret's metadata, also when it is in the trash.
	Secret(ctx context.Context, name string) (Secret, error)
	// List returns the matching secrets' metadata, sorted by name.
	List(ctx context.Context, o ListOptions) ([]Secret, error)
	// Tag sets and removes tags, snoozes and rotation policies included.
	Tag(ctx context.Context, name string, c TagChange) error
	// Update changes attributes of the current version or the enabled flag.
	Update(ctx context.Context, name string, a Attributes) error
	// Rename moves a secret with its history to a free name.
	Rename(ctx context.Context, oldName, newName string) error
	// Rollback adds a version holding an older version's value.
	Rollback(ctx context.Context, name string, version int) (Version, error)
	// Delete moves a secret to the trash; Recover brings it back; Purge
	// destroys a secret in the trash.
	Delete(ctx context.Context, name string) error
	Recover(ctx context.Context, name string) error
	Purge(ctx context.Context, name string) error

	// Check reports the secrets that need attention at at (zero: now).
	Check(ctx context.Context, at time.Time) ([]Finding, error)
	// Timeline returns a secret's lifecycle, newest first.
	Timeline(ctx context.Context, name string) ([]TimelineEntry, error)
	// Audit returns the audit events, oldest first, of one secret or all.
	Audit(ctx context.Context, name string) ([]Event, error)
	// VerifyAudit checks the audit chain and returns how many events it holds.
	VerifyAudit(ctx context.Context) (int, error)
	// Review records a rotation review decision (name empty: the session).
	Review(ctx context.Context, name, note string) error

	// Snapshot returns secrets with every version's value, for backups.
	Snapshot(ctx context.Context, o SnapshotOptions) ([]SecretData, Settings, error)
	// RecordBackup records that a backup export of the whole vault was
	// just written, for check's backup reminder (backup-every).
	RecordBackup(ctx context.Context) error
	// Import adds the secrets src yields, all-or-nothing: an error src
	// yields ends it with nothing imported. It reads src once, a secret at
	// a time (SecretsOf adapts a slice).
	Import(ctx context.Context, src iter.Seq2[SecretData, error], o ImportOptions) (ImportReport, error)

	// Changes reports every committed change of the vault (not reads)
	// until ctx ends or the session does; the channel is then closed. A
	// watcher that falls far behind has its channel closed early, and
	// should reload what it shows.
	Changes(ctx context.Context) (<-chan Change, error)
	// SyncStates returns what the vault last saw of each secret on a sync
	// target; SetSyncState and ForgetSyncState record it (syncstate.go).
	SyncStates(ctx context.Context, target string) (map[string]SyncState, error)
	SetSyncState(ctx context.Context, target string, st SyncState) error
	ForgetSyncState(ctx context.Context, target, name string) error

	// Close ends the session (see above).
	Close() error
}

var _ Service = (*Vault)(nil)

// Info describes an open vault.
type Info struct {
	// Dir is the vault directory.
	Dir string `json:"dir"`
	// ID is the vault's random identity, as hex.
	ID string `json:"id"`
	// ReadOnly reports a vault opened read-only: every write fails.
	ReadOnly bool `json:"read_only"`
	// Actor is who the session acts as in versions and audit events.
	Actor string `json:"actor"`
	// Now is the vault's clock when Info was called. Status, due dates and
	// purge dates are computed against it (tests inject the clock).
	Now time.Time `json:"now"`
	// KDF is the Argon2id cost of the current passphrase.
	KDF KDFParams `json:"kdf"`
}

// KDFParams are the Argon2id parameters that derive the key from the
// passphrase.
type KDFParams struct {
	MemoryKiB uint32 `json:"memory_kib"`
	Time      uint32 `json:"time"`
	Threads   uint8  `json:"threads"`
}
