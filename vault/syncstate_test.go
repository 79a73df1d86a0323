package vault

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func TestSyncState(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v := newVault(t, DefaultSettings(), nil)
	mustPut(t, v, "a/b", "one", PutOptions{})
	mustPut(t, v, "c/d", "two", PutOptions{})
	st := SyncState{Name: "a/b", ServerVersion: 3, LocalVersion: 1, Meta: map[string]string{"env": "prod"}}
	if err := v.SetSyncState(ctx, "srv1", st); err != nil {
		t.Fatal(err)
	}
	if err := v.SetSyncState(ctx, "srv2", SyncState{Name: "c/d", ServerVersion: 1, LocalVersion: 1}); err != nil {
		t.Fatal(err)
	}
	if err := v.SetSyncState(ctx, "srv1", SyncState{Name: "no/such"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("state of a missing secret: %v", err)
	}
	got, err := v.SyncStates(ctx, "srv1")
	if err != nil || len(got) != 1 || got["a/b"].ServerVersion != 3 || !maps.Equal(got["a/b"].Meta, st.Meta) {
		t.Fatalf("srv1: %+v %v", got, err)
	}

	// A record moved to another key is an integrity error, not data.
	keys := v.rawKeys(t, kindSync)
	if len(keys) != 2 {
		t.Fatalf("%d sync records", len(keys))
	}
	a, b := v.rawGet(t, keys[0]), v.rawGet(t, keys[1])
	v.rawSet(t, keys[0], b)
	if _, err := v.SyncStates(ctx, "srv1"); !errors.Is(err, ErrIntegrity) {
		t.Errorf("swapped record: %v", err)
	}
	v.rawSet(t, keys[0], a)

	// Purged, the state stays so that a push can carry the purge; the name
	// reused, the old state no longer applies.
	if err := v.Delete(ctx, "a/b"); err != nil {
		t.Fatal(err)
	}
	if err := v.Purge(ctx, "a/b"); err != nil {
		t.Fatal(err)
	}
	if got, _ := v.SyncStates(ctx, "srv1"); len(got) != 1 {
		t.Errorf("after purge: %+v", got)
	}
	mustPut(t, v, "a/b", "new secret", PutOptions{})
	if got, _ := v.SyncStates(ctx, "srv1"); len(got) != 0 {
		t.Errorf("after reuse: %+v", got)
	}
	if err := v.ForgetSyncState(ctx, "srv2", "c/d"); err != nil {
		t.Fatal(err)
	}
	if got, _ := v.SyncStates(ctx, "srv2"); len(got) != 0 {
		t.Errorf("after forget: %+v", got)
	}
}

// TestImportSync: a pull is one import that writes the versions and the
// sync state together, and a dry run writes neither.
func TestImportSync(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v := newVault(t, DefaultSettings(), nil)
	sd := []SecretData{{Secret: Secret{Name: "p/q", Enabled: true, Tags: map[string]string{"k": "v"}, Versions: []Version{{}, {}}}, Values: [][]byte{[]byte("1"), []byte("2")}}}
	o := ImportOptions{DryRun: true, Sync: &SyncPull{Target: "srv", Remote: map[string]SyncRemote{"p/q": {ServerVersion: 2}}}}
	rep, err := v.Import(ctx, SecretsOf(sd), o)
	if err != nil || len(rep.Items) != 1 || rep.Items[0].Action != ActionNew {
		t.Fatalf("dry run: %+v %v", rep, err)
	}
	if got, _ := v.SyncStates(ctx, "srv"); len(got) != 0 {
		t.Errorf("dry run wrote state: %+v", got)
	}
	events, _ := v.Audit(ctx, "")
	o.DryRun = false
	if _, err := v.Import(ctx, SecretsOf(sd), o); err != nil {
		t.Fatal(err)
	}
	got, _ := v.SyncStates(ctx, "srv")
	if got["p/q"].ServerVersion != 2 || got["p/q"].LocalVersion != 2 {
		t.Errorf("state: %+v", got)
	}
	after, _ := v.Audit(ctx, "")
	if len(after) != len(events)+1 || after[len(after)-1].Op != "import" {
		t.Errorf("audit: %d events more", len(after)-len(events))
	}
	// The server moves on: only its new version is added, on top.
	sd[0].Versions, sd[0].Values = []Version{{}}, [][]byte{[]byte("3")}
	o.Sync.Remote["p/q"] = SyncRemote{ServerVersion: 3}
	if _, err := v.Import(ctx, SecretsOf(sd), o); err != nil {
		t.Fatal(err)
	}
	s, _ := v.Secret(ctx, "p/q")
	if s.Current().Number != 3 {
		t.Errorf("after the second pull: %+v", s.Versions)
	}
}

// TestSyncStateCommitted: sync state is part of the state commitment (a
// record put back to an older state is caught), and a rekey moves its key
// with the data key, so that later writes update it in place.
func TestSyncStateCommitted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, opts := tamperVault(t)
	mustPut(t, v, "a", "one", PutOptions{})
	set := func(server int) {
		t.Helper()
		if err := v.SetSyncState(ctx, "srv", SyncState{Name: "a", ServerVersion: server, LocalVersion: 1}); err != nil {
			t.Fatal(err)
		}
	}
	set(1)
	if err := v.Rekey(ctx, testPass, []byte("new passphrase"), MinKDF); err != nil {
		t.Fatal(err)
	}
	set(2)
	if keys := v.rawKeys(t, kindSync); len(keys) != 1 {
		t.Fatalf("%d sync records after a rekey and a write, want 1", len(keys))
	}
	if got, err := v.SyncStates(ctx, "srv"); err != nil || got["a"].ServerVersion != 2 {
		t.Fatalf("after rekey: %+v %v", got, err)
	}
	if r, err := v.Verify(ctx); err != nil || len(r.Problems) != 0 {
		t.Fatalf("verify: %v %v", r.Problems, err)
	}
	key := v.rawKeys(t, kindSync)[0]
	older := v.rawGet(t, key)
	set(3)
	dir := closeVault(t, v)
	// Put back the state of server version 2: authentic, sealed under the
	// same key, but older than the commitment.
	offline(t, dir, func(tx *badger.Txn) error { return tx.Set(key, older) })
	if _, err := Open(ctx, dir, []byte("new passphrase"), opts); !errors.Is(err, ErrIntegrity) {
		t.Errorf("a rolled back sync state: %v, want an integrity error", err)
	}
}
