package vault

// Tamper evidence: the state commitment (security invariant 8).
//
// Sealing (keyring) stops a record from being forged, edited, or moved to
// another key, kind or vault. It cannot stop an attacker with the disk from
// putting back an older copy of a record, deleting one, or taking records
// from another copy of the same vault: each of those records is authentic.
// The commitment closes that gap. It is one sealed record, kindState, that
// holds
//
//   - a counter, raised by every transaction, and
//   - for each of stateBuckets buckets plus one for the singleton records,
//     the XOR of a keyed MAC ("leaf") of every live record in the bucket.
//
// Every write updates the commitment in the same Badger transaction
// (txn.track and txn.commitState), so the two cannot drift apart. A
// record's bucket is the first ten bits of the id or name hash that follows
// its kind byte, so all the records of one secret (metadata, values, trash
// and scrub markers) share a bucket, and its index record has one too: a
// read checks two buckets of about 300 records each at 100k secrets, while
// a full check walks every record once.
//
// Why this is sound:
//   - A leaf is HMAC-SHA256, truncated to 128 bits, under a key derived from
//     the data key, of the record's key and AEAD tag. Every seal draws a
//     fresh random nonce and the AEAD makes records unforgeable, so the tag
//     identifies the exact sealed record; a body edited under a copied tag
//     fails to open when it is read, and verify opens every record.
//   - The leaves are secret (keyed), so an attacker cannot choose a set of
//     old records whose leaves XOR to the committed value: XOR of public
//     hashes would fall to linear algebra over GF(2), XOR of a PRF does not.
//   - The commitment is sealed like any record and only its own
//     transactions write it; rolling it back alone leaves it disagreeing
//     with the audit head (in the singleton bucket), which every
//     transaction changes.
//
// What it leaves out, and why that is safe:
//   - audit events: they are chained by hash to the audit head, which is in
//     the commitment; VerifyAudit walks the chain.
//   - import journal chunks: the journal head holds their digest, and the
//     commitment holds the journal head's digest while an import is pending
//     (commitment.journal).
//   - the records of a purged secret, from the purge on: the purge
//     transaction takes them out of the commitment and leaves a sealed scrub
//     marker, which is in it; the scrub then removes them from disk
//     without another change to the commitment, so a crash between the two
//     leaves a consistent state.
//   - an index tombstone (an index record holding no id, left by purge):
//     it hides a name, never reveals one.
//
// A whole copy of an older, consistent state passes these checks; the
// counter remembered outside the vault (see seen.go) catches that.

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"runtime"
	"slices"
	"sync"

	"github.com/dgraph-io/badger/v4"

	"locket/keyring"
)

const (
	kindState = 'C' // "C": the state commitment

	stateBuckets = 1024
	// singletons is the bucket of the records that have no id: the
	// settings and the audit head.
	singletons = stateBuckets
	leafSize   = 16

	stateCodecVersion = 1
	// tombstoneLen is the sealed size of an index record that holds no id.
	tombstoneLen = keyring.NonceSize + keyring.TagSize
)

type leaf = [leafSize]byte

// stateTxn is what a transaction keeps for the commitment.
type stateTxn struct {
	// delta is the XOR of the leaves the transaction adds and removes,
	// per bucket.
	delta  map[int]*leaf
	leafer *leafer
	// freshState starts the commitment from nothing (a new vault, or the
	// migration of an old one).
	freshState bool
	// setJournal replaces commitment.journal with journal.
	setJournal bool
	journal    []byte
	// head and checked cache, for a read, the commitment and the buckets
	// already checked.
	commit  *commitment
	checked map[int]bool
}

// commitment is the decoded kindState record.
type commitment struct {
	counter uint64
	// journal is the SHA-256 of the sealed head of a committed import that
	// is not yet applied, or nil. While it is set, buckets describe the
	// state after that import.
	journal []byte
	buckets [stateBuckets + 1]leaf
}

