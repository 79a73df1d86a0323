// Package kvsync syncs a locket vault with a HashiCorp Vault or OpenBao
// KV version 2 mount, both ways, without losing history on either side.
//
// Each locket version is one KV version; tags and attributes are the
// secret's custom_metadata (see mapping.go and docs/sync.md). The vault
// remembers, sealed, which server version it saw last for each secret
// (vault.SyncState): push sends only newer local versions, each with
// check-and-set on that server version, so a secret changed on the server
// meanwhile is a conflict and is not written; pull adds the server's newer
// versions through the vault's all-or-nothing import.
package kvsync

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/vault/api"

	"locket/vault"
)

// Vault is what a sync needs of a vault: a part of vault.Service.
type Vault interface {
	List(ctx context.Context, o vault.ListOptions) ([]vault.Secret, error)
	Snapshot(ctx context.Context, o vault.SnapshotOptions) ([]vault.SecretData, vault.Settings, error)
	Import(ctx context.Context, src iter.Seq2[vault.SecretData, error], o vault.ImportOptions) (vault.ImportReport, error)
	Settings(ctx context.Context) (vault.Settings, error)
	SyncStates(ctx context.Context, target string) (map[string]vault.SyncState, error)
	SetSyncState(ctx context.Context, target string, st vault.SyncState) error
	ForgetSyncState(ctx context.Context, target, name string) error
}

// Defaults of --mount and --path.
const (
	DefaultMount = "secret"
	DefaultPath  = "locket"
)

// Syncer syncs one vault with one location on one server.
type Syncer struct {
	v      Vault
	r      *remote
	target string
	// Workers is how many requests run at once (default 8): the server
	// answers metadata reads in parallel, and status reads one per secret.
	Workers int
	// AllowMassDelete lets a sync go ahead with a mount that is not the
	// one recorded at the last sync, and a pull trash more than
	// MassDeleteShare of the synced secrets.
	AllowMassDelete bool

	// mountID is the mount's uuid, read by gather.
	mountID string
}

// A pull that would move more than MassDeleteShare of the secrets synced
// under its prefix to the trash, and at least MassDeleteMin of them, is
// refused without AllowMassDelete: a wiped or replaced server looks like
// one where every secret was deleted.
const (
	MassDeleteShare = 0.5
	MassDeleteMin   = 5
)

// ErrMassDelete: the server's mount is not the one synced with before, or
// a pull would trash most of the vault's synced secrets.
var ErrMassDelete = errors.New("refused: looks like a wiped or replaced server")

// New returns a Syncer for the secrets under path in the KV v2 mount.
func New(v Vault, c *api.Client, mount, path string) *Syncer {
	mount = strings.Trim(mount, "/")
	path = strings.Trim(path, "/")
	target := strings.Join([]string{c.Address(), c.Namespace(), mount, path}, "|")
	return &Syncer{v: v, r: &remote{c: c, mount: mount, dir: path}, target: target, Workers: 8}
}

// Where names the location for messages: address, mount and path.
func (s *Syncer) Where() string {
	return s.r.addr() + " " + s.r.mount + "/" + s.r.dir
}

// State is how a secret compares between the vault and the server.
type State string

// The states of status.
const (
	InSync      State = "in-sync"
	LocalAhead  State = "local-ahead"
	ServerAhead State = "server-ahead"
	Diverged    State = "diverged"
	// Skipped: a server key that locket cannot name (the note says why);
	// sync leaves it alone.
	Skipped State = "skipped"
)

// The actions of push and pull items that are not the vault's import
// actions: each says what the server acknowledged.
const (
	ActionPushed   = "pushed"   // every planned write acknowledged
	ActionPurged   = "purged"   // the purge acknowledged
	ActionConflict = "conflict" // not written: changed on both sides
	ActionSkipped  = "skipped"  // left out, the note says why
	ActionFailed   = "failed"   // a write was not acknowledged; the note says which
	ActionNotDone  = "not-pushed"
	ActionNone     = "none"
)

