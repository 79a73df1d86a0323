// Package vault is locket's domain: secrets, versions, tags, status, the
// trash, the audit log and the vault settings, stored in an embedded Badger
// database whose keys are opaque and whose values are sealed by keyring.
//
// The CLI, the TUI, backups and rotation review use the vault through
// Service (service.go), a small interface with no Badger or key types in
// it, which *Vault, the local store, implements and an agent client can
// implement over a socket. Every method that changes the vault runs in one
// Badger transaction together with its audit event: it happens entirely or
// not at all.
package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"

	"locket/keyring"
)

// Vault is an open, unlocked vault. It is safe for concurrent use.
type Vault struct {
	dir      string
	db       *badger.DB
	kr       *keyring.Keyring
	header   *keyring.Header
	readOnly bool
	now      func() time.Time
	actor    string

	// mu serialises writers: the audit chain needs one writer at a time.
	mu       sync.Mutex
	settings Settings
	limits   importLimits

	// stateOn: the vault has a state commitment (state.go); false only for
	// a vault made before it, until its first writable open.
	stateOn bool
	// verified: the whole state was checked on this handle.
	verified atomic.Bool
	// counter is the commitment's counter as this handle last saw or wrote
	// it; seen is what the machine remembers (seen.go).
	counter, seen uint64
	stateDir      string
	log           debugLog
	// inspectErr is the integrity error an Inspect open found.
	inspectErr error
	// proved is the commitment a writable open's preflight checked
	// against every record before Badger opened for writing.
	proved *commitment
	// The gate lets Close end a session under running calls: every call
	// enters it, and Close shuts it, cancels the calls in flight through
	// closing and waits for them before it closes the store.
	gate      sync.Mutex
	closed    bool
	calls     sync.WaitGroup
	closing   context.Context
	stop      context.CancelFunc
	closeOnce sync.Once
	closeErr  error

	// watchers receive the committed changes (Changes).
	watchers watchers
	// cache holds decoded metadata when Options.Cache asks for it.
	cache *metaCache
}

func newSession(dir string, db *badger.DB, kr *keyring.Keyring, hdr *keyring.Header, readOnly bool, opts Options) *Vault {
	v := &Vault{dir: dir, db: db, kr: kr, header: hdr, readOnly: readOnly, now: opts.Now, actor: opts.Actor, limits: defaultImportLimits, stateDir: opts.StateDir, log: debugLog{opts.Log}}
	if opts.limits != nil {
		v.limits = *opts.limits
	}
	v.limits.limitHeap = opts.LimitHeap
	v.closing, v.stop = context.WithCancel(context.Background())
	return v
}

// enter admits a call through the gate, or refuses it with ErrClosed once
// Close has begun. The context it returns is also cancelled by Close; the
// call must pass its error to done, which turns a cancellation by Close
// into ErrClosed and lets Close proceed.
func (v *Vault) enter(ctx context.Context) (context.Context, func(*error), error) {
	v.gate.Lock()
	if v.closed {
		v.gate.Unlock()
		return ctx, nil, ErrClosed
	}
	v.calls.Add(1)
	v.gate.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	unhook := context.AfterFunc(v.closing, cancel)
	return ctx, func(err *error) {
		unhook()
		cancel()
		if *err != nil && v.closing.Err() != nil && errors.Is(*err, context.Canceled) {
			*err = ErrClosed
		}
		v.calls.Done()
	}, nil
}

// Options tune Open and Create.
type Options struct {
	// ReadOnly opens the store with a shared lock; writes fail with
	// ErrReadOnly. Several read-only processes may share a vault.
	ReadOnly bool
	// Wait is how long to retry while another process holds the vault
	// (default 5 s).
	Wait time.Duration
	// Now is the clock (default time.Now); tests inject their own.
	Now func() time.Time
	// Actor names who acts in versions and audit events (default user@host).
	Actor string
	// Cache keeps every secret's decoded metadata (never a value) in
	// memory, so that lists and checks do not decrypt the whole vault each
	// time. For a long-lived process that owns the vault: the agent.
	Cache bool
	// StateDir is where this machine remembers the newest state of each
	// vault it has seen (default DefaultStateDir()).
	StateDir string
	// AcceptRollback opens a vault older than this machine has seen, for a
	// deliberate restore of a file-level backup; a writable open audits it.
	AcceptRollback bool
	// Inspect opens read-only for Verify: an integrity error found while
	// opening becomes one of Verify's problems instead of failing the open.
	// Every read still checks what it reads.
	Inspect bool
	// Log receives the store's diagnostics (Badger's warnings, repairs);
	// nil discards them. It must not be a terminal the TUI draws on.
	Log io.Writer
	// LimitHeap, when set, is called when an import too large for one
	// transaction starts to stage it, and what it returns when that
	// import ends. The soft memory limit is a setting of the whole
	// process, so the process's main decides: the CLI and the agent pass
	// heaplimit.ForImports (decisions/0078), and a process that runs many
	// vaults at once, such as this package's tests, passes nothing.
	LimitHeap func() (undo func())

	// limits replace the import limits in this package's tests.
	limits *importLimits
}

