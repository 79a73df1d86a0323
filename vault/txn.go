package vault

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
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
	// lazy marks a transaction whose only write is the audit event of a
	// read; it is committed without an fsync.
	lazy bool
	// client is who asked, for the audit events (see WithClient).
	client *Client
	// changes are published to the watchers once committed.
	changes []Change
	stateTxn
}

func (v *Vault) newTxn(update bool) *txn {
	return &txn{v: v, tx: v.db.NewTransaction(update), now: v.now().UTC().Round(0)}
}

// view runs fn in a read-only transaction: one consistent snapshot.
func (v *Vault) view(fn func(*txn) error) error {
	if v.db == nil {
		return ErrClosed
	}
	t := v.newTxn(false)
	defer t.tx.Discard()
	return fn(t)
}

// read is view for the API: it gives up at once when ctx is done.
func (v *Vault) read(ctx context.Context, fn func(*txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return v.view(fn)
}

// write is update for the API: a cancelled ctx writes nothing, checked
// both before the transaction and just before it commits.
func (v *Vault) write(ctx context.Context, fn func(*txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return v.update(func(t *txn) error {
		t.client = clientFrom(ctx)
		if err := fn(t); err != nil {
			return err
		}
		return ctx.Err()
	})
}

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
		return ErrClosed
	}
	t := v.newTxn(true)
	defer t.tx.Discard()
	if err := fn(t); err != nil {
		return err
	}
	if t.err != nil {
		return fmt.Errorf("write: %w", t.err)
	}
	// The commitment changes in the same transaction as the records it
	// covers (security invariant 8).
	if err := t.commitState(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := checkSpace(v.dir, 0); err != nil {
		return err
	}
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	// A change is acknowledged only once it is on disk (security invariant 5).
	// The audit event of a read is not a change: it reaches the page cache,
	// which survives kill -9, and is synced with the next write, so a get
	// costs no fsync.
	if !t.lazy {
		if err := v.db.Sync(); err != nil {
			return fmt.Errorf("write: sync: %w", err)
		}
	}
	for _, f := range t.commits {
		f()
	}
	// The machine's rollback anchor (seen.go) moves with every change,
	// before the change is acknowledged: a state older than the anchor
	// is then a rollback even after a crash, and an acknowledged write
	// that a damaged write-ahead log loses is an error, never a silent
	// loss. The change itself is on disk already; if the anchor cannot be
	// written the caller hears of it.
	if !t.lazy && v.stateOn && v.counter > v.seen {
		if err := v.saveSeen(v.counter); err != nil {
			v.watchers.publish(t.changes)
			return err
		}
	}
	v.watchers.publish(t.changes)
	return nil
}

func (t *txn) onCommit(f func()) { t.commits = append(t.commits, f) }

func (t *txn) set(k, val []byte) {
	t.track(k, val)
	if t.err == nil {
		t.err = t.tx.Set(k, val)
	}
}

func (t *txn) delete(k []byte) {
	t.track(k, nil)
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
	if err := t.checkRead(k); err != nil {
		return nil, err
	}
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
		return nil, nil, errNoSecret(name)
	}
	if err != nil {
		return nil, nil, err
	}
	if len(id) == 0 {
		// The secret was purged; its records await the scrub.
		return nil, nil, errNoSecret(name)
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
		return nil, nil, fmt.Errorf("%w: %q", ErrDeleted, name)
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

// errNoSecret is the one error for a name that names no secret.
// errNoSecret keeps the name, so that the CLI can suggest the closest ones.
func errNoSecret(name string) error { return &NotFoundError{Name: name} }

func (t *txn) putSecret(id []byte, s *Secret) {
	k := key(kindMeta, id)
	enc := encodeSecret(s)
	t.set(k, t.seal(kindMeta, k, enc))
	if c := t.v.cache; c != nil {
		// The cache gets its own copy, taken now: the caller may change s
		// later in the transaction, and the cache's copies never change.
		id, s := slices.Clone(id), s.Clone()
		t.onCommit(func() { c.put(id, &s, enc) })
	}
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
	purged := t.pendingPurges()
	return t.each(kindMeta, func(k, pt []byte) error {
		if purged[string(k[1:])] {
			return nil
		}
		s, err := openSecret(pt)
		if err != nil {
			return err
		}
		return fn(k[1:], s)
	})
}

// secrets returns the live-or-trashed secrets that keep accepts, in no
// particular order. It is eachSecret spread over the CPUs: one goroutine
// walks the store and copies the sealed records in batches, the others
// open, decode and filter them, which is most of the work of listing a
// large vault. keep must be safe for concurrent use.
func (t *txn) secrets(ctx context.Context, keep func(*Secret) bool) ([]*Secret, error) {
	if err := t.checkScan(ctx); err != nil {
		return nil, err
	}
	workers := runtime.GOMAXPROCS(0)
	purged := t.pendingPurges()
	var err error
	type batch struct {
		arena      []byte
		keys, vals [][2]int // offsets into arena
	}
	const batchSize = 512
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		out     []*Secret
		failed  error
		batches = make(chan *batch, workers)
	)
	fail := func(err error) {
		mu.Lock()
		if failed == nil {
			failed = err
		}
		mu.Unlock()
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			var mine []*Secret
			for b := range batches {
				mu.Lock()
				stop := failed != nil
				mu.Unlock()
				if stop {
					continue // drain, so that the walker never blocks
				}
				for i, kr := range b.keys {
					k := b.arena[kr[0]:kr[1]]
					vr := b.vals[i]
					pt, err := t.v.kr.OpenAppend(buf[:0], kindMeta, k, 0, b.arena[vr[0]:vr[1]])
					if err != nil {
						fail(err)
						break
					}
					buf = pt
					s, err := openSecret(pt)
					if err != nil {
						fail(err)
						break
					}
					if keep(s) {
						mine = append(mine, s)
					}
				}
			}
			mu.Lock()
			out = append(out, mine...)
			mu.Unlock()
		}()
	}
	it := t.tx.NewIterator(badger.IteratorOptions{Prefix: []byte{kindMeta}})
	newBatch := func() *batch {
		return &batch{arena: make([]byte, 0, batchSize*256), keys: make([][2]int, 0, batchSize), vals: make([][2]int, 0, batchSize)}
	}
	b := newBatch()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		k := item.Key()
		if purged[string(k[1:])] {
			continue
		}
		start := len(b.arena)
		b.arena = append(b.arena, k...)
		b.keys = append(b.keys, [2]int{start, len(b.arena)})
		start = len(b.arena)
		if err = item.Value(func(v []byte) error { b.arena = append(b.arena, v...); return nil }); err != nil {
			break
		}
		b.vals = append(b.vals, [2]int{start, len(b.arena)})
		if len(b.keys) == batchSize {
			if err = ctx.Err(); err != nil {
				break
			}
			batches <- b
			b = newBatch()
		}
	}
	it.Close()
	if len(b.keys) > 0 && err == nil {
		batches <- b
	}
	close(batches)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return out, failed
}

