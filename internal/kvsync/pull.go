package kvsync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"locket/vault"
)

// Pull brings what changed on the server under prefix since the last sync
// into the vault through its import: the server's newer versions become
// new local versions (nothing local is overwritten), tags and attributes
// are merged key by key, a secret deleted on the server goes to the trash.
// It is all-or-nothing locally and one audit event. When a secret changed
// on both sides, its local versions are added again on top of the
// server's, so that the next push sends them.
func (s *Syncer) Pull(ctx context.Context, prefix string, dryRun bool) (Report, error) {
	entries, err := s.gather(ctx, prefix, false)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Target: s.Where(), DryRun: dryRun, Items: []Item{}}
	var (
		mu      sync.Mutex
		secrets []vault.SecretData
		remote  = map[string]vault.SyncRemote{}
		notes   = map[string][]string{}
		states  = map[string]State{}
		items   = map[string]Item{}
	)
	err = s.each(ctx, entries, func(ctx context.Context, e *entry) error {
		var lm map[string]string
		if e.local != nil {
			var err error
			if lm, err = localMeta(e.local); err != nil {
				mu.Lock()
				it := e.item(Diverged)
				it.Action, it.Note = "skipped", err.Error()
				items[e.name] = it
				mu.Unlock()
				return nil
			}
		}
		l, sv := compare(e, lm)
		st := stateOf(l, sv)
		if !sv {
			return nil // nothing new on the server
		}
		sd, r, n, err := s.pullOne(ctx, e, lm, dryRun)
		mu.Lock()
		defer mu.Unlock()
		states[e.name] = st
		if err != nil {
			if errors.Is(err, errSkip) {
				it := e.item(st)
				it.Action, it.Note = "skipped", strings.TrimPrefix(err.Error(), errSkip.Error()+": ")
				items[e.name] = it
				return nil
			}
			return err
		}
		secrets = append(secrets, sd)
		remote[e.name] = r
		notes[e.name] = n
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	if len(secrets) > 0 {
		ir, err := s.v.Import(ctx, vault.SecretsOf(secrets), vault.ImportOptions{
			DryRun: dryRun,
			Note:   "sync pull from " + s.Where(),
			Sync:   &vault.SyncPull{Target: s.target, Remote: remote},
		})
		if err != nil {
			return Report{}, err
		}
		for _, ii := range ir.Items {
			it := Item{Name: ii.Name, State: states[ii.Name], Action: string(ii.Action), Versions: ii.Versions}
			if r, ok := remote[ii.Name]; ok {
				it.Server = r.ServerVersion
			}
			for _, e := range entries {
				if e.name == ii.Name && e.local != nil {
					it.Local = e.local.Current().Number
				}
			}
			all := append([]string{}, notes[ii.Name]...)
			if ii.Reason != "" {
				all = append(all, ii.Reason)
			}
			it.Note = strings.Join(all, "; ")
			if ii.Action == vault.ActionConflict {
				rep.Conflicts++
			}
			items[ii.Name] = it
		}
	}
	for _, e := range entries {
		if it, ok := items[e.name]; ok {
			rep.Items = append(rep.Items, it)
		}
	}
	return rep, nil
}

// errSkip marks a secret that pull leaves out, with the reason.
var errSkip = errors.New("skip")

// pullOne reads the server versions of e that the vault has not seen and
// its metadata, merged with the local side.
func (s *Syncer) pullOne(ctx context.Context, e *entry, lm map[string]string, dryRun bool) (vault.SecretData, vault.SyncRemote, []string, error) {
	var notes []string
	sd := vault.SecretData{Secret: vault.Secret{Name: e.name}}
	if e.server == nil {
		// Gone from the server since the last sync.
		return sd, vault.SyncRemote{}, nil, nil
	}
	var base vault.SyncState
	if e.state != nil {
		base = *e.state
	}
	if e.server.Current < base.ServerVersion {
		return sd, vault.SyncRemote{}, nil, fmt.Errorf("%w: the server's history is shorter than at the last sync (recreated there?); rename or purge one side", errSkip)
	}
	merged, clashes := e.server.Meta, []string(nil)
	if e.local != nil {
		merged, clashes = merge3(base.Meta, lm, e.server.Meta)
	}
	if e.local != nil {
		if c := metaChanges(lm, merged); c != "" {
			notes = append(notes, "metadata "+c)
		}
	}
	if len(clashes) > 0 {
		notes = append(notes, "metadata changed on both sides, the server's kept: "+strings.Join(clashes, " "))
	}
	a := parseMeta(merged)
	if err := vault.ValidateTags(a.tags); err != nil {
		return sd, vault.SyncRemote{}, nil, fmt.Errorf("%w: the server's custom_metadata are not locket tags: %v", errSkip, err)
	}
	// A current version deleted on the server by another tool is a
	// deletion too: the secret goes to the trash.
	if a.trashed.IsZero() && e.server.currentDeleted() && e.server.Meta[metaTrashed] == "" {
		a.trashed = time.Now().UTC()
	}
	sd.Tags, sd.Enabled, sd.Deleted = a.tags, a.enabled, a.trashed
	var deleted []int
	for k := base.ServerVersion + 1; k <= e.server.Current; k++ {
		vs, ok := e.server.Versions[k]
		switch {
		case !ok || k < e.server.Oldest || vs.Destroyed:
			notes = append(notes, fmt.Sprintf("server version %d is destroyed: not pulled", k))
			continue
		case vs.Deleted && k != e.server.Current:
			notes = append(notes, fmt.Sprintf("server version %d is deleted: not pulled", k))
			continue
		case vs.Deleted && dryRun:
			notes = append(notes, fmt.Sprintf("server version %d is deleted (trash): read when pulling", k))
			continue
		case vs.Deleted:
			// The trash keeps the current version soft-deleted; its value
			// is read by undeleting it for the moment of the read.
			if err := s.r.versionsOp(ctx, "undelete", e.name, k); err != nil {
				return sd, vault.SyncRemote{}, nil, err
			}
			deleted = append(deleted, k)
		}
		d, err := s.r.readVersion(ctx, e.name, k)
		if err != nil {
			return sd, vault.SyncRemote{}, nil, err
		}
		if d == nil {
			notes = append(notes, fmt.Sprintf("server version %d could not be read: not pulled", k))
			continue
		}
		val, ver, err := parseVersionData(d, vs.Created)
		if err == nil {
			err = vault.ValidateValue(val)
		}
		if err == nil {
			err = vault.ValidateContentType(ver.ContentType)
		}
		if err != nil {
			return sd, vault.SyncRemote{}, nil, fmt.Errorf("%w: server version %d: %v", errSkip, k, err)
		}
		sd.Versions = append(sd.Versions, ver)
		sd.Values = append(sd.Values, val)
	}
	if len(deleted) > 0 {
		if err := s.r.versionsOp(ctx, "delete", e.name, deleted...); err != nil {
			return sd, vault.SyncRemote{}, nil, err
		}
	}
	r := vault.SyncRemote{ServerVersion: e.server.Current, Meta: e.server.Meta, Expires: a.expires, NotBefore: a.notBefore}
	if e.local == nil && len(sd.Versions) == 0 {
		return sd, r, nil, fmt.Errorf("%w: no readable version on the server", errSkip)
	}
	return sd, r, notes, nil
}
