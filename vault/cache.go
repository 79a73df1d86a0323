package vault

import (
	"context"
	"encoding/binary"
	"slices"
	"strings"
	"sync"
)

// metaCache holds the decoded metadata of every secret (names, tags,
// versions' attributes; never a value) for a vault opened with
// Options.Cache. Names exist on disk only as keyed hashes, so without it a
// prefix list or a check decrypts every metadata record. It is correct
// only while this Vault is the store's one writer, which its directory
// lock guarantees, and it is kept current by the vault's own commits.
//
// The *Secret values it holds are never modified: a change replaces the
// pointer. Readers get shallow copies that share Tags and Versions, which
// they must not modify either.
type metaCache struct {
	mu     sync.RWMutex
	loaded bool
	byID   map[string]cached
	byName map[string]string
	// sorted is every secret by name; nil until a reader needs it. A
	// change replaces it with an updated copy (readers may still hold the
	// old one): one copy costs far less than sorting 100k names again.
	sorted []cached
}

// cached is a secret with its id and its record as stored (encodeSecret's
// bytes), which lists send as they are, and what Check works out of it.
type cached struct {
	id    string
	s     *Secret
	enc   []byte
	check *checkEntry
}

// checkEntry is what Check needs of a cached secret: the parts that do not
// depend on the moment, worked out once per record, and what a check
// learned of its current value. The byID and sorted copies of an entry
// share it.
type checkEntry struct {
	view checkView
	// learned is nil until a check reads the current value; guarded by
	// metaCache.mu.
	learned *valueFacts
}

func newCached(id string, s *Secret, enc []byte) cached {
	return cached{id: id, s: s, enc: enc, check: &checkEntry{view: newCheckView(s)}}
}

// ensure loads the cache on first use.
func (c *metaCache) ensure(ctx context.Context, v *Vault) error {
	c.mu.RLock()
	loaded := c.loaded
	c.mu.RUnlock()
	if loaded {
		return nil
	}
	// Writers hold v.mu while they update the cache: taken first (the
	// same order), it keeps any commit from slipping between the scan and
	// the cache going live.
	v.mu.Lock()
	defer v.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded {
		return nil
	}
	byID := map[string]cached{}
	err := v.view(func(tx *txn) error {
		purged := tx.pendingPurges()
		return tx.each(kindMeta, func(k, pt []byte) error {
			id := string(k[1:])
			if purged[id] {
				return nil
			}
			s, err := openSecret(pt)
			if err != nil {
				return err
			}
			byID[id] = newCached(id, s, slices.Clone(pt))
			return ctx.Err()
		})
	})
	if err != nil {
		return err
	}
	c.byID = byID
	c.byName = make(map[string]string, len(byID))
	for id, e := range byID {
		c.byName[e.s.Name] = id
	}
	c.sorted = nil
	c.loaded = true
	return nil
}

// put records a committed secret and its encoded record.
func (c *metaCache) put(id []byte, s *Secret, enc []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded {
		return
	}
	e := newCached(string(id), s, enc)
	old, had := c.byID[e.id]
	if had {
		if old.s.Name != s.Name {
			delete(c.byName, old.s.Name)
		}
		// What was learned of a value holds while the value and the name
		// it is compared with stay: a change of tags keeps it.
		if old.s.Current().Number == s.Current().Number && old.s.Name == s.Name {
			e.check.learned = old.check.learned
		}
	}
	c.byID[e.id] = e
	c.byName[s.Name] = e.id
	if c.sorted != nil {
		sorted := c.sorted
		if had {
			sorted = removeSorted(sorted, old.s.Name)
		}
		c.sorted = insertSorted(sorted, e)
	}
}

// removeSorted returns a copy of sorted without the secret named name.
func removeSorted(sorted []cached, name string) []cached {
	i, found := slices.BinarySearchFunc(sorted, name, byName)
	if !found {
		return sorted
	}
	return slices.Concat(sorted[:i], sorted[i+1:])
}

// insertSorted returns a copy of sorted with e in its place, replacing a
// secret of the same name.
func insertSorted(sorted []cached, e cached) []cached {
	i, found := slices.BinarySearchFunc(sorted, e.s.Name, byName)
	out := make([]cached, 0, len(sorted)+1)
	out = append(append(out, sorted[:i]...), e)
	if found {
		i++
	}
	return append(out, sorted[i:]...)
}