// Item is one secret in a report.
type Item struct {
	Name  string `json:"name"`
	State State  `json:"state"`
	// Local and Server are the current versions; 0 when absent.
	Local  int `json:"local_version"`
	Server int `json:"server_version"`
	// Action is what push or pull does or did: pushed, pulled, new,
	// conflict, skipped, purged, trashed, none.
	Action string `json:"action,omitempty"`
	// Versions is how many versions are or would be written.
	Versions int    `json:"versions,omitempty"`
	Note     string `json:"note,omitempty"`

	// needs lists the capabilities a push of this item asks for.
	needs []need
}

// Report is the outcome of status, push or pull.
type Report struct {
	Target    string `json:"target"`
	Items     []Item `json:"items"`
	DryRun    bool   `json:"dry_run"`
	Conflicts int    `json:"conflicts"`
}

// Count returns how many items are in state st.
func (r Report) Count(st State) int {
	n := 0
	for _, it := range r.Items {
		if it.State == st {
			n++
		}
	}
	return n
}

// entry is one secret known on either side.
type entry struct {
	name string
	// invalid is why a server key is not a locket name.
	invalid string
	local   *vault.Secret
	values  [][]byte // the local values, for push
	state   *vault.SyncState
	server  *serverMeta
}

// gather reads both sides under prefix: the local secrets (with their
// values when withValues), the sync states and the server's metadata.
func (s *Syncer) gather(ctx context.Context, prefix string, withValues bool) ([]*entry, error) {
	if err := vault.ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	mountID, err := s.r.checkMount(ctx)
	if err != nil {
		return nil, err
	}
	s.mountID = mountID
	byName := map[string]*entry{}
	get := func(name string) *entry {
		e := byName[name]
		if e == nil {
			e = &entry{name: name}
			byName[name] = e
		}
		return e
	}
	if withValues {
		snap, _, err := s.v.Snapshot(ctx, vault.SnapshotOptions{Prefix: prefix, Purpose: vault.OpSync, Note: "push to " + s.Where()})
		if err != nil {
			return nil, err
		}
		for i := range snap {
			e := get(snap[i].Name)
			e.local, e.values = &snap[i].Secret, snap[i].Values
		}
	} else {
		for _, deleted := range []bool{false, true} {
			list, err := s.v.List(ctx, vault.ListOptions{Prefix: prefix, Deleted: deleted})
			if err != nil {
				return nil, err
			}
			for i := range list {
				get(list[i].Name).local = &list[i]
			}
		}
	}
	states, err := s.v.SyncStates(ctx, s.target)
	if err != nil {
		return nil, err
	}
	for name, st := range states {
		if strings.HasPrefix(name, prefix) {
			get(name).state = &st
		}
	}
	names, err := s.r.list(ctx, prefix, s.Workers)
	if err != nil {
		return nil, err
	}
	var onServer []*entry
	for _, n := range names {
		if err := vault.ValidateName(n); err != nil {
			// A key locket cannot name is left alone, and said so.
			e := get(n)
			e.invalid = "not a locket name: " + strings.TrimPrefix(err.Error(), vault.ErrInvalid.Error()+": ")
			continue
		}
		onServer = append(onServer, get(n))
	}
	err = s.each(ctx, onServer, func(ctx context.Context, e *entry) error {
		m, err := s.r.metadata(ctx, e.name)
		e.server = m
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]*entry, 0, len(byName))
	for _, e := range byName {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *entry) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// each runs fn for every entry on s.Workers goroutines and returns the
// first error, after which the rest are not started.
func (s *Syncer) each(ctx context.Context, entries []*entry, fn func(context.Context, *entry) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *entry)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range max(s.Workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range work {
				if err := fn(ctx, e); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
	for _, e := range entries {
		select {
		case work <- e:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// compare says what changed since the last sync on each side.
func compare(e *entry, lm map[string]string) (localChanged, serverChanged bool) {
	st := e.state
	if st == nil {
		return e.local != nil, e.server != nil
	}
	if st.ServerVersion == 0 && e.server == nil {
		// Gone from the server and kept in the trash here: only a new
		// version or a recovery brings it back to the server.
		return e.local != nil && (e.local.Current().Number != st.LocalVersion || !e.local.InTrash()), false
	}
	if e.local == nil {
		localChanged = true // purged here
	} else {
		localChanged = e.local.Current().Number != st.LocalVersion || !sameMeta(lm, st.Meta)
	}
	if e.server == nil {
		serverChanged = true // gone from the server
	} else {
		serverChanged = e.server.Current != st.ServerVersion || !sameMeta(e.server.Meta, st.Meta) || e.server.Removed != st.Removed
	}
	if e.local == nil && e.server == nil {
		return false, false
	}
	return localChanged, serverChanged
}

func stateOf(local, server bool) State {
	switch {
	case local && server:
		return Diverged
	case local:
		return LocalAhead
	case server:
		return ServerAhead
	}
	return InSync
}

func (e *entry) item(st State) Item {
	it := Item{Name: e.name, State: st}
	if e.local != nil {
		it.Local = e.local.Current().Number
	}
	if e.server != nil {
		it.Server = e.server.Current
	}
	return it
}

// Status compares every secret under prefix on both sides. It reads no
// value and changes nothing.
func (s *Syncer) Status(ctx context.Context, prefix string) (Report, error) {
	entries, err := s.gather(ctx, prefix, false)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Target: s.Where(), Items: []Item{}}
	for _, e := range entries {
		if e.invalid != "" {
			rep.Items = append(rep.Items, Item{Name: e.name, State: Skipped, Note: e.invalid})
			continue
		}
		var lm map[string]string
		note := ""
		if e.local != nil {
			if lm, err = localMeta(e.local); err != nil {
				note = err.Error()
			}
		}
		l, sv := compare(e, lm)
		it := e.item(stateOf(l, sv))
		switch {
		case e.state == nil && e.local != nil && e.server != nil:
			note = "on both sides, never synced"
		case e.local == nil && e.state != nil && e.server != nil:
			note = "purged here"
		case e.server == nil && e.state != nil && e.local != nil:
			note = "deleted on the server"
		case e.local == nil:
			note = "only on the server"
		case e.server == nil:
			note = "only here"
		case sv:
			note = serverChange(e)
		}
		if e.state != nil && e.state.Mount != "" && e.state.Mount != s.mountID {
			note = "last synced with another mount (the server was wiped or the mount recreated?)"
		}
		it.Note = note
		rep.Items = append(rep.Items, it)
	}
	return rep, nil
}

// serverChange says what changed on the server since the last sync,
// beyond new versions: deletion, undeletion, metadata.
func serverChange(e *entry) string {
	st, m := e.state, e.server
	if st == nil || m == nil {
		return ""
	}
	var parts []string
	_, was := st.Meta[metaTrashed]
	_, is := m.Meta[metaTrashed]
	switch {
	case is && !was:
		parts = append(parts, "deleted on the server")
	case was && !is:
		parts = append(parts, "undeleted on the server")
	}
	switch {
	case m.Current != st.ServerVersion && m.currentDeleted():
		parts = append(parts, fmt.Sprintf("server version %d is deleted there: it cannot be pulled until it is undeleted", m.Current))
	case m.Current != st.ServerVersion:
		parts = append(parts, fmt.Sprintf("server version %d, last synced %d", m.Current, st.ServerVersion))
	}
	if m.Removed != st.Removed {
		parts = append(parts, "versions deleted or destroyed on the server: "+orNone(m.Removed))
	}
	if c := metaChanges(withoutTrash(st.Meta), withoutTrash(m.Meta)); c != "" {
		parts = append(parts, "metadata "+c)
	}
	return strings.Join(parts, "; ")
}

func withoutTrash(m map[string]string) map[string]string {
	out := maps.Clone(m)
	delete(out, metaTrashed)
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// checkIdentity refuses, without AllowMassDelete, a sync with a mount
// other than the one the vault's states were recorded against.
func (s *Syncer) checkIdentity(entries []*entry) error {
	if s.AllowMassDelete {
		return nil
	}
	for _, e := range entries {
		if e.state != nil && e.state.Mount != "" && e.state.Mount != s.mountID {
			return fmt.Errorf("%w: the mount %s at %s is not the one this vault last synced with (the server was wiped or the mount recreated?); check it, then run again with --allow-mass-delete", ErrMassDelete, s.r.mount, s.r.addr())
		}
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