func (o *Options) fill() {
	if o.Wait == 0 {
		o.Wait = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Actor == "" {
		o.Actor = DefaultActor()
	}
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir()
	}
	if o.Inspect {
		o.ReadOnly = true
	}
}

// DefaultActor is user@host of this process.
func DefaultActor() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil {
		host = "localhost"
	}
	return name + "@" + host
}

// Exists reports whether dir holds a vault header.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, headerFile))
	return err == nil
}

// The Argon2id costs of new vaults: DefaultKDF normally, MinKDF (RFC 9106's
// second recommendation, the least accepted) for tests and the demo.
var (
	DefaultKDF = KDFParams(keyring.DefaultParams)
	MinKDF     = KDFParams(keyring.MinParams)
)

// Create makes a new vault in dir, which must not hold one already. The
// directory is created with mode 0700 if it does not exist.
func Create(ctx context.Context, dir string, passphrase []byte, kdf KDFParams, set Settings, opts Options) (*Vault, error) {
	if err := set.Validate(); err != nil {
		return nil, err
	}
	if Exists(dir) {
		return nil, fmt.Errorf("%w: a vault is already at %s", ErrExists, dir)
	}
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("%w: empty passphrase", ErrInvalid)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create vault directory: %w", err)
	}
	if err := restrictDir(dir); err != nil {
		return nil, err
	}
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	// A store without a header is left by a crash during an earlier
	// Create, or by a header lost since. Its records would break the new
	// vault's audit chain, and a restored header could still open them:
	// refuse rather than destroy them.
	if entries, err := os.ReadDir(filepath.Join(dir, dbDir)); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%w: %s holds a store without a header (an interrupted init or a lost header); move it away to create a new vault", ErrExists, filepath.Join(dir, dbDir))
	}
	hdr, kr, err := keyring.New(passphrase, keyring.Params(kdf))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	opts.fill()
	db, err := openBadger(ctx, dir, opts.Wait, false, debugLog{opts.Log})
	if err != nil {
		return nil, err
	}
	v := newSession(dir, db, kr, hdr, false, opts)
	if set.Since.IsZero() {
		// The backup clock of a vault never backed up starts here.
		set.Since = opts.Now().UTC().Round(0)
	}
	v.settings = set
	v.stateOn = true
	v.verified.Store(true)
	err = v.write(ctx, func(tx *txn) error {
		tx.freshState = true
		tx.putSettings(set)
		return tx.audit(Event{Op: OpInit, Outcome: "ok"})
	})
	if err == nil {
		// The header is written last: a directory without one is not a
		// vault, so a crash before this line leaves no vault half-made.
		err = writeFileAtomic(filepath.Join(dir, headerFile), hdr.Marshal())
	}
	if err == nil {
		err = v.saveSeen(v.counter)
	}
	if err != nil {
		// The store is ours and new; without its header nothing can read
		// it, so it goes too.
		v.Close()
		os.RemoveAll(filepath.Join(dir, dbDir))
		return nil, err
	}
	return v, nil
}

// ReadHeader reads and checks the header of the vault in dir, without
// unlocking it.
func ReadHeader(dir string) (*keyring.Header, error) {
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, headerFile))
	if errors.Is(err, fs.ErrNotExist) {
		if entries, _ := os.ReadDir(filepath.Join(dir, dbDir)); len(entries) > 0 {
			// The header holds the wrapped data key: without it the store
			// cannot be unlocked, and it must not be taken for no vault.
			return nil, fmt.Errorf("%w: %s is missing, but %s holds a store", ErrIntegrity, filepath.Join(dir, headerFile), filepath.Join(dir, dbDir))
		}
		return nil, fmt.Errorf("%w at %s", ErrNoVault, dir)
	}
	if err != nil {
		return nil, err
	}
	return keyring.ParseHeader(b)
}