func byName(e cached, name string) int { return strings.Compare(e.s.Name, name) }

// remove forgets a purged secret.
func (c *metaCache) remove(id []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[string(id)]; ok {
		delete(c.byName, e.s.Name)
		delete(c.byID, string(id))
		if c.sorted != nil {
			c.sorted = removeSorted(c.sorted, e.s.Name)
		}
	}
}

// reset drops everything after a write the cache does not follow record
// by record (an import, a scrub); the next reader loads it again.
func (c *metaCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loaded, c.byID, c.byName, c.sorted = false, nil, nil, nil
}

// secret returns a secret by name, live or in the trash.
func (c *metaCache) secret(name string) (*Secret, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	id, ok := c.byName[name]
	if !ok {
		return nil, false
	}
	return c.byID[id].s, true
}

// list returns the secrets whose names start with prefix and that keep
// accepts, sorted by name: a binary search finds the prefix's range.
func (c *metaCache) list(prefix string, keep func(*Secret) bool) []Secret {
	out := []Secret{}
	for _, e := range c.matching(prefix) {
		if keep(e.s) {
			out = append(out, *e.s)
		}
	}
	return out
}

// packed is list in EncodeSecrets' form, from the stored records.
func (c *metaCache) packed(prefix string, keep func(*Secret) bool) []byte {
	var kept []cached
	size := 0
	for _, e := range c.matching(prefix) {
		if keep(e.s) {
			kept = append(kept, e)
			size += binary.MaxVarintLen64 + len(e.enc)
		}
	}
	// Sized once: at 100k secrets the list is ~15 MB.
	b := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+size), uint64(len(kept)))
	for _, e := range kept {
		b = appendRecord(b, e.enc)
	}
	return b
}

// matching is the secrets whose names start with prefix, by name: a
// binary search finds where they start.
func (c *metaCache) matching(prefix string) []cached {
	sorted := c.byNameOrder()
	lo, _ := slices.BinarySearchFunc(sorted, prefix, byName)
	hi := lo
	for hi < len(sorted) && strings.HasPrefix(sorted[hi].s.Name, prefix) {
		hi++
	}
	return sorted[lo:hi]
}

// byNameOrder is every secret with its id, sorted by name. The caller must
// not modify the slice.
func (c *metaCache) byNameOrder() []cached {
	c.mu.RLock()
	sorted := c.sorted
	c.mu.RUnlock()
	if sorted != nil {
		return sorted
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sorted == nil {
		sorted := make([]cached, 0, len(c.byID))
		for _, e := range c.byID {
			sorted = append(sorted, e)
		}
		slices.SortFunc(sorted, func(a, b cached) int { return strings.Compare(a.s.Name, b.s.Name) })
		c.sorted = sorted
	}
	return c.sorted
}

// valueFacts are what Check learns from a secret's current value: its
// keyed hash (to find values used twice) and its own health issues. They
// depend only on the value and the name, and a version's value never
// changes, so the cache keeps them with the secret's entry (see
// checkEntry): a check then reads only the values that are new since the
// last one.
type valueFacts struct {
	hash string
	// sum is the hash's first 8 bytes (see prefix64).
	sum    uint64
	health []HealthIssue
	judged bool
	score  int
}

// size is the number of cached secrets.
func (c *metaCache) size() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.byID)
}

// checkEntries calls fn with every cached secret by name and what an
// earlier check learned of its current value (nil: nothing), under one
// read lock.
func (c *metaCache) checkEntries(fn func(e cached, learned *valueFacts)) {
	sorted := c.byNameOrder()
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, e := range sorted {
		fn(e, e.check.learned)
	}
}

// learn keeps what a check learned of the current value of the secret
// with id, as it was when the check read it: a secret changed since keeps
// nothing.
func (c *metaCache) learn(id string, s *Secret, f valueFacts) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[id]; ok && e.s == s {
		f.health = slices.Clip(slices.Clone(f.health))
		e.check.learned = &f
	}
}
