package kvsync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"locket/vault"
)

// keepAllVersions is the max_versions of a key when the vault keeps every
// version (max-versions 0): KV v2 has no "unlimited", and 0 there means
// the mount's default, 10.
const keepAllVersions = 1000

// mountDefaultVersions is what KV v2 keeps when neither the key nor the
// mount says otherwise.
const mountDefaultVersions = 10

// Push sends what changed locally under prefix since the last sync: new
// versions in order, each with check-and-set, then tags and attributes,
// trash and purges. A secret that changed on the server too is a conflict:
// it is not written, and the others still go. The error wraps ErrConflict
// when any secret conflicted; the report lists every secret either way.
func (s *Syncer) Push(ctx context.Context, prefix string, dryRun bool) (Report, error) {
	entries, err := s.gather(ctx, prefix, true)
	if err != nil {
		return Report{}, err
	}
	set, err := s.v.Settings(ctx)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Target: s.Where(), DryRun: dryRun, Items: make([]Item, len(entries))}
	index := make(map[*entry]int, len(entries))
	for i, e := range entries {
		index[e] = i
	}
	var mu sync.Mutex
	pass := func(dryRun bool) error {
		return s.each(ctx, entries, func(ctx context.Context, e *entry) error {
			it, err := s.pushOne(ctx, e, set, dryRun)
			mu.Lock()
			rep.Items[index[e]] = it
			mu.Unlock()
			return err
		})
	}
	// The plan first: a push the token may not make in full is refused
	// before anything is written.
	err = pass(true)
	if err == nil && !dryRun {
		if err = s.checkCapabilities(ctx, rep.Items); err == nil {
			err = pass(false)
		}
	}
	rep.Items = slices.DeleteFunc(rep.Items, func(it Item) bool { return it.Name == "" })
	if err != nil {
		return rep, err
	}
	var first string
	for _, it := range rep.Items {
		if it.Action == "conflict" {
			rep.Conflicts++
			if first == "" {
				first = it.Name
			}
		}
	}
	if rep.Conflicts > 0 {
		return rep, fmt.Errorf("%w: %s not pushed (first: %s); run locket sync pull, then push again", ErrConflict, plural(rep.Conflicts, "secret"), vault.Sanitize(first))
	}
	return rep, nil
}

// pushOne pushes one secret. It returns an error only for what stops the
// whole push (the server went away, the token may not write); a conflict
// is reported in the item.
func (s *Syncer) pushOne(ctx context.Context, e *entry, set vault.Settings, dryRun bool) (Item, error) {
	var lm map[string]string
	if e.local != nil {
		var err error
		if lm, err = localMeta(e.local); err != nil {
			it := e.item(LocalAhead)
			it.Action, it.Note = "conflict", err.Error()+"; rename the tag to push this secret"
			return it, nil
		}
	}
	base := vault.SyncState{Name: e.name}
	tombstone := e.state != nil && e.state.ServerVersion == 0 && e.server == nil
	if e.state != nil && !tombstone {
		base = *e.state
	} else if e.local != nil {
		base.LocalVersion = e.local.Versions[0].Number - 1
	}
	if tombstone && e.local != nil && e.local.InTrash() && e.local.Current().Number == e.state.LocalVersion {
		it := e.item(InSync)
		it.Action, it.Note = "none", "deleted on the server, in the trash here"
		return it, nil
	}
	// A push whose answers were lost (the server died after a write) left
	// server versions that are ours: recognise them, so that pushing again
	// adds no duplicate.
	if e.local != nil && e.server != nil && e.server.Current > base.ServerVersion &&
		(sameMeta(e.server.Meta, base.Meta) || sameMeta(e.server.Meta, lm)) {
		adopted, err := s.adopt(ctx, e, &base)
		if err != nil {
			return Item{}, err
		}
		if adopted && !dryRun {
			if err := s.v.SetSyncState(ctx, s.target, base); err != nil {
				return Item{}, err
			}
		}
	}
	if e.local == nil && e.server == nil {
		it := e.item(InSync)
		it.Action, it.Note = "none", "gone from both sides"
		if dryRun {
			return it, nil
		}
		return it, s.v.ForgetSyncState(ctx, s.target, e.name)
	}
	localChanged := e.state != nil
	if e.local != nil {
		localChanged = e.local.Current().Number != base.LocalVersion || !sameMeta(lm, base.Meta)
	}
	// The server changed when its version moved, when it lost the secret
	// since the last sync, or when its metadata is neither the last synced
	// nor already ours.
	serverChanged := e.state != nil && base.ServerVersion > 0
	if e.server != nil {
		serverChanged = e.server.Current != base.ServerVersion ||
			!sameMeta(e.server.Meta, base.Meta) && !sameMeta(e.server.Meta, lm)
	}
	it := e.item(stateOf(localChanged, serverChanged))
	switch {
	case !localChanged && !serverChanged:
		it.Action = "none"
		return it, nil
	case !localChanged:
		it.Action, it.Note = "skipped", "changed on the server; pull it"
		return it, nil
	case serverChanged:
		it.Action = "conflict"
		switch {
		case e.state == nil:
			it.Note = "on the server but never synced here; pull first"
		case e.server == nil:
			it.Note = "deleted on the server and changed here; pull first"
		case e.local == nil:
			it.Note = "purged here and changed on the server; pull or purge it on the server"
		default:
			it.Note = "changed on both sides; pull, then push"
		}
		return it, nil
	}
	if e.local == nil {
		it.Action, it.Note = "purged", "every version destroyed and the metadata deleted"
		it.needs = []need{{"metadata", []string{"delete"}}}
		if dryRun {
			return it, nil
		}
		if err := s.r.destroy(ctx, e.name); err != nil {
			return it, err
		}
		return it, s.v.ForgetSyncState(ctx, s.target, e.name)
	}
	return s.pushLocal(ctx, e, it, base, lm, set, dryRun)
}