func (c *commitment) encode() []byte {
	b := make([]byte, 0, 2+8+1+len(c.journal)+len(c.buckets)*leafSize)
	b = append(b, stateCodecVersion)
	b = binary.BigEndian.AppendUint64(b, c.counter)
	b = append(b, byte(len(c.journal)))
	b = append(b, c.journal...)
	for i := range c.buckets {
		b = append(b, c.buckets[i][:]...)
	}
	return b
}

func decodeCommitment(b []byte) (*commitment, error) {
	bad := fmt.Errorf("%w: state commitment: %v", ErrIntegrity, errCodec)
	if len(b) < 10 || b[0] != stateCodecVersion {
		return nil, bad
	}
	c := &commitment{counter: binary.BigEndian.Uint64(b[1:9])}
	n := int(b[9])
	b = b[10:]
	if n != 0 && n != sha256.Size || len(b) != n+len(c.buckets)*leafSize {
		return nil, bad
	}
	if n > 0 {
		c.journal = bytes.Clone(b[:n])
	}
	b = b[n:]
	for i := range c.buckets {
		copy(c.buckets[i][:], b[i*leafSize:])
	}
	return c, nil
}

// committed reports whether records of kind are in the commitment.
func committed(kind byte) bool {
	return kind == kindSettings || kind == kindAuditHead || slices.Contains(bucketKinds, kind)
}

// bucketKinds are the kinds of record counted in the 1,024 buckets by the
// first bits of their key (a secret's id, or an HMAC): the one list the
// commitment, its checks and verify go by. A new kind of record that
// drives what locket does belongs here.
var bucketKinds = []byte{kindScrub, kindTrash, kindIndex, kindMeta, kindValue, kindSync}

// inCommitment reports whether the record k holding sealed is counted.
func inCommitment(k, sealed []byte) bool {
	return len(k) > 0 && committed(k[0]) && !(k[0] == kindIndex && len(sealed) == tombstoneLen)
}

func bucketOf(k []byte) int {
	if len(k) < 3 || k[0] == kindSettings || k[0] == kindAuditHead {
		return singletons
	}
	return int(k[1])<<2 | int(k[2])>>6
}

// leafer computes leaves with one reusable MAC.
type leafer struct {
	mac      hash.Hash
	buf, sum []byte
}

func (v *Vault) newLeafer() *leafer { return &leafer{mac: v.kr.MAC("state commitment")} }

func (l *leafer) leaf(k, sealed []byte) (out leaf) {
	// The key and the tag fit one SHA-256 block, which keeps the full check
	// within its budget. The tag stands for the whole sealed record: records
	// are unforgeable and each seal draws a fresh nonce, so no two records
	// the vault wrote share a tag but by a 2^-128 chance, and a body edited
	// under a copied tag fails to open when read.
	b := append(l.buf[:0], byte(len(k)))
	b = append(b, k...)
	if len(sealed) < keyring.TagSize {
		b = append(b, sealed...)
	} else {
		b = append(b, sealed[len(sealed)-keyring.TagSize:]...)
	}
	l.buf = b
	l.mac.Reset()
	l.mac.Write(b)
	l.sum = l.mac.Sum(l.sum[:0])
	copy(out[:], l.sum)
	return out
}

func xorLeaf(dst *leaf, l leaf) { subtle.XORBytes(dst[:], dst[:], l[:]) }

// track updates the transaction's commitment delta for writing sealed at
// k (nil: deleting k). It must run before the write reaches Badger, since
// it reads the record being replaced.
func (t *txn) track(k, sealed []byte) {
	if t.err != nil || !t.v.stateOn || !committed(k[0]) {
		return
	}
	t.forget(k)
	if sealed != nil && inCommitment(k, sealed) {
		t.xor(bucketOf(k), t.leaves().leaf(k, sealed))
	}
}

// forget takes the record now at k out of the commitment without writing.
func (t *txn) forget(k []byte) {
	item, err := t.tx.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return
	}
	if err == nil {
		err = item.Value(func(old []byte) error {
			if inCommitment(k, old) {
				t.xor(bucketOf(k), t.leaves().leaf(k, old))
			}
			return nil
		})
	}
	if err != nil && t.err == nil {
		t.err = err
	}
}

