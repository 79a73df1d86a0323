package vault

// Sync state: what locket last saw of each secret on a sync target (a
// HashiCorp Vault / OpenBao KV v2 location, see internal/kvsync). The
// records are sealed like every other record; their keys are opaque, an
// HMAC of the target and the name, so the store does not say which
// servers a vault syncs with.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"locket/keyring"
)

// kindSync: "y" ‖ HMAC(target ‖ 0 ‖ name): a sealed SyncState.
const kindSync = 'y'

// SyncState is what a vault remembers of one secret on one target after
// the last successful sync: which server version holds which local
// version, and the server's metadata at that moment (the base of the next
// three-way merge).
type SyncState struct {
	Name string `json:"name"`
	// ServerVersion is the server's current version as last seen.
	ServerVersion int `json:"server_version"`
	// LocalVersion is the local version whose value ServerVersion holds.
	LocalVersion int `json:"local_version"`
	// Meta is the server's custom_metadata as last seen or written, with
	// the current version's deletion state as locket-trashed.
	Meta map[string]string `json:"meta,omitempty"`
	// Removed is which earlier server versions were deleted or destroyed
	// there, e.g. "2d 3x", as last seen.
	Removed string `json:"removed,omitempty"`
	// Mount identifies the server's mount (its uuid) that the state was
	// recorded against; empty in states from before it was recorded.
	Mount string `json:"mount,omitempty"`
}

// storedSyncState binds a state to the secret it was written for, so that
// a name that is purged and reused starts afresh.
type storedSyncState struct {
	SyncState
	Target string `json:"target"`
	ID     []byte `json:"id,omitempty"`
}

func (t *txn) syncKey(target, name string) []byte { return syncKeyUnder(t.v.kr, target, name) }

// syncKeyUnder is the key of target's state of name under kr's index key.
func syncKeyUnder(kr *keyring.Keyring, target, name string) []byte {
	return key(kindSync, kr.Index("sync", []byte(target+"\x00"+name)))
}

func encodeSyncState(target string, id []byte, st SyncState) []byte {
	b, err := json.Marshal(storedSyncState{SyncState: st, Target: target, ID: id})
	if err != nil {
		panic(err)
	}
	return b
}

// rekeySyncKey returns the key under nkr of the sync state record whose
// plaintext is pt: like an index key, it is a MAC under the data key and
// moves with the key.
func rekeySyncKey(nkr *keyring.Keyring, pt []byte) ([]byte, error) {
	var st storedSyncState
	if err := json.Unmarshal(pt, &st); err != nil {
		return nil, fmt.Errorf("%w: sync state: %v", ErrIntegrity, err)
	}
	return syncKeyUnder(nkr, st.Target, st.Name), nil
}