// pushLocal writes the local versions the server has not seen, then the
// trash state and the metadata.
func (s *Syncer) pushLocal(ctx context.Context, e *entry, it Item, base vault.SyncState, lm map[string]string, set vault.Settings, dryRun bool) (Item, error) {
	var idx []int
	for i, ver := range e.local.Versions {
		if ver.Number > base.LocalVersion {
			idx = append(idx, i)
		}
	}
	wantMax := set.MaxVersions
	if wantMax == 0 {
		wantMax = max(keepAllVersions, len(e.local.Versions))
	}
	haveMax, serverMeta, curDeleted := 0, map[string]string(nil), false
	if e.server != nil {
		haveMax, serverMeta = e.server.MaxVersions, e.server.Meta
		curDeleted = e.server.currentDeleted()
	}
	trash := e.local.InTrash() && (len(idx) > 0 || !curDeleted)
	recover := !e.local.InTrash() && len(idx) == 0 && curDeleted
	writeMeta := !sameMeta(lm, serverMeta) || haveMax != wantMax
	var notes []string
	if len(idx) > 0 {
		notes = append(notes, plural(len(idx), "version"))
	}
	if trash {
		notes = append(notes, "trashed")
	}
	if recover {
		notes = append(notes, "recovered")
	}
	if c := metaChanges(serverMeta, lm); c != "" {
		notes = append(notes, "metadata "+c)
	}
	it.Action, it.Versions, it.Note = "pushed", len(idx), strings.Join(notes, "; ")
	if len(notes) == 0 {
		it.Action = "none"
	}
	write := []string{"create", "update"}
	if len(idx) > 0 {
		it.needs = append(it.needs, need{"data", write})
	}
	if trash {
		it.needs = append(it.needs, need{"delete", []string{"update"}})
	}
	if recover {
		it.needs = append(it.needs, need{"undelete", []string{"update"}})
	}
	if writeMeta {
		it.needs = append(it.needs, need{"metadata", write})
	}
	if dryRun {
		return it, nil
	}
	st := base
	effMax := haveMax
	if effMax == 0 {
		effMax = mountDefaultVersions
	}
	for n, i := range idx {
		ver := e.local.Versions[i]
		got, err := s.r.write(ctx, e.name, versionData(e.values[i], ver), st.ServerVersion)
		if errors.Is(err, errCAS) {
			it.Action, it.Note = "conflict", "changed on the server during the push; pull, then push"
			it.Versions = n
			return it, nil
		}
		if err != nil {
			return it, err
		}
		st.ServerVersion, st.LocalVersion = got, ver.Number
		if err := s.v.SetSyncState(ctx, s.target, st); err != nil {
			return it, err
		}
		// The server would drop the oldest versions before the metadata
		// at the end raises its limit: raise it as soon as the key is ours.
		if n == 0 && haveMax != wantMax && st.ServerVersion+len(idx)-1 > effMax {
			if err := s.r.writeMeta(ctx, e.name, wantMax, nil, false); err != nil {
				return it, err
			}
		}
	}
	if trash {
		if err := s.r.deleteCurrent(ctx, e.name); err != nil {
			return it, err
		}
	}
	if recover {
		if err := s.r.versionsOp(ctx, "undelete", e.name, st.ServerVersion); err != nil {
			return it, err
		}
	}
	if writeMeta {
		// KV v2 has no check-and-set on metadata: compare it once more
		// just before writing, so that a change made on the server since
		// the push began is not overwritten.
		now, err := s.r.metadata(ctx, e.name)
		if err != nil {
			return it, err
		}
		if now != nil && !sameMeta(now.Meta, serverMeta) && !sameMeta(now.Meta, lm) {
			it.Action, it.Note = "conflict", "metadata changed on the server during the push; pull, then push"
			return it, nil
		}
		if err := s.r.writeMeta(ctx, e.name, wantMax, lm, true); err != nil {
			return it, err
		}
	}
	st.Meta = lm
	return it, s.v.SetSyncState(ctx, s.target, st)
}