// Open unlocks the vault in dir with passphrase. Opened for writing, it
// first finishes any purge a crash interrupted and purges trash past its
// retention.
func Open(ctx context.Context, dir string, passphrase []byte, opts Options) (*Vault, error) {
	hdr, err := ReadHeader(dir)
	if err != nil {
		return nil, err
	}
	kr, err := hdr.Unlock(passphrase)
	if err != nil {
		return nil, err
	}
	return openUnlocked(ctx, dir, hdr, kr, opts)
}

func openUnlocked(ctx context.Context, dir string, hdr *keyring.Header, kr *keyring.Keyring, opts Options) (*Vault, error) {
	opts.fill()
	var proved *commitment
	if !opts.ReadOnly {
		// Nothing may write to a store that fails a check (faults.go).
		var err error
		if proved, err = preflight(ctx, dir, kr, opts); err != nil {
			kr.Wipe()
			return nil, err
		}
	}
	open := openBadger
	if !opts.ReadOnly {
		open = openChecked // the preflight checked the files
	}
	db, err := open(ctx, dir, opts.Wait, opts.ReadOnly, debugLog{opts.Log})
	if errors.Is(err, errNeedsReplay) {
		// A crash left a write-ahead log to replay: a writer does that,
		// after its proof, and the reader then opens the replayed store.
		w := opts
		w.ReadOnly, w.Inspect = false, false
		wv, werr := openUnlocked(ctx, dir, hdr, kr.Clone(), w)
		if werr == nil {
			werr = wv.Close()
		}
		if werr != nil {
			kr.Wipe()
			return nil, werr
		}
		db, err = openBadger(ctx, dir, opts.Wait, opts.ReadOnly, debugLog{opts.Log})
	}
	if err != nil {
		kr.Wipe()
		return nil, err
	}
	v := newSession(dir, db, kr, hdr, opts.ReadOnly, opts)
	v.proved = proved
	if opts.Cache {
		v.cache = &metaCache{}
	}
	err = v.openState(ctx, opts.AcceptRollback)
	if errors.Is(err, errPendingImport) {
		// A crash interrupted an import that had committed. A reader must
		// see all of it or none (an import is all-or-nothing), so a
		// writer finishes it first, as a writer's open would, and the
		// reader then opens the finished store.
		v.closeStore()
		w := opts
		w.ReadOnly = false
		wv, err := openUnlocked(ctx, dir, hdr, kr.Clone(), w)
		if err != nil {
			kr.Wipe()
			return nil, err
		}
		if err := wv.Close(); err != nil {
			kr.Wipe()
			return nil, err
		}
		return openUnlocked(ctx, dir, hdr, kr, opts)
	}
	if err == nil {
		err = v.read(ctx, func(tx *txn) error {
			var err error
			v.settings, err = tx.getSettings()
			return err
		})
	}
	if err != nil && opts.Inspect && errors.Is(err, ErrIntegrity) {
		// Verify lists what is wrong rather than refusing to look.
		v.inspectErr = err
		v.settings = DefaultSettings()
		err = nil
	}
	if err == nil && !opts.ReadOnly {
		err = v.housekeeping(ctx)
	}
	if err != nil {
		v.Close()
		return nil, err
	}
	return v, nil
}

// Close flushes and closes the store and wipes the keys from memory. Calls
// in flight are cancelled and Close waits for them: each finishes or fails
// with ErrClosed, and every later call fails with ErrClosed. Calling Close
// again returns the first call's result.
func (v *Vault) Close() error {
	v.closeOnce.Do(func() {
		v.gate.Lock()
		v.closed = true
		v.gate.Unlock()
		v.stop()
		v.calls.Wait()
		v.mu.Lock()
		defer v.mu.Unlock()
		v.closeErr = v.db.Close()
		v.db = nil
		// The store is closed, so every write is on disk: remember the
		// state it ends in.
		if v.closeErr == nil && !v.readOnly && v.stateOn && v.counter > v.seen {
			v.closeErr = v.saveSeen(v.counter)
		}
		v.kr.Wipe()
		v.watchers.close()
		if !v.readOnly {
			tightenFiles(filepath.Join(v.dir, dbDir))
		}
	})
	return v.closeErr
}

// Changes reports the changes this session commits. A vault is written
// only through its one open session (the directory lock), so that is
// every change while it is open.
func (v *Vault) Changes(ctx context.Context) (<-chan Change, error) {
	return v.watchers.add(ctx)
}

