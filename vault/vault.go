// Package vault is locket's domain: secrets, versions, tags, status, the
// trash, the audit log and the vault settings, stored in an embedded Badger
// database whose keys are opaque and whose values are sealed by keyring.
//
// The API is a small service boundary with no Badger types in it, so that
// the CLI, the TUI, backups and a later agent all use the same calls. Every
// method that changes the vault runs in one Badger transaction together with
// its audit event: it happens entirely or not at all.
package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
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

	// stateOn: the vault has a state commitment (state.go); false only for
	// a vault made before it, until its first writable open.
	stateOn bool
	// verified: the whole state was checked on this handle.
	verified atomic.Bool
	// counter is the commitment's counter as this handle last saw or wrote
	// it; seen is what the machine remembers (seen.go).
	counter, seen uint64
	stateDir      string
	// inspectErr is the integrity error an Inspect open found.
	inspectErr error
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

// Create makes a new vault in dir, which must not hold one already. The
// directory is created with mode 0700 if it does not exist.
func Create(ctx context.Context, dir string, passphrase []byte, kdf keyring.Params, set Settings, opts Options) (*Vault, error) {
	privateFiles()
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
	hdr, kr, err := keyring.New(passphrase, kdf)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	opts.fill()
	db, err := openBadger(ctx, dir, opts.Wait, false)
	if err != nil {
		return nil, err
	}
	v := &Vault{dir: dir, db: db, kr: kr, header: hdr, now: opts.Now, actor: opts.Actor, settings: set, stateOn: true, stateDir: opts.StateDir}
	v.verified.Store(true)
	err = v.write(ctx, func(tx *txn) error {
		tx.freshState = true
		tx.putSettings(set)
		return tx.audit(Event{Op: "init", Outcome: "ok"})
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
	privateFiles()
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
	db, err := openBadger(ctx, dir, opts.Wait, opts.ReadOnly)
	if err != nil {
		kr.Wipe()
		return nil, err
	}
	v := &Vault{dir: dir, db: db, kr: kr, header: hdr, readOnly: opts.ReadOnly, now: opts.Now, actor: opts.Actor, stateDir: opts.StateDir}
	err = v.openState(ctx, opts.AcceptRollback)
	if errors.Is(err, errPendingImport) {
		// A crash interrupted an import that had committed. A reader must
		// see all of it or none (SPEC: an import is all-or-nothing), so a
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

// Close flushes and closes the store and wipes the keys from memory. It
// waits for a write in progress; calling it again does nothing. Other
// calls must not run concurrently with Close.
func (v *Vault) Close() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.db == nil {
		return nil
	}
	err := v.db.Close()
	v.db = nil
	// The store is closed, so every write is on disk: remember the state
	// it ends in.
	if err == nil && !v.readOnly && v.stateOn && v.counter > v.seen {
		err = v.saveSeen(v.counter)
	}
	v.kr.Wipe()
	return err
}

// closeStore closes the store and keeps the keys.
func (v *Vault) closeStore() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.db != nil {
		v.db.Close()
		v.db = nil
	}
}

// Dir is the vault directory.
func (v *Vault) Dir() string { return v.dir }

// ReadOnly reports whether the vault was opened read-only.
func (v *Vault) ReadOnly() bool { return v.readOnly }

// Now is the vault's clock.
func (v *Vault) Now() time.Time { return v.now() }

// Actor is who this vault handle acts as.
func (v *Vault) Actor() string { return v.actor }

// VaultID is the vault's random identity, as hex.
func (v *Vault) VaultID() string { return fmt.Sprintf("%x", v.kr.VaultID()) }

// KDF returns the Argon2id parameters of the current header.
func (v *Vault) KDF() keyring.Params { return v.header.KDF }

// Settings returns the vault settings.
func (v *Vault) Settings() Settings {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.settings
}

// SetSetting changes one setting (see SettingKeys).
func (v *Vault) SetSetting(ctx context.Context, key, value string) error {
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
		return tx.audit(Event{Op: "config", Note: key + "=" + value, Outcome: "ok"})
	})
}

// ChangePassphrase rewraps the data key under a new passphrase and KDF
// parameters. No record is re-encrypted.
func (v *Vault) ChangePassphrase(ctx context.Context, newPassphrase []byte, kdf keyring.Params) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if v.readOnly {
		return ErrReadOnly
	}
	if len(newPassphrase) == 0 {
		return fmt.Errorf("%w: empty passphrase", ErrInvalid)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	nh, err := v.header.Rewrap(v.kr, newPassphrase, kdf)
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
		return tx.audit(Event{Op: "passwd", Outcome: "ok"})
	})
}