// forgetPrefix takes every record under prefix out of the commitment.
func (t *txn) forgetPrefix(prefix []byte) {
	if t.err != nil || !t.v.stateOn {
		return
	}
	it := t.tx.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		k := it.Item().Key()
		err := it.Item().Value(func(old []byte) error {
			if inCommitment(k, old) {
				t.xor(bucketOf(k), t.leaves().leaf(k, old))
			}
			return nil
		})
		if err != nil {
			t.err = err
			return
		}
	}
}

func (t *txn) leaves() *leafer {
	if t.leafer == nil {
		t.leafer = t.v.newLeafer()
	}
	return t.leafer
}

func (t *txn) xor(b int, l leaf) {
	if t.delta == nil {
		t.delta = map[int]*leaf{}
	}
	d := t.delta[b]
	if d == nil {
		d = new(leaf)
		t.delta[b] = d
	}
	xorLeaf(d, l)
}

// stateHead reads the commitment, or ErrNotFound.
func (t *txn) stateHead() (*commitment, error) {
	k := []byte{kindState}
	item, err := t.tx.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	var c *commitment
	err = item.Value(func(sealed []byte) error {
		pt, err := t.v.kr.Open(kindState, k, 0, sealed)
		if err != nil {
			return fmt.Errorf("%w: the state commitment", err)
		}
		c, err = decodeCommitment(pt)
		return err
	})
	return c, err
}

// commitState writes the new commitment into the transaction: the old
// one, changed by the transaction's delta, with the counter raised.
func (t *txn) commitState() error {
	if !t.v.stateOn {
		return nil
	}
	c, err := t.stateHead()
	if errors.Is(err, ErrNotFound) && t.freshState {
		c, err = &commitment{}, nil
	}
	if err != nil {
		return err
	}
	for b, d := range t.delta {
		xorLeaf(&c.buckets[b], *d)
	}
	c.counter++
	if t.setJournal {
		c.journal = t.journal
	}
	k := []byte{kindState}
	if err := t.tx.Set(k, t.v.kr.Seal(kindState, k, 0, c.encode())); err != nil {
		return err
	}
	t.onCommit(func() { t.v.counter = c.counter })
	return nil
}

// deadIDs lists the secrets whose records a purge took out of the
// commitment and the scrub has not yet removed: the ids of scrub markers.
func (t *txn) deadIDs() map[string]bool {
	dead := map[string]bool{}
	it := t.tx.NewIterator(badger.IteratorOptions{Prefix: []byte{kindScrub}})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		dead[string(it.Item().Key()[1:])] = true
	}
	return dead
}

func isDead(dead map[string]bool, k []byte) bool {
	if len(dead) == 0 || len(k) < 1+idSize {
		return false
	}
	switch k[0] {
	case kindMeta, kindValue, kindTrash:
		return dead[string(k[1:1+idSize])]
	}
	return false
}