// SyncStates returns the sync states of target by name. A state whose
// secret was purged stays (the sync must carry the purge); a state written
// for an earlier secret of the same name is left out.
func (v *Vault) SyncStates(ctx context.Context, target string) (_ map[string]SyncState, err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done(&err)
	out := map[string]SyncState{}
	err = v.read(ctx, func(tx *txn) error {
		var states []storedSyncState
		err := tx.each(kindSync, func(k, pt []byte) error {
			var st storedSyncState
			if err := json.Unmarshal(pt, &st); err != nil {
				return fmt.Errorf("%w: sync state: %v", ErrIntegrity, err)
			}
			if st.Target == target {
				states = append(states, st)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, st := range states {
			id, _, err := tx.lookup(st.Name)
			switch {
			case errors.Is(err, ErrNotFound):
			case err != nil:
				return err
			case !bytes.Equal(id, st.ID):
				continue
			}
			out[st.Name] = st.SyncState
		}
		return nil
	})
	return out, err
}

// SetSyncState records st for target, bound to the secret that holds the
// name now. It is bookkeeping, not a change of any secret: it writes no
// audit event.
func (v *Vault) SetSyncState(ctx context.Context, target string, st SyncState) (err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return err
	}
	defer done(&err)
	return v.write(ctx, func(tx *txn) error {
		id, _, err := tx.lookup(st.Name)
		if err != nil {
			return err
		}
		k := tx.syncKey(target, st.Name)
		tx.set(k, tx.seal(kindSync, k, encodeSyncState(target, id, st)))
		return nil
	})
}

// ForgetSyncState removes target's state of name, after the secret is
// gone from both sides.
func (v *Vault) ForgetSyncState(ctx context.Context, target, name string) (err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return err
	}
	defer done(&err)
	return v.write(ctx, func(tx *txn) error {
		tx.delete(tx.syncKey(target, name))
		return nil
	})
}

// SyncPull makes Import a pull from a sync target: each SecretData holds
// the server versions not seen yet (possibly none) and the server's
// tags, enabled flag and trash state after the caller's merge, and the
// import records the new sync state in the same all-or-nothing write.
type SyncPull struct {
	Target string
	// Mount is the server mount's identity, recorded in every state.
	Mount  string
	Remote map[string]SyncRemote
}

// SyncRemote is the server's side of one pulled secret.
type SyncRemote struct {
	// ServerVersion is the server's current version; 0 means the secret
	// is gone from the server.
	ServerVersion int
	// Meta is the server's custom_metadata, the base of the next merge.
	Meta map[string]string
	// Removed is SyncState.Removed as the server has it now.
	Removed string
	// Expires and NotBefore are the current version's attributes after
	// the merge.
	Expires, NotBefore time.Time
}

// ActionMetadata: only tags, attributes or the trash state change.
const ActionMetadata ImportAction = "metadata"

// planSync plans one pulled secret: the server's new versions are added
// on top of the local history. When the local secret changed too since
// the last sync, its unsynced versions are added again after the
// server's (a rebase), so that nothing is lost and a push sends them.
func (p *importPlan) planSync(tx *txn, sd *SecretData) error {
	r := p.sync.Remote[sd.Name]
	sk := tx.syncKey(p.sync.Target, sd.Name)
	id, s, err := tx.lookup(sd.Name)
	if errors.Is(err, ErrNotFound) {
		if r.ServerVersion == 0 || len(sd.Versions) == 0 {
			p.del(sk)
			p.item(ImportItem{Name: sd.Name, Action: ActionSkipped, Reason: "nothing to import"})
			return nil
		}
		id := newID()
		n := p.newSecretID(id, sd)
		p.stageSync(sk, id, SyncState{Name: sd.Name, ServerVersion: r.ServerVersion, LocalVersion: n, Meta: r.Meta, Removed: r.Removed, Mount: p.sync.Mount})
		p.item(ImportItem{Name: sd.Name, Action: ActionNew, Versions: len(sd.Versions)})
		return nil
	}
	if err != nil {
		return err
	}
	var st storedSyncState
	if pt, err := tx.get(kindSync, sk, 0); err == nil {
		if err := json.Unmarshal(pt, &st); err != nil {
			return fmt.Errorf("%w: sync state: %v", ErrIntegrity, err)
		}
		if !bytes.Equal(st.ID, id) {
			st = storedSyncState{}
		}
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	ns := s.Clone()
	var notes []string
	if r.ServerVersion == 0 {
		// Gone from the server: the local secret goes to the trash, from
		// where it can still be recovered. The state, with no server
		// version, keeps a push from bringing it back unasked.
		p.stageSync(sk, id, SyncState{Name: sd.Name, LocalVersion: ns.Current().Number, Mount: p.sync.Mount})
		if !ns.InTrash() {
			ns.Deleted = p.t.now
			p.seal(kindTrash, key(kindTrash, id), 0, encodeTime(ns.Deleted))
			ns.Updated = p.t.now
			p.seal(kindMeta, key(kindMeta, id), 0, encodeSecret(&ns))
			p.item(ImportItem{Name: sd.Name, Action: ActionMetadata, Reason: "deleted on the server: moved to the trash"})
		} else {
			p.item(ImportItem{Name: sd.Name, Action: ActionSkipped, Reason: "deleted on both sides"})
		}
		return nil
	}
	values := func(from int) ([][]byte, []Version, error) {
		var vals [][]byte
		var vers []Version
		for _, ver := range ns.Versions {
			if ver.Number <= from {
				continue
			}
			val, err := tx.value(id, ver.Number)
			if err != nil {
				return nil, nil, err
			}
			vals, vers = append(vals, val), append(vers, ver)
		}
		return vals, vers, nil
	}
	localVersion := st.LocalVersion
	action := ActionNewVersions
	added := 0
	if st.ID == nil && len(sd.Versions) > 0 {
		// Never synced: the histories meet where the values are equal.
		// Server versions whose value the vault holds are not added again,
		// and the vault's current value, if the server lacks it, is
		// added again on top so that a push sends it.
		all, _, err := values(0)
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, val := range all {
			have[string(val)] = true
		}
		cur := all[len(all)-1]
		serverCur := sd.Values[len(sd.Values)-1]
		var add []int
		for i, val := range sd.Values {
			if !have[string(val)] {
				add = append(add, i)
			}
		}
		for _, i := range add {
			p.version(id, &ns, sd, i)
		}
		added = len(add)
		if len(add) == 0 {
			// Every server value is here; the newest local version that
			// holds the server's current value is the meeting point.
			for i := len(all) - 1; i >= 0; i-- {
				if bytes.Equal(all[i], serverCur) {
					localVersion = s.Versions[i].Number
					break
				}
			}
		} else {
			localVersion = ns.Current().Number
			if !bytes.Equal(cur, serverCur) {
				p.replay(id, &ns, [][]byte{cur}, []Version{s.Current()})
				notes = append(notes, "never synced and different: the local value is added again on top; push it")
				action = ActionConflict
			}
		}
	} else if len(sd.Versions) > 0 {
		unsynced, vers, err := values(st.LocalVersion)
		if err != nil {
			return err
		}
		for i := range sd.Versions {
			p.version(id, &ns, sd, i)
		}
		added = len(sd.Versions)
		localVersion = ns.Current().Number
		if len(unsynced) > 0 && !bytes.Equal(unsynced[len(unsynced)-1], sd.Values[len(sd.Values)-1]) {
			p.replay(id, &ns, unsynced, vers)
			action = ActionConflict
			notes = append(notes, fmt.Sprintf("changed on both sides: local versions added again on top: %d; push them", len(unsynced)))
		}
	}
	// Tags, attributes and trash state arrive merged by the caller.
	meta := !maps.Equal(ns.Tags, sd.Tags) || ns.Enabled != sd.Enabled || ns.InTrash() != sd.InTrash()
	ns.Tags, ns.Enabled = maps.Clone(sd.Tags), sd.Enabled
	if len(ns.Tags) == 0 {
		ns.Tags = nil
	}
	cur := &ns.Versions[len(ns.Versions)-1]
	if action != ActionConflict {
		if !cur.Expires.Equal(utcOrZero(r.Expires)) || !cur.NotBefore.Equal(utcOrZero(r.NotBefore)) {
			meta = true
			cur.Expires, cur.NotBefore = utcOrZero(r.Expires), utcOrZero(r.NotBefore)
		}
	}
	switch {
	case sd.InTrash() && !s.InTrash():
		ns.Deleted = utcOrZero(sd.Deleted)
		p.seal(kindTrash, key(kindTrash, id), 0, encodeTime(ns.Deleted))
		notes = append(notes, "moved to the trash")
	case !sd.InTrash() && s.InTrash():
		ns.Deleted = time.Time{}
		p.del(key(kindTrash, id))
		notes = append(notes, "recovered from the trash")
	}
	if added == 0 && !meta && localVersion == st.LocalVersion && st.ID != nil && st.ServerVersion == r.ServerVersion && maps.Equal(st.Meta, r.Meta) && st.Removed == r.Removed && st.Mount == p.sync.Mount {
		p.item(ImportItem{Name: sd.Name, Action: ActionIdentical})
		return nil
	}
	versions := ns.Current().Number - s.Current().Number
	if m := p.set.MaxVersions; m > 0 {
		for len(ns.Versions) > m {
			p.del(valueKey(id, ns.Versions[0].Number))
			ns.Versions = ns.Versions[1:]
		}
	}
	ns.Updated = p.t.now
	p.seal(kindMeta, key(kindMeta, id), 0, encodeSecret(&ns))
	p.stageSync(sk, id, SyncState{Name: sd.Name, ServerVersion: r.ServerVersion, LocalVersion: localVersion, Meta: r.Meta, Removed: r.Removed, Mount: p.sync.Mount})
	if added == 0 && action != ActionConflict {
		action = ActionMetadata
		if !meta && len(notes) == 0 {
			notes = append(notes, "already here")
		}
	}
	reason := ""
	for i, n := range notes {
		if i > 0 {
			reason += "; "
		}
		reason += n
	}
	it := ImportItem{Name: sd.Name, Action: action, Versions: versions, Reason: reason}
	if action == ActionConflict {
		p.conflicts++
		if p.firstConflict == "" {
			p.firstConflict = sd.Name
		}
	}
	p.item(it)
	return nil
}

// replay adds values again as the newest versions, keeping their content
// type, lifetime and actor.
func (p *importPlan) replay(id []byte, s *Secret, vals [][]byte, vers []Version) {
	sd := &SecretData{Secret: Secret{Versions: vers}, Values: vals}
	for i := range vers {
		sd.Versions[i].Created = p.t.now
		p.version(id, s, sd, i)
	}
}

func (p *importPlan) stageSync(k, id []byte, st SyncState) {
	p.seal(kindSync, k, 0, encodeSyncState(p.sync.Target, id, st))
}