// closeStore closes the store of a session that was never handed out,
// and keeps the keys.
func (v *Vault) closeStore() {
	v.stop()
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.db != nil {
		v.db.Close()
		v.db = nil
	}
}

// Info describes the open vault.
func (v *Vault) Info(ctx context.Context) (_ Info, err error) {
	_, done, err := v.enter(ctx)
	if err != nil {
		return Info{}, err
	}
	defer done(&err)
	v.mu.Lock()
	kdf := v.header.KDF
	v.mu.Unlock()
	return Info{
		Dir:      v.dir,
		ID:       fmt.Sprintf("%x", v.kr.VaultID()),
		ReadOnly: v.readOnly,
		Actor:    v.actor,
		Now:      v.now(),
		KDF:      KDFParams(kdf),
	}, nil
}

// Settings returns the vault settings.
func (v *Vault) Settings(ctx context.Context) (_ Settings, err error) {
	_, done, err := v.enter(ctx)
	if err != nil {
		return Settings{}, err
	}
	defer done(&err)
	return v.currentSettings(), nil
}

func (v *Vault) currentSettings() Settings {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.settings
}

// SetSetting changes one setting (see SettingKeys). Turning on purge
// protection and turning the agent off take the current passphrase
// (reauth.go); other changes ignore current.
func (v *Vault) SetSetting(ctx context.Context, key, value string, current []byte) (err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return err
	}
	defer done(&err)
	if set, err := v.currentSettings().With(key, value); err == nil {
		if what := sensitiveSetting(v.currentSettings(), set); what != "" {
			if err := v.checkCurrent(current, what); err != nil {
				return err
			}
		}
	}
	return v.write(ctx, func(tx *txn) error {
		set, err := v.settings.With(key, value)
		if err != nil {
			return err
		}
		// With refuses turning protection off; this catches the rest.
		if _, undone := v.settings.guard(set); undone {
			return errShorterRetention
		}
		tx.putSettings(set)
		tx.onCommit(func() { v.settings = set })
		return tx.audit(Event{Op: OpConfig, Note: key + "=" + value, Outcome: "ok"})
	})
}

// RecordBackup records that a backup export of the whole vault was
// written now: check's backup reminder (backup-every) counts from here.
func (v *Vault) RecordBackup(ctx context.Context) (err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return err
	}
	defer done(&err)
	return v.write(ctx, func(tx *txn) error {
		set := v.settings
		set.LastBackup = tx.now
		tx.putSettings(set)
		tx.onCommit(func() { v.settings = set })
		// The export itself is audited (Snapshot); this only moves the
		// reminder's clock.
		return nil
	})
}

// canChangePassphrase says whether ChangePassphrase or Rekey may go
// ahead: current must be the vault's passphrase (reauth.go).
func (v *Vault) canChangePassphrase(ctx context.Context, current, newPassphrase []byte, what string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if v.readOnly {
		return ErrReadOnly
	}
	if len(newPassphrase) == 0 {
		return fmt.Errorf("%w: empty passphrase", ErrInvalid)
	}
	return v.checkCurrent(current, what)
}

// ChangePassphrase rewraps the data key under a new passphrase and KDF
// parameters, given the current passphrase. No record is re-encrypted.
func (v *Vault) ChangePassphrase(ctx context.Context, current, newPassphrase []byte, kdf KDFParams) (err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return err
	}
	defer done(&err)
	if err := v.canChangePassphrase(ctx, current, newPassphrase, "changing the passphrase"); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	nh, err := v.header.Rewrap(v.kr, newPassphrase, keyring.Params(kdf))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := checkSpace(v.dir, 0); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(v.dir, headerFile), nh.Marshal()); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	v.header = nh
	return v.updateLocked(func(tx *txn) error {
		return tx.audit(Event{Op: OpPasswd, Outcome: "ok", Client: clientFrom(ctx)})
	})
}

// PutMode says whether Put may create a secret, add to one, or both.
type PutMode int

const (
	// PutAny creates the secret or adds a version to it.
	PutAny PutMode = iota
	// PutCreate only creates: an existing name fails with ErrExists, so a
	// form that checked the name before asking for the value cannot
	// overwrite a secret made meanwhile.
	PutCreate
	// PutExisting only adds a version: a missing name fails with
	// ErrNotFound.
	PutExisting
)