// sumRange XORs into sums the leaves of the records of kind whose second
// key byte is in [lo, hi), skipping dead ones; with sub >= 0 only those
// whose bucket is sub. It uses it, an iterator over all keys.
func (t *txn) sumRange(it *badger.Iterator, l *leafer, kind byte, lo, hi int, sub int, dead map[string]bool, sums *[stateBuckets + 1]leaf) error {
	start := []byte{kind}
	if lo > 0 {
		start = []byte{kind, byte(lo)}
	}
	if sub >= 0 {
		start = []byte{kind, byte(sub >> 2), byte(sub&3) << 6}
	}
	for it.Seek(start); it.Valid(); it.Next() {
		item := it.Item()
		k := item.Key()
		if k[0] != kind || sub < 0 && len(k) > 1 && int(k[1]) >= hi || sub >= 0 && bucketOf(k) != sub {
			break
		}
		if isDead(dead, k) {
			continue
		}
		err := item.Value(func(sealed []byte) error {
			if inCommitment(k, sealed) {
				xorLeaf(&sums[bucketOf(k)], l.leaf(k, sealed))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
	}
	return nil
}

// sumAll computes every bucket from the records, on every CPU. tx must be
// a read-only transaction: those allow concurrent iterators.
func (t *txn) sumAll(ctx context.Context) (*[stateBuckets + 1]leaf, error) {
	dead := t.deadIDs()
	type task struct {
		kind   byte
		lo, hi int
	}
	tasks := make(chan task, 32)
	go func() {
		defer close(tasks)
		// The singletons first: they are one key each.
		tasks <- task{kindSettings, 0, 256}
		tasks <- task{kindAuditHead, 0, 256}
		for _, kind := range bucketKinds {
			for lo := 0; lo < 256; lo += 64 {
				tasks <- task{kind, lo, lo + 64}
			}
		}
	}()
	workers := runtime.GOMAXPROCS(0)
	parts := make([][stateBuckets + 1]leaf, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := t.v.newLeafer()
			it := t.tx.NewIterator(badger.IteratorOptions{})
			defer it.Close()
			for tk := range tasks {
				if errs[w] != nil {
					continue
				}
				if errs[w] = ctx.Err(); errs[w] == nil {
					errs[w] = t.sumRange(it, l, tk.kind, tk.lo, tk.hi, -1, dead, &parts[w])
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sums := &parts[0]
	for w := 1; w < workers; w++ {
		for b := range sums {
			xorLeaf(&sums[b], parts[w][b])
		}
	}
	return sums, nil
}

// sumBucket computes one bucket from its records, with one iterator: in
// a large vault creating iterators costs more than the walk.
func (t *txn) sumBucket(b int) (leaf, error) {
	var sums [stateBuckets + 1]leaf
	l := t.leaves()
	it := t.tx.NewIterator(badger.IteratorOptions{})
	defer it.Close()
	if b == singletons {
		for _, kind := range []byte{kindSettings, kindAuditHead} {
			if err := t.sumRange(it, l, kind, 0, 256, -1, nil, &sums); err != nil {
				return leaf{}, err
			}
		}
		return sums[b], nil
	}
	// A bucket's scrub markers are those of its ids: read them first.
	var dead map[string]bool
	for it.Seek([]byte{kindScrub, byte(b >> 2), byte(b&3) << 6}); it.Valid(); it.Next() {
		k := it.Item().Key()
		if k[0] != kindScrub || bucketOf(k) != b {
			break
		}
		if dead == nil {
			dead = map[string]bool{}
		}
		dead[string(k[1:])] = true
	}
	for _, kind := range bucketKinds {
		if err := t.sumRange(it, l, kind, 0, 256, b, dead, &sums); err != nil {
			return leaf{}, err
		}
	}
	return sums[b], nil
}

// errStateMismatch is the integrity error of a commitment that does not
// match the records.
func errStateMismatch(buckets int) error {
	return fmt.Errorf("%w: records were added, removed, rolled back or mixed in from another copy (%d of %d state buckets differ); run locket verify", ErrIntegrity, buckets, stateBuckets+1)
}

// checkAll compares the whole commitment with the records of tx's
// snapshot.
func (t *txn) checkAll(ctx context.Context) error {
	head, err := t.stateHead()
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: the state commitment is missing", ErrIntegrity)
	}
	if err != nil {
		return err
	}
	if head.journal != nil {
		return fmt.Errorf("%w: an import is still to be applied", ErrIntegrity)
	}
	sums, err := t.sumAll(ctx)
	if err != nil {
		return err
	}
	bad := 0
	for b := range sums {
		if sums[b] != head.buckets[b] {
			bad++
		}
	}
	if bad > 0 {
		return errStateMismatch(bad)
	}
	return nil
}

// checkRead checks the bucket of the record k that a read is about to
// use, once per transaction. A handle whose whole state was checked (every
// writer, at open) skips it: no other process can write meanwhile.
func (t *txn) checkRead(k []byte) error {
	if !t.v.stateOn || t.v.verified.Load() || !committed(k[0]) {
		return nil
	}
	b := bucketOf(k)
	if t.checked[b] {
		return nil
	}
	if t.commit == nil {
		head, err := t.stateHead()
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w: the state commitment is missing", ErrIntegrity)
		}
		if err != nil {
			return err
		}
		t.commit = head
	}
	sum, err := t.sumBucket(b)
	if err != nil {
		return err
	}
	if sum != t.commit.buckets[b] {
		return errStateMismatch(1)
	}
	if t.checked == nil {
		t.checked = map[int]bool{}
	}
	t.checked[b] = true
	return nil
}

// checkScan is checkRead for a read that walks records of every bucket:
// it checks the whole state once for the handle.
func (t *txn) checkScan(ctx context.Context) error {
	if !t.v.stateOn || t.v.verified.Load() {
		return nil
	}
	if err := t.checkAll(ctx); err != nil {
		return err
	}
	// A read-only handle sees the store as it was when opened (writers are
	// locked out meanwhile), so one full check holds for its lifetime.
	t.v.verified.Store(t.v.readOnly)
	return nil
}

// CheckState compares the state commitment with every record: any record
// added, removed, rolled back or mixed in from another copy of the vault
// is an ErrIntegrity. It is what a writable Open and an agent's start run;
// it takes about 100 ms at 100k secrets.
func (v *Vault) CheckState(ctx context.Context) (err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return err
	}
	defer done(&err)
	if !v.stateOn {
		return fmt.Errorf("%w: the vault has no state commitment yet; open it for writing once to create it", ErrIntegrity)
	}
	return v.read(ctx, func(tx *txn) error { return tx.checkAll(ctx) })
}

// buildState creates the commitment of a vault made before it existed:
// it counts every record as it is now. The caller holds v.mu, and has
// finished the vault's pending import and purges.
func (v *Vault) buildState(ctx context.Context) error {
	var sums *[stateBuckets + 1]leaf
	err := v.view(func(tx *txn) error {
		var err error
		sums, err = tx.sumAll(ctx)
		return err
	})
	if err != nil {
		return err
	}
	// The commitment is made from the records as they are, under the
	// writer's lock: this handle trusts them from here on.
	v.stateOn = true
	v.verified.Store(true)
	err = v.updateLocked(func(tx *txn) error {
		tx.freshState = true
		for b := range sums {
			if sums[b] != (leaf{}) {
				tx.xor(b, sums[b])
			}
		}
		return tx.audit(Event{Op: OpMigrate, Note: "state commitment created", Outcome: "ok"})
	})
	if err != nil {
		v.stateOn = false
		v.verified.Store(false)
	}
	return err
}

// errPendingImport is what openState returns to a reader that finds a
// committed import or rekey still to be applied: a writer must finish it
// first.
var errPendingImport = errors.New("an import is still to be applied")

// openState checks the vault's state as it is opened: the commitment
// against this machine's memory of the vault (seen.go), and, for a writer,
// against every record, after finishing an interrupted import whose
// journal the commitment names. A vault made before the commitment
// existed gets one at its first writable open (docs/decisions). It runs
// before anything else reads or writes the vault.
func (v *Vault) openState(ctx context.Context, accept bool) error {
	if v.readOnly {
		if pending, err := v.pendingRekey(); err != nil || pending {
			return cmp.Or(err, errPendingImport)
		}
	} else if err := v.recoverRekey(); err != nil {
		return err
	}
	var (
		head    *commitment
		journal []byte
		marked  bool
	)
	err := v.view(func(tx *txn) error {
		var err error
		head, err = tx.stateHead()
		if errors.Is(err, ErrNotFound) {
			err = nil
		}
		if err != nil {
			return err
		}
		if item, err := tx.tx.Get([]byte{kindJournalHead}); err == nil {
			if journal, err = item.ValueCopy(nil); err != nil {
				return err
			}
		}
		ah, err := tx.head()
		marked = ah.State
		return err
	})
	if err != nil {
		return err
	}
	if head == nil {
		return v.openLegacy(ctx, marked, accept)
	}
	v.stateOn = true
	v.counter = head.counter
	rolledBack, err := v.checkSeen(head.counter, accept)
	if err != nil {
		return err
	}
	if journal != nil || head.journal != nil {
		if v.readOnly {
			return errPendingImport
		}
		if journal == nil || head.journal == nil || !bytes.Equal(digest(journal), head.journal) {
			return fmt.Errorf("%w: the import journal does not match the state commitment", ErrIntegrity)
		}
	}
	if v.readOnly {
		// A reader checks the buckets it reads (checkRead, checkScan).
		if !rolledBack && head.counter > v.seen {
			if err := v.saveSeen(head.counter); err != nil {
				v.log.printf("%v", err)
			}
		}
		return nil
	}
	if err := v.recoverImport(); err != nil {
		return err
	}
	if !v.provedHead(head) {
		if err := v.CheckState(ctx); err != nil {
			return err
		}
	}
	v.verified.Store(true)
	if rolledBack {
		err := v.update(func(tx *txn) error {
			return tx.audit(Event{Op: OpAcceptRollback, Note: fmt.Sprintf("state %d accepted; this machine had seen state %d", head.counter, v.seen), Outcome: "ok"})
		})
		if err != nil {
			return err
		}
	}
	return v.saveSeen(v.counter)
}

// provedHead reports whether the preflight already checked head against
// every record: the commitment it proved is the one the store holds now.
// The commitment covers every record and the counter rises with every
// change, so an equal commitment means the same records.
func (v *Vault) provedHead(head *commitment) bool {
	p := v.proved
	return p != nil && head.journal == nil && p.counter == head.counter && p.buckets == head.buckets
}

// openLegacy opens a vault without a commitment: one made by a locket
// that predates it. marked says the audit head claims a commitment.
func (v *Vault) openLegacy(ctx context.Context, marked, accept bool) error {
	seen, err := v.loadSeen()
	if err != nil && !accept {
		return err
	}
	if marked || seen > 0 {
		// The commitment was deleted, to make the vault look older than the
		// commitment and escape its checks.
		return fmt.Errorf("%w: the state commitment is missing", ErrIntegrity)
	}
	if v.readOnly {
		return nil
	}
	// Finish what a crash left, as the old locket would, then count the
	// records as they are.
	if err := v.recoverImport(); err != nil {
		return err
	}
	if err := v.scrub(); err != nil {
		return err
	}
	v.mu.Lock()
	err = v.buildState(ctx)
	v.mu.Unlock()
	if err != nil {
		return err
	}
	v.verified.Store(true)
	return v.saveSeen(v.counter)
}

func digest(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

// opsDelta adds to d's delta the change to the commitment that applying
// ops makes to the vault as tx sees it. A journaled import stages its ops
// in batches, adding up their deltas, and commits the sum before it
// applies them. A key may come more than once within a batch (a version
// an import adds and then prunes past max-versions), so the batch follows
// its own writes; never in two batches, since a batch holds whole secrets
// and every key belongs to one secret (its id, or its name for the index
// and sync records: names are unique in an import) or is the settings,
// staged once. That keeps what is held per batch, not per import.
func (d *txn) opsDelta(tx *txn, ops []importOp) error {
	after := make(map[string][]byte, len(ops))
	for _, op := range ops {
		if !committed(op.key[0]) {
			continue
		}
		old, seen := after[string(op.key)]
		if !seen {
			item, err := tx.tx.Get(op.key)
			switch {
			case err == nil:
				if old, err = item.ValueCopy(nil); err != nil {
					return err
				}
			case !errors.Is(err, badger.ErrKeyNotFound):
				return err
			}
		}
		if old != nil && inCommitment(op.key, old) {
			d.xor(bucketOf(op.key), d.leaves().leaf(op.key, old))
		}
		var val []byte
		if !op.del {
			val = op.val
			if inCommitment(op.key, val) {
				d.xor(bucketOf(op.key), d.leaves().leaf(op.key, val))
			}
		}
		after[string(op.key)] = val
	}
	return nil
}
