package vault

import (
	"context"
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
	byID   map[string]*Secret
	byName map[string]string
	// sorted is every secret by name; nil after a change, rebuilt by the
	// next reader that needs it. A built slice is never modified.
	sorted []cached
}

// cached is a secret with its id.
type cached struct {
	id string
	s  *Secret
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
	var all []*Secret
	var ids [][]byte
	err := v.view(func(tx *txn) error {
		return tx.eachSecret(func(id []byte, s *Secret) error {
			all = append(all, s)
			ids = append(ids, slices.Clone(id))
			return ctx.Err()
		})
	})
	if err != nil {
		return err
	}
	c.byID = make(map[string]*Secret, len(all))
	c.byName = make(map[string]string, len(all))
	for i, s := range all {
		c.byID[string(ids[i])] = s
		c.byName[s.Name] = string(ids[i])
	}
	c.sorted = nil
	c.loaded = true
	return nil
}

// put records a committed secret.
func (c *metaCache) put(id []byte, s *Secret) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded {
		return
	}
	if old := c.byID[string(id)]; old != nil && old.Name != s.Name {
		delete(c.byName, old.Name)
	}
	c.byID[string(id)] = s
	c.byName[s.Name] = string(id)
	c.sorted = nil
}

// remove forgets a purged secret.
func (c *metaCache) remove(id []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.byID[string(id)]; s != nil {
		delete(c.byName, s.Name)
		delete(c.byID, string(id))
		c.sorted = nil
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
	s, ok := c.byID[c.byName[name]]
	return s, ok
}

// list returns the secrets whose names start with prefix and that keep
// accepts, sorted by name: a binary search finds the prefix's range.
func (c *metaCache) list(prefix string, keep func(*Secret) bool) []Secret {
	sorted := c.byNameOrder()
	lo, _ := slices.BinarySearchFunc(sorted, prefix, func(e cached, p string) int { return strings.Compare(e.s.Name, p) })
	out := []Secret{}
	for _, e := range sorted[lo:] {
		if !strings.HasPrefix(e.s.Name, prefix) {
			break
		}
		if keep(e.s) {
			out = append(out, *e.s)
		}
	}
	return out
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
		for id, s := range c.byID {
			sorted = append(sorted, cached{id, s})
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