// PutOptions describe a new version.
type PutOptions struct {
	Mode        PutMode
	ContentType string
	Expires     time.Time
	NotBefore   time.Time
	// Tags are merged into the secret's tags.
	Tags map[string]string
	// Op is OpSet (the default) or OpRotate. A rotation replaces the value
	// of an existing secret (it implies PutExisting), ends any snooze, and
	// keeps the current content type when ContentType is empty.
	Op Op
	// Note goes into the audit event.
	Note string
}

// Put adds a new version holding value, as o says.
func (v *Vault) Put(ctx context.Context, name string, value []byte, o PutOptions) (_ Version, err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return Version{}, err
	}
	defer done(&err)
	if err := ValidateName(name); err != nil {
		return Version{}, err
	}
	if err := ValidateValue(value); err != nil {
		return Version{}, err
	}
	if err := ValidateTimes(NamedTime{"expires", o.Expires}, NamedTime{"not-before", o.NotBefore}); err != nil {
		return Version{}, err
	}
	if err := ValidateContentType(o.ContentType); err != nil {
		return Version{}, err
	}
	if err := ValidateTags(o.Tags); err != nil {
		return Version{}, err
	}
	switch o.Op {
	case "":
		o.Op = OpSet
	case OpSet:
	case OpRotate:
		o.Mode = PutExisting
	default:
		return Version{}, fmt.Errorf("%w: a put is audited as set or rotate, not %q", ErrInvalid, o.Op)
	}
	var ver Version
	err = v.write(ctx, func(tx *txn) error {
		id, s, err := tx.lookup(name)
		switch {
		case errors.Is(err, ErrNotFound) && o.Mode != PutExisting:
			id = newID()
			now := tx.now
			s = &Secret{Name: name, Created: now, Enabled: true}
			tx.setIndex(name, id)
		case err != nil:
			return err
		case s.InTrash() && o.Mode == PutExisting:
			return fmt.Errorf("%w: %q", ErrDeleted, name)
		case s.InTrash():
			return fmt.Errorf("%w: %q was deleted; recover it or purge it before reusing the name", ErrInTrash, name)
		case o.Mode == PutCreate:
			return fmt.Errorf("%w: %q", ErrExists, name)
		}
		if len(o.Tags) > 0 {
			if s.Tags == nil {
				s.Tags = map[string]string{}
			}
			for k, val := range o.Tags {
				s.Tags[k] = val
			}
		}
		ct := o.ContentType
		if o.Op == OpRotate {
			delete(s.Tags, TagSnoozeUntil)
			if ct == "" {
				ct = s.Current().ContentType
			}
		}
		if err := ValidateTags(s.Tags); err != nil {
			return err
		}
		ver, err = tx.addVersion(id, s, value, Version{ContentType: ct, Expires: o.Expires, NotBefore: o.NotBefore})
		if err != nil {
			return err
		}
		return tx.audit(Event{Op: o.Op, Secret: name, id: id, Version: ver.Number, Note: o.Note, Outcome: "ok"})
	})
	return ver, err
}

// Get returns a version's value (0 means the current one). A disabled
// secret's value is refused with ErrDisabled. Handing out a value is
// audited as purpose, which must be a read operation (Op.Read).
func (v *Vault) Get(ctx context.Context, name string, version int, purpose Op) ([]byte, Version, error) {
	return v.GetFor(ctx, name, version, purpose, "")
}

// GetFor is Get with the recipient of the value in its audit event.
func (v *Vault) GetFor(ctx context.Context, name string, version int, purpose Op, to string) (_ []byte, _ Version, err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return nil, Version{}, err
	}
	defer done(&err)
	if !purpose.Read() {
		return nil, Version{}, fmt.Errorf("%w: %q is not a purpose for reading a value", ErrInvalid, purpose)
	}
	var (
		val []byte
		ver Version
	)
	read := func(tx *txn) error {
		id, s, err := tx.lookupLive(name)
		if err != nil {
			return err
		}
		if !s.Enabled {
			return fmt.Errorf("%w: %q", ErrDisabled, name)
		}
		if version == 0 {
			ver = s.Current()
		} else if ver, err = versionOf(s, version); err != nil {
			return err
		}
		val, err = tx.value(id, ver.Number)
		if err != nil || v.readOnly {
			return err
		}
		tx.lazy = true
		return tx.audit(Event{Op: purpose, Secret: name, id: id, Version: ver.Number, To: to, Outcome: "ok"})
	}
	if v.readOnly {
		err = v.read(ctx, read)
	} else {
		err = v.write(ctx, read)
	}
	return val, ver, err
}