// adopt recognises server versions after base that hold exactly the next
// local versions, written by a push that did not hear the answers, and
// moves base past them.
func (s *Syncer) adopt(ctx context.Context, e *entry, base *vault.SyncState) (bool, error) {
	var idx []int
	for i, ver := range e.local.Versions {
		if ver.Number > base.LocalVersion {
			idx = append(idx, i)
		}
	}
	extra := e.server.Current - base.ServerVersion
	if extra > len(idx) {
		return false, nil
	}
	for k := 1; k <= extra; k++ {
		d, err := s.r.readVersion(ctx, e.name, base.ServerVersion+k)
		if err != nil || d == nil {
			return false, err
		}
		val, ver, err := parseVersionData(d, e.server.Versions[base.ServerVersion+k].Created)
		i := idx[k-1]
		if err != nil || !bytes.Equal(val, e.values[i]) || ver.ContentType != e.local.Versions[i].ContentType || !ver.Created.Equal(e.local.Versions[i].Created) {
			return false, nil
		}
	}
	if extra == 0 {
		return false, nil
	}
	base.ServerVersion = e.server.Current
	base.LocalVersion = e.local.Versions[idx[extra-1]].Number
	return true, nil
}

// need is a capability a push asks for on one endpoint of a secret: any
// of caps on mount/endpoint/key.
type need struct {
	endpoint string
	caps     []string
}

// checkCapabilities asks the server, in one request, whether the token
// may do everything the planned push does, and refuses the push, naming
// the first path, if not. A token that may not ask (no default policy)
// goes ahead; the writes themselves are still refused one by one.
func (s *Syncer) checkCapabilities(ctx context.Context, items []Item) error {
	var paths []string
	type check struct {
		path string
		caps []string
	}
	var checks []check
	for _, it := range items {
		for _, n := range it.needs {
			p := s.r.mount + "/" + n.endpoint + "/" + s.r.key(it.Name)
			paths = append(paths, p)
			checks = append(checks, check{p, n.caps})
		}
	}
	if len(paths) == 0 {
		return nil
	}
	got, err := s.r.capabilities(ctx, paths)
	if errors.Is(err, ErrPermission) {
		return nil
	}
	if err != nil {
		return err
	}
	var refused []string
	for _, c := range checks {
		have := got[c.path]
		ok := slices.Contains(have, "root")
		for _, want := range c.caps {
			ok = ok || slices.Contains(have, want)
		}
		if !ok || slices.Contains(have, "deny") {
			refused = append(refused, c.path)
		}
	}
	if len(refused) == 0 {
		return nil
	}
	more := ""
	if len(refused) > 1 {
		more = fmt.Sprintf(" and %d more", len(refused)-1)
	}
	return fmt.Errorf("%w: the token may not write %s%s (%s); nothing was pushed", ErrPermission, refused[0], more, s.r.addr())
}
