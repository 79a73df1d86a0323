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
//
// The report says only what the server acknowledged: a push that stops
// part-way (refused, sealed, gone) returns its error with every secret
// marked pushed, failed (with what of it was acknowledged) or not-pushed.
func (s *Syncer) Push(ctx context.Context, prefix string, dryRun bool) (Report, error) {
	entries, err := s.gather(ctx, prefix, true)
	if err != nil {
		return Report{}, err
	}
	if err := s.checkIdentity(entries); err != nil {
		return Report{}, err
	}
	set, err := s.v.Settings(ctx)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Target: s.Where(), DryRun: dryRun, Items: make([]Item, len(entries))}
	// The plan first: a push the token may not make in full is refused
	// before anything is written.
	for i, e := range entries {
		if e.invalid != "" {
			rep.Items[i] = Item{Name: e.name, State: Skipped, Action: ActionSkipped, Note: e.invalid}
			continue
		}
		if rep.Items[i], err = s.pushOne(ctx, e, set, true); err != nil {
			return Report{}, err
		}
	}
	if dryRun {
		return rep, nil
	}
	// From here on, an item says what happened: a planned write is
	// not-pushed until the server acknowledges it.
	index := make(map[*entry]int, len(entries))
	var todo []*entry
	for i, e := range entries {
		index[e] = i
		switch it := &rep.Items[i]; it.Action {
		case ActionPushed, ActionPurged:
			it.Action, it.Versions, it.Note = ActionNotDone, 0, "planned: "+it.Note
			todo = append(todo, e)
		case ActionNone:
			todo = append(todo, e) // bookkeeping only, no write
		}
	}
	if err := s.checkCapabilities(ctx, rep.Items); err != nil {
		return rep, err
	}
	var mu sync.Mutex
	err = s.each(ctx, todo, func(ctx context.Context, e *entry) error {
		it, err := s.pushOne(ctx, e, set, false)
		if it.Name == "" {
			it = e.item(LocalAhead)
		}
		if err != nil && it.Action != ActionFailed {
			it.Action, it.Note = ActionFailed, oneLine(err.Error())
		}
		mu.Lock()
		rep.Items[index[e]] = it
		mu.Unlock()
		return err
	})
	var first string
	for _, it := range rep.Items {
		if it.Action == ActionConflict {
			rep.Conflicts++
			if first == "" {
				first = it.Name
			}
		}
	}
	if err != nil {
		return rep, err
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
			it.Action, it.Note = ActionConflict, err.Error()+"; rename the tag to push this secret"
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
		it.Action, it.Note = ActionNone, "deleted on the server, in the trash here"
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
		it.Action, it.Note = ActionNone, "gone from both sides"
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
		serverChanged = e.server.Current != base.ServerVersion || e.server.Removed != base.Removed ||
			!sameMeta(e.server.Meta, base.Meta) && !sameMeta(e.server.Meta, lm)
	}
	it := e.item(stateOf(localChanged, serverChanged))
	switch {
	case !localChanged && !serverChanged:
		it.Action = ActionNone
		return it, nil
	case !localChanged:
		it.Action, it.Note = ActionSkipped, "changed on the server; pull it"
		return it, nil
	case serverChanged:
		it.Action = ActionConflict
		switch {
		case e.state == nil:
			it.Note = "on the server but never synced here; pull first"
		case e.server == nil:
			it.Note = "deleted on the server and changed here; pull first"
		case e.local == nil:
			it.Note = "purged here and changed on the server; pull or purge it on the server"
		case e.server.currentDeleted() && !e.local.InTrash():
			// Writing would bring back what a team member deleted.
			it.Note = "deleted on the server and changed here: a push would undo that deletion; pull first (it goes to the trash here), then recover it and push to bring it back"
		default:
			it.Note = "changed on both sides (" + serverChange(e) + "); pull, then push"
		}
		return it, nil
	}
	if e.local == nil {
		it.Action, it.Note = ActionPurged, "every version destroyed and the metadata deleted"
		it.needs = []need{{"metadata", []string{"delete"}}}
		if dryRun {
			return it, nil
		}
		if err := s.r.destroy(ctx, e.name); err != nil {
			it.Action, it.Note = ActionFailed, "purge not acknowledged: "+oneLine(err.Error())
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
	haveMax, serverRaw, curDeleted := 0, map[string]string(nil), false
	if e.server != nil {
		haveMax, serverRaw = e.server.MaxVersions, e.server.Raw
		curDeleted = e.server.currentDeleted()
	}
	trash := e.local.InTrash() && (len(idx) > 0 || !curDeleted)
	recover := !e.local.InTrash() && len(idx) == 0 && curDeleted
	writeMeta := !sameMeta(lm, serverRaw) || haveMax != wantMax
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
	if c := metaChanges(serverRaw, lm); c != "" {
		notes = append(notes, "metadata "+c)
	}
	it.Action, it.Versions, it.Note = ActionPushed, len(idx), strings.Join(notes, "; ")
	if len(notes) == 0 && !writeMeta {
		it.Action = ActionNone
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
	for _, i := range idx {
		if _, err := versionData(e.values[i], e.local.Versions[i]); err != nil {
			it.Action, it.Versions, it.Note = ActionSkipped, 0, fmt.Sprintf("version %d: %v", e.local.Versions[i].Number, err)
			it.needs = nil
			return it, nil
		}
	}
	if dryRun {
		return it, nil
	}
	// What the server acknowledged so far, for the report when a request
	// fails: the item then says what of the secret is there and what not.
	var done []string
	fail := func(err error, what string) (Item, error) {
		it.Action = ActionFailed
		it.Note = what + " not acknowledged: " + oneLine(err.Error())
		if len(done) > 0 {
			it.Note = strings.Join(done, "; ") + " acknowledged; " + it.Note
		}
		return it, err
	}
	st := base
	st.Mount = s.mountID
	effMax := haveMax
	if effMax == 0 {
		effMax = mountDefaultVersions
	}
	it.Versions = 0
	for n, i := range idx {
		ver := e.local.Versions[i]
		data, err := versionData(e.values[i], ver)
		if err != nil {
			it.Action, it.Note = ActionSkipped, fmt.Sprintf("version %d: %v", ver.Number, err)
			if n > 0 {
				it.Action, it.Note = ActionFailed, fmt.Sprintf("%s acknowledged; version %d: %v", plural(n, "version"), ver.Number, err)
			}
			return it, nil
		}
		got, err := s.r.write(ctx, e.name, data, st.ServerVersion)
		if errors.Is(err, errCAS) {
			it.Action, it.Note = ActionConflict, "changed on the server during the push; pull, then push"
			if n > 0 {
				it.Note = plural(n, "version") + " acknowledged, then " + it.Note
			}
			return it, nil
		}
		if err != nil {
			return fail(err, fmt.Sprintf("version %d of %d", n+1, len(idx)))
		}
		st.ServerVersion, st.LocalVersion = got, ver.Number
		it.Versions = n + 1
		done = []string{fmt.Sprintf("%d of %d versions", n+1, len(idx))}
		if err := s.v.SetSyncState(ctx, s.target, st); err != nil {
			return it, err
		}
		// The server would drop the oldest versions before the metadata
		// at the end raises its limit: raise it as soon as the key is ours.
		if n == 0 && haveMax != wantMax && st.ServerVersion+len(idx)-1 > effMax {
			if err := s.r.writeMeta(ctx, e.name, wantMax, nil, false); err != nil {
				return fail(err, "max_versions")
			}
		}
	}
	if trash {
		if err := s.r.deleteCurrent(ctx, e.name); err != nil {
			return fail(err, "the trash (delete of the current version)")
		}
		done = append(done, "trashed")
	}
	if recover {
		if err := s.r.versionsOp(ctx, "undelete", e.name, st.ServerVersion); err != nil {
			return fail(err, "the recovery (undelete)")
		}
		done = append(done, "recovered")
	}
	if writeMeta {
		// KV v2 has no check-and-set on metadata: compare it once more
		// just before writing, so that a change made on the server since
		// the push began is not overwritten.
		now, err := s.r.metadata(ctx, e.name)
		if err != nil {
			return fail(err, "the metadata")
		}
		if now != nil && !sameMeta(now.Raw, serverRaw) && !sameMeta(now.Raw, lm) {
			it.Action, it.Note = ActionConflict, "metadata changed on the server during the push; pull, then push"
			if len(done) > 0 {
				it.Note = strings.Join(done, "; ") + " acknowledged, then " + it.Note
			}
			return it, nil
		}
		if err := s.r.writeMeta(ctx, e.name, wantMax, lm, true); err != nil {
			return fail(err, "the metadata")
		}
	}
	st.Meta = lm
	if e.server != nil {
		st.Removed = e.server.Removed
		if vs := e.server.Versions[e.server.Current]; len(idx) > 0 && (vs.Deleted || vs.Destroyed) {
			// The deleted version that was current is an earlier one now.
			mark := "d"
			if vs.Destroyed {
				mark = "x"
			}
			st.Removed = strings.TrimSpace(st.Removed + fmt.Sprintf(" %d%s", e.server.Current, mark))
		}
	}
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
		val, ver, _, err := parseVersionData(d, e.server.Versions[base.ServerVersion+k].Created)
		i := idx[k-1]
		if err != nil || !bytes.Equal(val, e.values[i]) || ver.ContentType != e.local.Versions[i].ContentType || !ver.Created.Equal(e.local.Versions[i].Created) && ver.ContentType != ContentTypeKVData {
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