func versionOf(s *Secret, n int) (Version, error) {
	ver, ok := s.Version(n)
	if !ok {
		return Version{}, fmt.Errorf("%w: %q has no version %d", ErrNotFound, s.Name, n)
	}
	return ver, nil
}

// Secret returns a secret's metadata (never its value). Secrets in the
// trash are returned too; check InTrash.
func (v *Vault) Secret(ctx context.Context, name string) (_ Secret, err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return Secret{}, err
	}
	defer done(&err)
	if v.cache != nil {
		if err := v.cache.ensure(ctx, v); err != nil {
			return Secret{}, err
		}
		if s, ok := v.cache.secret(name); ok {
			return *s, nil
		}
		return Secret{}, errNoSecret(name)
	}
	var s *Secret
	err = v.read(ctx, func(tx *txn) error {
		var err error
		_, s, err = tx.lookup(name)
		return err
	})
	if err != nil {
		return Secret{}, err
	}
	return *s, nil
}

// ListOptions filter List.
type ListOptions struct {
	// Prefix keeps names that start with it.
	Prefix string
	// Deleted lists the trash instead of the live secrets.
	Deleted bool
	// Tags keeps secrets that carry every one of these key=value pairs.
	Tags map[string]string
	// Statuses keeps secrets whose status at At is one of these.
	Statuses []Status
	// At is the moment status is computed for (default now).
	At time.Time
}

