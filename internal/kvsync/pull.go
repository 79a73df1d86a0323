package kvsync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"locket/vault"
)

// Pull brings what changed on the server under prefix since the last sync
// into the vault through its import: the server's newer versions become
// new local versions (nothing local is overwritten), tags and attributes
// are merged key by key, a secret deleted on the server goes to the trash
// and one undeleted there comes back from it. It is all-or-nothing locally
// and one audit event. When a secret changed on both sides, its local
// versions are added again on top of the server's, so that the next push
// sends them. It only reads the server: a read-only token is enough.
func (s *Syncer) Pull(ctx context.Context, prefix string, dryRun bool) (Report, error) {
	entries, err := s.gather(ctx, prefix, false)
	if err != nil {
		return Report{}, err
	}
	if err := s.checkIdentity(entries); err != nil {
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
		if e.invalid != "" {
			mu.Lock()
			items[e.name] = Item{Name: e.name, State: Skipped, Action: ActionSkipped, Note: e.invalid}
			mu.Unlock()
			return nil
		}
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
	if err := s.checkMassDelete(entries, secrets); err != nil {
		return Report{}, err
	}
	if len(secrets) > 0 {
		ir, err := s.v.Import(ctx, vault.SecretsOf(secrets), vault.ImportOptions{
			DryRun: dryRun,
			Note:   "sync pull from " + s.Where(),
			Sync:   &vault.SyncPull{Target: s.target, Mount: s.mountID, Remote: remote},
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

// checkMassDelete refuses, without AllowMassDelete, a pull that would
// move more than MassDeleteShare of the secrets synced under the prefix
// (and at least MassDeleteMin) to the trash.
func (s *Syncer) checkMassDelete(entries []*entry, secrets []vault.SecretData) error {
	if s.AllowMassDelete {
		return nil
	}
	live := map[string]bool{}
	synced := 0
	for _, e := range entries {
		if e.state != nil && e.local != nil && !e.local.InTrash() {
			live[e.name] = true
			synced++
		}
	}
	trashed := 0
	for _, sd := range secrets {
		if live[sd.Name] && (sd.InTrash() || len(sd.Versions) == 0 && !sd.Enabled && sd.Tags == nil) {
			trashed++
		}
	}
	if trashed >= MassDeleteMin && float64(trashed) > MassDeleteShare*float64(synced) {
		return fmt.Errorf("%w: the pull would move %d of the %d secrets synced under this prefix to the trash; check the server, then run again with --allow-mass-delete", ErrMassDelete, trashed, synced)
	}
	return nil
}

// errSkip marks a secret that pull leaves out, with the reason.
var errSkip = errors.New("skip")

// pullOne reads the server versions of e that the vault has not seen and
// its metadata, merged with the local side. It only reads: a version
// deleted on the server cannot be read without undeleting it, which pull
// never does, so it is left out with a note.
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
	serverMeta := e.server.Meta
	if _, ok := e.server.Raw[metaEnabled]; !ok {
		// A custom_metadata without locket-enabled (replaced whole by
		// vault kv metadata put, or never written by locket) says nothing
		// of it: the secret stays as enabled or disabled as it was.
		serverMeta = maps.Clone(serverMeta)
		if serverMeta == nil {
			serverMeta = map[string]string{}
		}
		switch {
		case lm != nil:
			serverMeta[metaEnabled] = lm[metaEnabled]
		case base.Meta[metaEnabled] != "":
			serverMeta[metaEnabled] = base.Meta[metaEnabled]
		default:
			serverMeta[metaEnabled] = "true"
		}
	}
	merged, clashes := serverMeta, []string(nil)
	if e.local != nil {
		merged, clashes = merge3(base.Meta, lm, serverMeta)
	}
	if e.local != nil {
		if c := metaChanges(lm, merged); c != "" {
			notes = append(notes, "metadata "+c)
		}
	}
	if len(clashes) > 0 {
		notes = append(notes, "metadata changed on both sides, the server's kept: "+strings.Join(clashes, " "))
	}
	if e.server.Removed != base.Removed && e.server.Removed != "" {
		notes = append(notes, "versions deleted or destroyed on the server: "+e.server.Removed+" (kept here)")
	}
	a := parseMeta(merged)
	if err := vault.ValidateTags(a.tags); err != nil {
		return sd, vault.SyncRemote{}, nil, fmt.Errorf("%w: the server's custom_metadata are not locket tags: %v", errSkip, err)
	}
	sd.Tags, sd.Enabled, sd.Deleted = a.tags, a.enabled, a.trashed
	// A version's created time is the one in its data only when that is
	// later than the version before it: vault kv patch and vault kv
	// rollback copy an older version's data, created and actor included,
	// and such a version was made when the server says.
	var prev time.Time
	if e.local != nil && base.LocalVersion > 0 {
		for _, ver := range e.local.Versions {
			if ver.Number == base.LocalVersion {
				prev = ver.Created
			}
		}
	}
	seen := e.server.Current
	for k := base.ServerVersion + 1; k <= e.server.Current; k++ {
		vs, ok := e.server.Versions[k]
		switch {
		case !ok || k < e.server.Oldest || vs.Destroyed:
			notes = append(notes, fmt.Sprintf("server version %d is destroyed: not pulled", k))
			continue
		case vs.Deleted:
			notes = append(notes, fmt.Sprintf("server version %d is deleted there and cannot be read without undeleting it: not pulled", k))
			if k == e.server.Current {
				// Not seen: the value is still to come once the version
				// is undeleted, and the secret is not in sync until then.
				seen = k - 1
			}
			continue
		}
		d, err := s.r.readVersion(ctx, e.name, k)
		if err != nil {
			return sd, vault.SyncRemote{}, nil, err
		}
		if d == nil {
			notes = append(notes, fmt.Sprintf("server version %d could not be read: not pulled", k))
			continue
		}
		val, ver, hasCreated, err := parseVersionData(d, vs.Created)
		if err == nil {
			err = vault.ValidateValue(val)
		}
		if err == nil {
			err = vault.ValidateContentType(ver.ContentType)
		}
		if err != nil {
			return sd, vault.SyncRemote{}, nil, fmt.Errorf("%w: server version %d: %v", errSkip, k, err)
		}
		if hasCreated && !ver.Created.After(prev) {
			ver.Created, ver.Actor = vs.Created, ""
		}
		prev = ver.Created
		if ver.ContentType == ContentTypeKVData {
			notes = append(notes, fmt.Sprintf("server version %d has data keys locket does not own: kept whole as %s", k, ContentTypeKVData))
		}
		sd.Versions = append(sd.Versions, ver)
		sd.Values = append(sd.Values, val)
	}
	r := vault.SyncRemote{ServerVersion: seen, Meta: e.server.Meta, Removed: e.server.Removed, Expires: a.expires, NotBefore: a.notBefore}
	if e.local == nil && len(sd.Versions) == 0 || seen == 0 {
		return sd, r, nil, fmt.Errorf("%w: no readable version on the server (deleted or destroyed there)", errSkip)
	}
	return sd, r, notes, nil
}
