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
	// sorted is every secret by name; nil after a change, rebuilt by the
	// next reader that needs it. A built slice is never modified.
	sorted []cached
	// learned holds what checks learned of values (see valueFacts), by
	// secret id.
	learned map[string]learnedFacts
}

// cached is a secret with its id and its record as stored (encodeSecret's
// bytes), which lists send as they are.
type cached struct {
	id  string
	s   *Secret
	enc []byte
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
			byID[id] = cached{id: id, s: s, enc: slices.Clone(pt)}
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
	if old, ok := c.byID[string(id)]; ok && old.s.Name != s.Name {
		delete(c.byName, old.s.Name)
	}
	c.byID[string(id)] = cached{id: string(id), s: s, enc: enc}
	c.byName[s.Name] = string(id)
	c.sorted = nil
}

// remove forgets a purged secret.
func (c *metaCache) remove(id []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[string(id)]; ok {
		delete(c.byName, e.s.Name)
		delete(c.byID, string(id))
		c.sorted = nil
	}
}

// reset drops everything after a write the cache does not follow record
// by record (an import, a scrub); the next reader loads it again.
func (c *metaCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loaded, c.byID, c.byName, c.sorted, c.learned = false, nil, nil, nil, nil
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
	lo, _ := slices.BinarySearchFunc(sorted, prefix, func(e cached, p string) int { return strings.Compare(e.s.Name, p) })
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

// eachSecret is tx.eachSecret, from the cache when the vault keeps one.
func (v *Vault) eachSecret(ctx context.Context, tx *txn, fn func(id []byte, s *Secret) error) error {
	if v.cache == nil {
		return tx.eachSecret(fn)
	}
	if err := v.cache.ensure(ctx, v); err != nil {
		return err
	}
	for _, e := range v.cache.byNameOrder() {
		if err := fn([]byte(e.id), e.s); err != nil {
			return err
		}
	}
	return nil
}

// valueFacts are what Check learns from a secret's current value: its
// keyed hash (to find values used twice) and its own health issues. They
// depend only on the value and the name, and a version's value never
// changes, so the cache keeps them by id with the version and name they
// hold for: a check then reads only the values that are new since the last
// one. Keyed by the id alone, a lookup hashes one short string, not three
// fields, 100k times per check.
type valueFacts struct {
	hash   string
	health []HealthIssue
	judged bool
	score  int
}

type learnedFacts struct {
	version int
	name    string
	valueFacts
}

// facts returns what an earlier check learned of s's current value.
func (c *metaCache) facts(id string, s *Secret) (valueFacts, bool) {
	if c == nil {
		return valueFacts{}, false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	l, ok := c.learned[id]
	if !ok || l.version != s.Current().Number || l.name != s.Name {
		return valueFacts{}, false
	}
	f := l.valueFacts
	f.health = slices.Clone(f.health)
	return f, true
}

// learn keeps what a check learned of s's current value.
func (c *metaCache) learn(id string, s *Secret, f valueFacts) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.learned == nil {
		c.learned = map[string]learnedFacts{}
	}
	f.health = slices.Clone(f.health)
	c.learned[id] = learnedFacts{s.Current().Number, s.Name, f}
}