// each iterates the records of one kind, opening each. The plaintext
// passed to fn is only valid during the call.
func (t *txn) each(kind byte, fn func(k, pt []byte) error) error {
	if committed(kind) {
		if err := t.checkScan(context.Background()); err != nil {
			return err
		}
	}
	// Values live in the LSM tree (see badgerOptions), so reading them in
	// place is cheaper than Badger's prefetching, which copies each one.
	it := t.tx.NewIterator(badger.IteratorOptions{Prefix: []byte{kind}})
	defer it.Close()
	var buf, pt []byte
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		k := item.Key()
		err := item.Value(func(sealed []byte) error {
			var err error
			pt, err = t.v.kr.OpenAppend(buf[:0], kind, k, 0, sealed)
			if err == nil {
				buf = pt
			}
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

// purge makes a secret unreachable at once and leaves a scrub marker that
// asks for the compaction which removes its records from the disk. The
// index entry is overwritten with an empty id rather than deleted, and the
// other records stay live until the scrub: Badger's DropPrefix only acts
// on prefixes that still hold a live key, and it is DropPrefix that
// removes every older copy. The marker is part of the same transaction, so
// a crash before the compaction leaves work that the next writer finishes.
//
// The purged records leave the state commitment here, not at the scrub:
// the commitment then holds the marker instead, so a crash between purge
// and scrub leaves a consistent state, and a planted marker, which would
// destroy a live secret, is a change the commitment does not hold.
func (t *txn) purge(id []byte, s *Secret) {
	ik := t.indexKey(s.Name)
	t.setIndex(s.Name, nil)
	for _, kind := range []byte{kindMeta, kindValue, kindTrash} {
		t.forgetPrefix(key(kind, id))
	}
	mk := key(kindScrub, id)
	t.set(mk, t.seal(kindScrub, mk, ik))
	if c := t.v.cache; c != nil {
		id := slices.Clone(id)
		t.onCommit(func() { c.remove(id) })
	}
}

// pendingPurges returns the ids whose purge is committed but not yet
// scrubbed: their records are still in the store and must not be listed.
func (t *txn) pendingPurges() map[string]bool {
	it := t.tx.NewIterator(badger.IteratorOptions{Prefix: []byte{kindScrub}})
	defer it.Close()
	var ids map[string]bool
	for it.Rewind(); it.Valid(); it.Next() {
		if ids == nil {
			ids = map[string]bool{}
		}
		ids[string(it.Item().Key()[1:])] = true
	}
	return ids
}

// scrub drops, from every level of the store, the records of secrets whose
// purge is committed, then clears the markers. Badger's DropPrefix flushes
// the memtables and rewrites the tables that hold those keys, so no sealed
// copy of them stays in the vault directory (security invariant 7).
func (v *Vault) scrub() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	var markers, prefixes [][]byte
	err := v.view(func(tx *txn) error {
		it := tx.tx.NewIterator(badger.IteratorOptions{PrefetchValues: true, Prefix: []byte{kindScrub}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().KeyCopy(nil)
			sealed, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			ik, err := v.kr.Open(kindScrub, k, 0, sealed)
			if err != nil && !v.stateOn && len(sealed) == 1+32 {
				// A marker left unsealed by a locket that predates the
				// state commitment, found before the commitment is built.
				ik, err = sealed, nil
			}
			if err != nil {
				return fmt.Errorf("%w: scrub marker", err)
			}
			id := k[1:]
			markers = append(markers, k)
			prefixes = append(prefixes, key(kindMeta, id), key(kindValue, id), key(kindTrash, id))
			// The name may have been reused since (only possible when an
			// earlier scrub failed): then its index belongs to the new
			// secret and stays.
			if got, err := tx.get(kindIndex, ik, 0); err == nil && len(got) == 0 {
				prefixes = append(prefixes, ik)
			}
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