// List returns the matching secrets' metadata, sorted by name.
func (v *Vault) List(ctx context.Context, o ListOptions) (out []Secret, err error) {
	err = v.list(ctx, o, func(ctx context.Context, keep func(*Secret) bool) error {
		if v.cache != nil {
			if err := v.cache.ensure(ctx, v); err != nil {
				return err
			}
			out = v.cache.list(o.Prefix, keep)
			return nil
		}
		var found []*Secret
		err := v.read(ctx, func(tx *txn) error {
			var err error
			found, err = tx.secrets(ctx, keep)
			return err
		})
		if err != nil {
			return err
		}
		// Sort small (name, index) pairs, contiguous in memory, rather than
		// the large structs or pointers to them: at 100k secrets this halves
		// the sort.
		type byName struct {
			name string
			i    int
		}
		keys := make([]byName, len(found))
		for i, s := range found {
			keys[i] = byName{s.Name, i}
		}
		slices.SortFunc(keys, func(a, b byName) int { return strings.Compare(a.name, b.name) })
		out = make([]Secret, len(found))
		for i, k := range keys {
			out[i] = *found[k.i]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// list admits a call that lists what o selects (List, ListPacked) and
// runs fn with the call's context and o's filter.
func (v *Vault) list(ctx context.Context, o ListOptions, fn func(ctx context.Context, keep func(*Secret) bool) error) (err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return err
	}
	defer done(&err)
	if err := ValidatePrefix(o.Prefix); err != nil {
		return err
	}
	at := o.At
	if at.IsZero() {
		at = v.now()
	}
	set := v.currentSettings()
	return fn(ctx, func(s *Secret) bool {
		if s.InTrash() != o.Deleted || !strings.HasPrefix(s.Name, o.Prefix) || !hasTags(s, o.Tags) {
			return false
		}
		return len(o.Statuses) == 0 || slices.Contains(o.Statuses, s.Status(at, set))
	})
}

// Attributes change a secret without adding a version. Nil fields stay.
type Attributes struct {
	ContentType *string
	Expires     *time.Time
	NotBefore   *time.Time
	Enabled     *bool
	// Note says why, in the audit log.
	Note string
}

// Update changes the current version's attributes or the enabled flag.
// Attributes describe how a value may be used, not the value, so the contract
// lets them change in place like Key Vault's "update secret properties".
func (v *Vault) Update(ctx context.Context, name string, a Attributes) (err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return err
	}
	defer done(&err)
	if a.ContentType != nil {
		if err := ValidateContentType(*a.ContentType); err != nil {
			return err
		}
	}
	for _, nt := range []struct {
		what string
		t    *time.Time
	}{{"expires", a.Expires}, {"not-before", a.NotBefore}} {
		if nt.t != nil {
			if err := ValidateTime(nt.what, *nt.t); err != nil {
				return err
			}
		}
	}
	op := OpUpdate
	if a.Enabled != nil && a.ContentType == nil && a.Expires == nil && a.NotBefore == nil {
		op = map[bool]Op{true: OpEnable, false: OpDisable}[*a.Enabled]
	}
	return v.modify(ctx, name, op, a.Note, func(s *Secret) error {
		cur := &s.Versions[len(s.Versions)-1]
		if a.ContentType != nil {
			cur.ContentType = *a.ContentType
		}
		if a.Expires != nil {
			cur.Expires = utcOrZero(*a.Expires)
		}
		if a.NotBefore != nil {
			cur.NotBefore = utcOrZero(*a.NotBefore)
		}
		if a.Enabled != nil {
			s.Enabled = *a.Enabled
		}
		return nil
	})
}

// modify applies change to a live secret's metadata and audits it; it
// gives up when ctx is done.
func (v *Vault) modify(ctx context.Context, name string, op Op, note string, change func(*Secret) error) error {
	return v.write(ctx, func(tx *txn) error {
		id, s, err := tx.lookupLive(name)
		if err != nil {
			return err
		}
		if err := change(s); err != nil {
			return err
		}
		s.Updated = tx.now
		tx.putSecret(id, s)
		return tx.audit(Event{Op: op, Secret: name, id: id, Note: note, Outcome: "ok"})
	})
}

// Rename moves a secret to a new name; history, tags and audit trail
// follow it because they hang off its id, not its name.
func (v *Vault) Rename(ctx context.Context, oldName, newName string) (err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return err
	}
	defer done(&err)
	if err := ValidateName(newName); err != nil {
		return err
	}
	return v.write(ctx, func(tx *txn) error {
		id, s, err := tx.lookupLive(oldName)
		if err != nil {
			return err
		}
		if _, other, err := tx.lookup(newName); err == nil {
			if other.InTrash() {
				return fmt.Errorf("%w: %q is in the trash; recover or purge it first", ErrInTrash, newName)
			}
			return fmt.Errorf("%w: %q", ErrExists, newName)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		tx.delete(tx.indexKey(oldName))
		tx.setIndex(newName, id)
		s.Name = newName
		s.Updated = tx.now
		tx.putSecret(id, s)
		return tx.audit(Event{Op: OpMove, Secret: newName, id: id, Note: "from " + oldName, Outcome: "ok"})
	})
}

// Rollback adds a new version whose value and content type are those of
// version n. Expiry and not-before are not copied: they belonged to the
// old version's lifetime.
func (v *Vault) Rollback(ctx context.Context, name string, n int) (_ Version, err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return Version{}, err
	}
	defer done(&err)
	var ver Version
	err = v.write(ctx, func(tx *txn) error {
		id, s, err := tx.lookupLive(name)
		if err != nil {
			return err
		}
		old, err := versionOf(s, n)
		if err != nil {
			return err
		}
		val, err := tx.value(id, n)
		if err != nil {
			return err
		}
		ver, err = tx.addVersion(id, s, val, Version{ContentType: old.ContentType})
		if err != nil {
			return err
		}
		return tx.audit(Event{Op: OpRollback, Secret: name, id: id, Version: ver.Number, Note: fmt.Sprintf("to version %d", n), Outcome: "ok"})
	})
	return ver, err
}

// Delete moves a secret to the trash.
func (v *Vault) Delete(ctx context.Context, name string) (err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return err
	}
	defer done(&err)
	return v.write(ctx, func(tx *txn) error {
		id, s, err := tx.lookupLive(name)
		if err != nil {
			return err
		}
		s.Deleted = tx.now
		tx.putSecret(id, s)
		tx.set(key(kindTrash, id), tx.seal(kindTrash, key(kindTrash, id), encodeTime(tx.now)))
		return tx.audit(Event{Op: OpDelete, Secret: name, id: id, Outcome: "ok"})
	})
}

// Recover brings a secret back from the trash unchanged.
func (v *Vault) Recover(ctx context.Context, name string) (err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return err
	}
	defer done(&err)
	return v.write(ctx, func(tx *txn) error {
		id, s, err := tx.lookup(name)
		if err != nil {
			return err
		}
		if !s.InTrash() {
			return fmt.Errorf("%w: %q is not in the trash", ErrNotFound, name)
		}
		s.Deleted = time.Time{}
		tx.putSecret(id, s)
		tx.delete(key(kindTrash, id))
		return tx.audit(Event{Op: OpRecover, Secret: name, id: id, Outcome: "ok"})
	})
}