// PutOptions describe a new version.
type PutOptions struct {
	ContentType string
	Expires     time.Time
	NotBefore   time.Time
	// Tags are merged into the secret's tags.
	Tags map[string]string
	// Op names the operation in the audit log (default "set").
	Op string
	// Note goes into the audit event.
	Note string
}

// Put adds a new version holding value, creating the secret if needed.
func (v *Vault) Put(ctx context.Context, name string, value []byte, o PutOptions) (Version, error) {
	if err := ValidateName(name); err != nil {
		return Version{}, err
	}
	if err := ValidateValue(value); err != nil {
		return Version{}, err
	}
	if err := ValidateContentType(o.ContentType); err != nil {
		return Version{}, err
	}
	if err := ValidateTags(o.Tags); err != nil {
		return Version{}, err
	}
	if o.Op == "" {
		o.Op = "set"
	}
	var ver Version
	err := v.write(ctx, func(tx *txn) error {
		id, s, err := tx.lookup(name)
		switch {
		case errors.Is(err, ErrNotFound):
			id = newID()
			now := tx.now
			s = &Secret{Name: name, Created: now, Enabled: true}
			tx.setIndex(name, id)
		case err != nil:
			return err
		case s.InTrash():
			return fmt.Errorf("%w: %q was deleted; recover it or purge it before reusing the name", ErrInTrash, name)
		}
		if len(o.Tags) > 0 {
			if s.Tags == nil {
				s.Tags = map[string]string{}
			}
			for k, val := range o.Tags {
				s.Tags[k] = val
			}
			if err := ValidateTags(s.Tags); err != nil {
				return err
			}
		}
		ver, err = tx.addVersion(id, s, value, Version{ContentType: o.ContentType, Expires: o.Expires, NotBefore: o.NotBefore})
		if err != nil {
			return err
		}
		return tx.audit(Event{Op: o.Op, Secret: name, id: id, Version: ver.Number, Note: o.Note, Outcome: "ok"})
	})
	return ver, err
}

