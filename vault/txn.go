package vault

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// txn wraps one Badger transaction with the vault's keys, so that every
// record is sealed on the way in and authenticated on the way out. Errors
// from Set and Delete are kept and reported at commit, which keeps the
// callers straight-line.
type txn struct {
	v       *Vault
	tx      *badger.Txn
	now     time.Time
	err     error
	commits []func()
}

func (v *Vault) newTxn(update bool) *txn {
	return &txn{v: v, tx: v.db.NewTransaction(update), now: v.now().UTC().Round(0)}
}

// view runs fn in a read-only transaction: one consistent snapshot.
func (v *Vault) view(fn func(*txn) error) error {
	if v.db == nil {
		return errClosed
	}
	t := v.newTxn(false)
	defer t.tx.Discard()
	return fn(t)
}

var errClosed = errors.New("vault is closed")

// update runs fn in a read-write transaction and commits it when fn
// succeeds; on any error nothing is written.
func (v *Vault) update(fn func(*txn) error) error {
	if v.readOnly {
		return ErrReadOnly
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.updateLocked(fn)
}

func (v *Vault) updateLocked(fn func(*txn) error) error {
	if v.db == nil {
		return errClosed
	}
	t := v.newTxn(true)
	defer t.tx.Discard()
	if err := fn(t); err != nil {
		return err
	}
	if t.err != nil {
		return fmt.Errorf("write: %w", t.err)
	}
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	for _, f := range t.commits {
		f()
	}
	return nil
}

func (t *txn) onCommit(f func()) { t.commits = append(t.commits, f) }

func (t *txn) set(k, val []byte) {
	if t.err == nil {
		t.err = t.tx.Set(k, val)
	}
}

func (t *txn) delete(k []byte) {
	if t.err == nil {
		t.err = t.tx.Delete(k)
	}
}

func (t *txn) seal(kind byte, k []byte, plaintext []byte) []byte {
	return t.v.kr.Seal(kind, k, 0, plaintext)
}

// get returns the opened record at k, ErrNotFound when there is none, or
// ErrIntegrity when it fails authentication.
func (t *txn) get(kind byte, k []byte, version uint64) ([]byte, error) {
	item, err := t.tx.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	var pt []byte
	err = item.Value(func(sealed []byte) error {
		pt, err = t.v.kr.Open(kind, k, version, sealed)
		return err
	})
	return pt, err
}

func (t *txn) indexKey(name string) []byte {
	return key(kindIndex, t.v.kr.Index("name", []byte(name)))
}

func (t *txn) setIndex(name string, id []byte) {
	k := t.indexKey(name)
	t.set(k, t.seal(kindIndex, k, id))
}

// lookup finds a secret by name, live or in the trash.
func (t *txn) lookup(name string) ([]byte, *Secret, error) {
	id, err := t.get(kindIndex, t.indexKey(name), 0)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, fmt.Errorf("%w: no secret %q", ErrNotFound, Sanitize(name))
	}
	if err != nil {
		return nil, nil, err
	}
	if len(id) != idSize {
		return nil, nil, ErrIntegrity
	}
	s, err := t.secretByID(id)
	if err != nil {
		return nil, nil, err
	}
	if s.Name != name {
		// The index and the record disagree: a record was moved.
		return nil, nil, ErrIntegrity
	}
	return id, s, nil
}

// lookupLive is lookup that treats a secret in the trash as absent.
func (t *txn) lookupLive(name string) ([]byte, *Secret, error) {
	id, s, err := t.lookup(name)
	if err == nil && s.InTrash() {
		return nil, nil, fmt.Errorf("%w: %q is in the trash (locket recover %s)", ErrNotFound, Sanitize(name), Sanitize(name))
	}
	return id, s, err
}

func (t *txn) secretByID(id []byte) (*Secret, error) {
	k := key(kindMeta, id)
	pt, err := t.get(kindMeta, k, 0)
	if errors.Is(err, ErrNotFound) {
		// An index entry without its record: something was removed.
		return nil, ErrIntegrity
	}
	if err != nil {
		return nil, err
	}
	return openSecret(pt)
}

func openSecret(pt []byte) (*Secret, error) {
	s, err := decodeSecret(pt)
	if err != nil || len(s.Versions) == 0 {
		return nil, fmt.Errorf("%w: %v", ErrIntegrity, errCodec)
	}
	return s, nil
}

func (t *txn) putSecret(id []byte, s *Secret) {
	k := key(kindMeta, id)
	t.set(k, t.seal(kindMeta, k, encodeSecret(s)))
}

func valueKey(id []byte, version int) []byte {
	return key(kindValue, id, binary.BigEndian.AppendUint64(nil, uint64(version)))
}

func (t *txn) value(id []byte, version int) ([]byte, error) {
	val, err := t.get(kindValue, valueKey(id, version), uint64(version))
	if errors.Is(err, ErrNotFound) {
		return nil, ErrIntegrity // the metadata names a version whose value is gone
	}
	return val, err
}