// PurgeAt is when a secret deleted at deleted may be purged under purge
// protection, and when it is purged automatically.
func (set Settings) PurgeAt(deleted time.Time) time.Time { return deleted.Add(set.Retention) }

// Protected reports whether purge protection forbids purging a secret
// deleted at deleted, at now, and until when.
func (set Settings) Protected(deleted, now time.Time) (until time.Time, protected bool) {
	until = set.PurgeAt(deleted)
	return until, set.PurgeProtection && now.Before(until)
}

// CheckPurge says why s may not be purged at now, or nil: it must be in
// the trash, and purge protection must allow it.
func (set Settings) CheckPurge(s *Secret, now time.Time) error {
	if !s.InTrash() {
		return fmt.Errorf("%w: %q is not in the trash; delete it first", ErrInvalid, s.Name)
	}
	if until, protected := set.Protected(s.Deleted, now); protected {
		return fmt.Errorf("%w: %q can be purged from %s", ErrPurgeProtected, s.Name, until.Format(time.DateOnly))
	}
	return nil
}

// Purge destroys a secret in the trash for good: its records are deleted
// and the store compacted so that no sealed copy remains on disk.
func (v *Vault) Purge(ctx context.Context, name string) (err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return err
	}
	defer done(&err)
	var id []byte
	err = v.write(ctx, func(tx *txn) error {
		var s *Secret
		var err error
		id, s, err = tx.lookup(name)
		if err != nil {
			return err
		}
		if err := v.settings.CheckPurge(s, tx.now); err != nil {
			return err
		}
		tx.purge(id, s)
		return tx.audit(Event{Op: OpPurge, Secret: name, id: id, Outcome: "ok"})
	})
	if err != nil {
		return err
	}
	return v.scrub()
}

// Audit returns the audit events, oldest first; with a name, only that
// secret's (following renames).
func (v *Vault) Audit(ctx context.Context, name string) (_ []Event, err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done(&err)
	var id []byte
	var out []Event
	err = v.read(ctx, func(tx *txn) error {
		if name != "" {
			var err error
			if id, _, err = tx.lookup(name); err != nil {
				return err
			}
		}
		return tx.eachEvent(func(e Event) error {
			if id == nil || bytes.Equal(e.id, id) {
				out = append(out, e)
			}
			return nil
		})
	})
	return out, err
}

// Review records a rotation review decision with its note, about one
// secret or, with no name, about the whole session. It is the only event a
// caller writes without changing anything else.
func (v *Vault) Review(ctx context.Context, name, note string) (err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return err
	}
	defer done(&err)
	return v.write(ctx, func(tx *txn) error {
		e := Event{Op: OpReview, Secret: name, Note: note, Outcome: "ok"}
		if name != "" {
			id, _, err := tx.lookup(name)
			if err != nil {
				return err
			}
			e.id = id
		}
		return tx.audit(e)
	})
}

// housekeeping runs when the vault is opened for writing: it finishes
// an import and purges that a crash interrupted, and purges trash past its
// retention.
func (v *Vault) housekeeping(ctx context.Context) error {
	// A header write that a crash interrupted leaves its temporary file.
	if stale, err := filepath.Glob(filepath.Join(v.dir, ".tmp-*")); err == nil {
		for _, f := range stale {
			os.Remove(f)
		}
	}
	// Finish an import a crash interrupted before anything else writes.
	if err := v.recoverImport(); err != nil {
		return err
	}
	// Finish interrupted purges next, so that their trash records are not
	// purged twice.
	if err := v.scrub(); err != nil {
		return err
	}
	var expired [][]byte
	err := v.read(ctx, func(tx *txn) error {
		return tx.eachTrash(func(id []byte, deleted time.Time) error {
			if !tx.now.Before(v.settings.PurgeAt(deleted)) {
				expired = append(expired, id)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	if len(expired) == 0 {
		return nil
	}
	err = v.write(ctx, func(tx *txn) error {
		for _, id := range expired {
			s, err := tx.secretByID(id)
			if err != nil {
				return err
			}
			tx.purge(id, s)
			if err := tx.audit(Event{Op: OpPurge, Secret: s.Name, id: id, Note: "retention ended", Outcome: "ok"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return v.scrub()
}

func newID() []byte {
	id := make([]byte, idSize)
	if _, err := rand.Read(id); err != nil {
		panic(err)
	}
	return id
}