// Get returns a version's value (0 means the current one). A disabled
// secret's value is refused with ErrDisabled. Handing out a value is an
// audited operation, named op ("get", "copy", "export", ...).
func (v *Vault) Get(ctx context.Context, name string, version int, op string) ([]byte, Version, error) {
	if op == "" {
		op = "get"
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
			return fmt.Errorf("%w: %q; enable it with locket update --enable", ErrDisabled, name)
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
		return tx.audit(Event{Op: op, Secret: name, id: id, Version: ver.Number, Outcome: "ok"})
	}
	var err error
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
func (v *Vault) Secret(ctx context.Context, name string) (Secret, error) {
	var s *Secret
	err := v.read(ctx, func(tx *txn) error {
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
func (v *Vault) List(ctx context.Context, o ListOptions) ([]Secret, error) {
	if err := ValidatePrefix(o.Prefix); err != nil {
		return nil, err
	}
	at := o.At
	if at.IsZero() {
		at = v.now()
	}
	set := v.Settings()
	var found []*Secret
	err := v.read(ctx, func(tx *txn) error {
		var err error
		found, err = tx.secrets(ctx, func(s *Secret) bool {
			if s.InTrash() != o.Deleted || !strings.HasPrefix(s.Name, o.Prefix) || !hasTags(s, o.Tags) {
				return false
			}
			return len(o.Statuses) == 0 || slices.Contains(o.Statuses, s.Status(at, set))
		})
		return err
	})
	if err != nil {
		return nil, err
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
	out := make([]Secret, len(found))
	for i, k := range keys {
		out[i] = *found[k.i]
	}
	return out, nil
}

// Tag sets tags on a secret. It adds no version.
func (v *Vault) Tag(ctx context.Context, name string, tags map[string]string, note string) error {
	if err := ValidateTags(tags); err != nil {
		return err
	}
	return v.modify(ctx, name, "tag", note, func(s *Secret) error {
		if s.Tags == nil {
			s.Tags = map[string]string{}
		}
		for k, val := range tags {
			s.Tags[k] = val
		}
		return ValidateTags(s.Tags)
	})
}

// Untag removes tag keys from a secret. Removing a key it does not carry
// is an error, so that a typo does not pass silently.
func (v *Vault) Untag(ctx context.Context, name string, keys []string) error {
	return v.modify(ctx, name, "untag", strings.Join(keys, ","), func(s *Secret) error {
		for _, k := range keys {
			if _, ok := s.Tags[k]; !ok {
				return fmt.Errorf("%w: %q has no tag %q", ErrNotFound, name, k)
			}
			delete(s.Tags, k)
		}
		return nil
	})
}

// Attributes change a secret without adding a version. Nil fields stay.
type Attributes struct {
	ContentType *string
	Expires     *time.Time
	NotBefore   *time.Time
	Enabled     *bool
}

// Update changes the current version's attributes or the enabled flag.
// Attributes describe how a value may be used, not the value, so SPEC
// lets them change in place like Key Vault's "update secret properties".
func (v *Vault) Update(ctx context.Context, name string, a Attributes) error {
	if a.ContentType != nil {
		if err := ValidateContentType(*a.ContentType); err != nil {
			return err
		}
	}
	op := "update"
	if a.Enabled != nil && a.ContentType == nil && a.Expires == nil && a.NotBefore == nil {
		op = map[bool]string{true: "enable", false: "disable"}[*a.Enabled]
	}
	return v.modify(ctx, name, op, "", func(s *Secret) error {
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
func (v *Vault) modify(ctx context.Context, name, op, note string, change func(*Secret) error) error {
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
func (v *Vault) Rename(ctx context.Context, oldName, newName string) error {
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
		return tx.audit(Event{Op: "mv", Secret: newName, id: id, Note: "from " + oldName, Outcome: "ok"})
	})
}

// Rollback adds a new version whose value and content type are those of
// version n. Expiry and not-before are not copied: they belonged to the
// old version's lifetime.
func (v *Vault) Rollback(ctx context.Context, name string, n int) (Version, error) {
	var ver Version
	err := v.write(ctx, func(tx *txn) error {
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
		return tx.audit(Event{Op: "rollback", Secret: name, id: id, Version: ver.Number, Note: fmt.Sprintf("to version %d", n), Outcome: "ok"})
	})
	return ver, err
}

// Delete moves a secret to the trash.
func (v *Vault) Delete(ctx context.Context, name string) error {
	return v.write(ctx, func(tx *txn) error {
		id, s, err := tx.lookupLive(name)
		if err != nil {
			return err
		}
		s.Deleted = tx.now
		tx.putSecret(id, s)
		tx.set(key(kindTrash, id), tx.seal(kindTrash, key(kindTrash, id), encodeTime(tx.now)))
		return tx.audit(Event{Op: "rm", Secret: name, id: id, Outcome: "ok"})
	})
}

// Recover brings a secret back from the trash unchanged.
func (v *Vault) Recover(ctx context.Context, name string) error {
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
		return tx.audit(Event{Op: "recover", Secret: name, id: id, Outcome: "ok"})
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
		return fmt.Errorf("%w: %q is not in the trash; delete it first with locket rm", ErrInvalid, s.Name)
	}
	if until, protected := set.Protected(s.Deleted, now); protected {
		return fmt.Errorf("%w: %q can be purged from %s", ErrPurgeProtected, s.Name, until.Format(time.DateOnly))
	}
	return nil
}

// Purge destroys a secret in the trash for good: its records are deleted
// and the store compacted so that no sealed copy remains on disk.
func (v *Vault) Purge(ctx context.Context, name string) error {
	var id []byte
	err := v.write(ctx, func(tx *txn) error {
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
		return tx.audit(Event{Op: "purge", Secret: name, id: id, Outcome: "ok"})
	})
	if err != nil {
		return err
	}
	return v.scrub()
}

// Audit returns the audit events, oldest first; with a name, only that
// secret's (following renames).
func (v *Vault) Audit(ctx context.Context, name string) ([]Event, error) {
	var id []byte
	var out []Event
	err := v.read(ctx, func(tx *txn) error {
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

// Record appends an event that no other call writes, such as a rotation
// review decision with its note.
func (v *Vault) Record(ctx context.Context, name, op, note string) error {
	return v.write(ctx, func(tx *txn) error {
		e := Event{Op: op, Secret: name, Note: note, Outcome: "ok"}
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
			if err := tx.audit(Event{Op: "purge", Secret: s.Name, id: id, Note: "retention ended", Outcome: "ok"}); err != nil {
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