// addVersion appends a version holding value to s and stores both,
// pruning versions beyond the max-versions setting.
func (t *txn) addVersion(id []byte, s *Secret, value []byte, ver Version) (Version, error) {
	ver.Number = 1
	if len(s.Versions) > 0 {
		ver.Number = s.Current().Number + 1
	}
	ver.Created = t.now
	ver.Actor = t.v.actor
	ver.Size = len(value)
	ver.Expires = utcOrZero(ver.Expires)
	ver.NotBefore = utcOrZero(ver.NotBefore)
	s.Versions = append(s.Versions, ver)
	s.Updated = t.now
	if m := t.v.settings.MaxVersions; m > 0 {
		for len(s.Versions) > m {
			t.delete(valueKey(id, s.Versions[0].Number))
			s.Versions = s.Versions[1:]
		}
	}
	vk := valueKey(id, ver.Number)
	t.set(vk, t.v.kr.Seal(kindValue, vk, uint64(ver.Number), value))
	t.putSecret(id, s)
	return ver, nil
}

func utcOrZero(tm time.Time) time.Time {
	if tm.IsZero() {
		return time.Time{}
	}
	return tm.UTC().Round(0)
}

// eachSecret calls fn for every secret, live and in the trash, in id order.
func (t *txn) eachSecret(fn func(id []byte, s *Secret) error) error {
	return t.each(kindMeta, func(k, pt []byte) error {
		s, err := openSecret(pt)
		if err != nil {
			return err
		}
		return fn(k[1:], s)
	})
}

// each iterates the records of one kind, opening each.
func (t *txn) each(kind byte, fn func(k, pt []byte) error) error {
	it := t.tx.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 256, Prefix: []byte{kind}})
	defer it.Close()
	var pt []byte
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		k := item.Key()
		err := item.Value(func(sealed []byte) error {
			var err error
			pt, err = t.v.kr.Open(kind, k, 0, sealed)
			return err
		})
		if err != nil {
			return err
		}
		if err := fn(k, pt); err != nil {
			return err
		}
	}
	return nil
}

func encodeTime(tm time.Time) []byte { return appendTime(nil, tm) }

func decodeTime(b []byte) (time.Time, error) {
	d := &decoder{b: b}
	tm := d.time()
	if d.err != nil {
		return time.Time{}, ErrIntegrity
	}
	return tm, nil
}

func (t *txn) eachTrash(fn func(id []byte, deleted time.Time) error) error {
	return t.each(kindTrash, func(k, pt []byte) error {
		tm, err := decodeTime(pt)
		if err != nil {
			return err
		}
		return fn(bytes.Clone(k[1:]), tm)
	})
}

// purge deletes every record of a secret and leaves a scrub marker that
// asks for the compaction which removes them from the disk. The marker
// is part of the same transaction, so a crash before the compaction
// leaves work that the next writer finishes.
func (t *txn) purge(id []byte, s *Secret) {
	ik := t.indexKey(s.Name)
	for _, ver := range s.Versions {
		t.delete(valueKey(id, ver.Number))
	}
	t.delete(ik)
	t.delete(key(kindMeta, id))
	t.delete(key(kindTrash, id))
	t.set(key(kindScrub, id), ik)
}

// scrub drops, from every level of the store, the records of secrets whose
// purge is committed, then clears the markers. Badger's DropPrefix flushes
// the memtable and rewrites the tables that hold those keys, so no sealed
// copy of them stays in the vault directory (SPEC invariant 7).
func (v *Vault) scrub() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	var markers, prefixes [][]byte
	err := v.view(func(tx *txn) error {
		it := tx.tx.NewIterator(badger.IteratorOptions{PrefetchValues: true, Prefix: []byte{kindScrub}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().KeyCopy(nil)
			ik, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			id := k[1:]
			markers = append(markers, k)
			prefixes = append(prefixes, key(kindMeta, id), key(kindValue, id), key(kindTrash, id), ik)
		}
		return nil
	})
	if err != nil || len(markers) == 0 {
		return err
	}
	if err := v.db.DropPrefix(prefixes...); err != nil {
		return fmt.Errorf("compact after purge: %w", err)
	}
	return v.updateLocked(func(tx *txn) error {
		for _, k := range markers {
			tx.delete(k)
		}
		return nil
	})
}

func (t *txn) putSettings(set Settings) {
	b, err := json.Marshal(set)
	if err != nil {
		panic(err)
	}
	k := []byte{kindSettings}
	t.set(k, t.seal(kindSettings, k, b))
}

func (t *txn) getSettings() (Settings, error) {
	pt, err := t.get(kindSettings, []byte{kindSettings}, 0)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Settings{}, ErrIntegrity // every vault has its settings
		}
		return Settings{}, err
	}
	set := DefaultSettings()
	if err := json.Unmarshal(pt, &set); err != nil {
		return Settings{}, fmt.Errorf("%w: settings: %v", ErrIntegrity, err)
	}
	return set, nil
}
