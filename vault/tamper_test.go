package vault

// The offline tamper suite: an attacker with the disk but not the
// passphrase edits a closed vault's Badger records with Badger alone, and
// locket must report an integrity error and hand out no value.

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// tamperVault creates a vault with its own machine state directory, so
// that tests run in parallel without seeing each other's vaults.
func tamperVault(t *testing.T) (*Vault, Options) {
	t.Helper()
	opts := Options{Actor: "tester@host", StateDir: t.TempDir()}
	v, err := Create(context.Background(), filepath.Join(t.TempDir(), "vault"), testPass, MinKDF, DefaultSettings(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v, opts
}

// offline edits the closed vault in dir with Badger alone.
func offline(t *testing.T, dir string, edit func(tx *badger.Txn) error) {
	t.Helper()
	db, err := badger.Open(badgerOptions(filepath.Join(dir, dbDir), debugLog{}))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(edit); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// record is a key and the sealed bytes it held at some moment.
type record struct{ k, sealed []byte }

func (v *Vault) save(t *testing.T, k []byte) record { return record{k, v.rawGet(t, k)} }

// putBack writes saved records back and deletes keys, offline.
func putBack(t *testing.T, dir string, recs []record, del ...[]byte) {
	t.Helper()
	offline(t, dir, func(tx *badger.Txn) error {
		for _, r := range recs {
			if err := tx.Set(r.k, r.sealed); err != nil {
				return err
			}
		}
		for _, k := range del {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

func closeVault(t *testing.T, v *Vault) string {
	t.Helper()
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	return v.dir
}

// assertTampered checks every way of reading a tampered vault: a writable
// open refuses; a read-only open refuses, or its reads of name, its list
// and its verify report an integrity error and return no value.
func assertTampered(t *testing.T, dir string, opts Options, name string) {
	t.Helper()
	ctx := context.Background()
	refused := func(err error) bool { return errors.Is(err, ErrIntegrity) || errors.Is(err, ErrRollback) }
	if v, err := Open(ctx, dir, testPass, opts); !refused(err) {
		if err == nil {
			v.Close()
		}
		t.Fatalf("writable open: %v, want an integrity error", err)
	}
	ro := opts
	ro.ReadOnly = true
	v, err := Open(ctx, dir, testPass, ro)
	if refused(err) {
		return
	}
	if err != nil {
		t.Fatalf("read-only open: %v", err)
	}
	defer v.Close()
	if name != "" {
		if val, _, err := v.Get(ctx, name, 0, OpGet); !refused(err) || val != nil {
			t.Errorf("get %s: %q, %v; want no value and an integrity error", name, val, err)
		}
	}
	if _, err := v.List(ctx, ListOptions{}); !refused(err) {
		t.Errorf("list: %v, want an integrity error", err)
	}
	if r, err := v.Verify(ctx); !errors.Is(err, ErrIntegrity) || len(r.Problems) == 0 {
		t.Errorf("verify: %+v, %v; want problems", r, err)
	}
}

func TestTamperOffline(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		// attack changes the open vault, closes it and edits it offline;
		// it returns the secret whose read must fail, or "".
		attack func(t *testing.T, v *Vault) string
	}{
		{"rotated secret's metadata rolled back", func(t *testing.T, v *Vault) string {
			mustPut(t, v, "db/password", "leaked old value", PutOptions{})
			old := v.save(t, key(kindMeta, v.secretID(t, "db/password")))
			mustPut(t, v, "db/password", "rotated", PutOptions{})
			putBack(t, closeVault(t, v), []record{old})
			return "db/password"
		}},
		{"settings rolled back to turn purge protection off", func(t *testing.T, v *Vault) string {
			old := v.save(t, []byte{kindSettings})
			if err := v.SetSetting(ctx, "purge-protection", "true", testPass); err != nil {
				t.Fatal(err)
			}
			putBack(t, closeVault(t, v), []record{old})
			return ""
		}},
		{"disabled secret's metadata rolled back", func(t *testing.T, v *Vault) string {
			mustPut(t, v, "api", "value", PutOptions{})
			old := v.save(t, key(kindMeta, v.secretID(t, "api")))
			off := false
			if err := v.Update(ctx, "api", Attributes{Enabled: &off}); err != nil {
				t.Fatal(err)
			}
			putBack(t, closeVault(t, v), []record{old})
			return "api"
		}},
		{"trashed secret put back", func(t *testing.T, v *Vault) string {
			mustPut(t, v, "gone", "value", PutOptions{})
			id := v.secretID(t, "gone")
			old := v.save(t, key(kindMeta, id))
			if err := v.Delete(ctx, "gone"); err != nil {
				t.Fatal(err)
			}
			putBack(t, closeVault(t, v), []record{old}, key(kindTrash, id))
			return "gone"
		}},
		{"every record of a secret deleted", func(t *testing.T, v *Vault) string {
			mustPut(t, v, "keep", "k", PutOptions{})
			mustPut(t, v, "victim", "v", PutOptions{})
			id := v.secretID(t, "victim")
			var ik []byte
			v.view(func(tx *txn) error { ik = tx.indexKey("victim"); return nil })
			putBack(t, closeVault(t, v), nil, ik, key(kindMeta, id), valueKey(id, 1))
			return "victim"
		}},
		{"audit head rolled back and newest events deleted", func(t *testing.T, v *Vault) string {
			mustPut(t, v, "a", "1", PutOptions{})
			old := v.save(t, []byte{kindAuditHead})
			before := len(v.rawKeys(t, kindAudit))
			mustPut(t, v, "a", "2", PutOptions{})
			mustPut(t, v, "b", "3", PutOptions{})
			events := v.rawKeys(t, kindAudit)
			putBack(t, closeVault(t, v), []record{old}, events[before:]...)
			return ""
		}},
		{"state commitment deleted", func(t *testing.T, v *Vault) string {
			mustPut(t, v, "a", "1", PutOptions{})
			putBack(t, closeVault(t, v), nil, []byte{kindState})
			return "a"
		}},
		{"state commitment rolled back with a record", func(t *testing.T, v *Vault) string {
			mustPut(t, v, "a", "old", PutOptions{})
			recs := []record{v.save(t, []byte{kindState}), v.save(t, key(kindMeta, v.secretID(t, "a")))}
			mustPut(t, v, "a", "new", PutOptions{})
			putBack(t, closeVault(t, v), recs)
			return "a"
		}},
		{"unsealed scrub marker planted on a live secret", func(t *testing.T, v *Vault) string {
			mustPut(t, v, "live", "must survive", PutOptions{})
			id := v.secretID(t, "live")
			var ik []byte
			v.view(func(tx *txn) error { ik = tx.indexKey("live"); return nil })
			putBack(t, closeVault(t, v), []record{{key(kindScrub, id), ik}})
			return "live"
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v, opts := tamperVault(t)
			name := c.attack(t, v)
			assertTampered(t, v.dir, opts, name)
			// Nothing was acted on: no failed open scrubbed, purged or
			// repaired anything. Accepting a rollback does not accept a
			// mismatch either.
			opts.AcceptRollback = true
			if v, err := Open(ctx, v.dir, testPass, opts); !errors.Is(err, ErrIntegrity) {
				if err == nil {
					v.Close()
				}
				t.Errorf("open with AcceptRollback: %v, want an integrity error", err)
			}
		})
	}
}

// TestTamperMarkerKeepsSecret: a marker planted on a live secret must not
// destroy it, not even when the writable open that finds it refuses.
func TestTamperMarkerKeepsSecret(t *testing.T) {
	t.Parallel()
	v, opts := tamperVault(t)
	mustPut(t, v, "live", "must survive", PutOptions{})
	id := v.secretID(t, "live")
	// Sealed with the vault's own keys, as a key holder could: the
	// commitment, not only the AEAD, refuses it.
	v.reseal(t, kindScrub, key(kindScrub, id), v.kr.Index("name", []byte("live")))
	dir := closeVault(t, v)
	if _, err := Open(context.Background(), dir, testPass, opts); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("open: %v", err)
	}
	offline(t, dir, func(tx *badger.Txn) error {
		_, err := tx.Get(key(kindMeta, id))
		if err != nil {
			t.Errorf("the secret's metadata is gone: %v", err)
		}
		return nil
	})
}

// TestTamperMixedCopies takes records from a diverged copy of the same
// vault: each is authentic, but the set is not one the vault ever held.
func TestTamperMixedCopies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, opts := tamperVault(t)
	mustPut(t, v, "shared", "v1", PutOptions{})
	id := v.secretID(t, "shared")
	dir := closeVault(t, v)
	copyDir := filepath.Join(t.TempDir(), "copy")
	if out, err := exec.Command("cp", "-a", dir, copyDir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	other := opts
	other.StateDir = t.TempDir()
	b, err := Open(ctx, copyDir, testPass, other)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, b, "shared", "from the copy", PutOptions{})
	recs := []record{b.save(t, key(kindMeta, id)), b.save(t, valueKey(id, 2))}
	b.Close()
	a, err := Open(ctx, dir, testPass, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, a, "unrelated", "x", PutOptions{})
	putBack(t, closeVault(t, a), recs)
	assertTampered(t, dir, opts, "shared")
}

// TestWholeVaultRollback puts back an older copy of the whole directory,
// and of the MANIFEST alone: each is consistent, and only this machine's
// memory of the vault tells it is old.
func TestWholeVaultRollback(t *testing.T) {
	for _, what := range []string{"directory", "MANIFEST"} {
		t.Run(what, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			v, opts := tamperVault(t)
			mustPut(t, v, "token", "old", PutOptions{})
			dir := closeVault(t, v)
			saved := filepath.Join(t.TempDir(), "saved")
			src := dir
			if what == "MANIFEST" {
				src = filepath.Join(dir, dbDir, "MANIFEST")
			}
			if out, err := exec.Command("cp", "-a", src, saved).CombinedOutput(); err != nil {
				t.Fatalf("cp: %v %s", err, out)
			}
			v, err := Open(ctx, dir, testPass, opts)
			if err != nil {
				t.Fatal(err)
			}
			mustPut(t, v, "token", "rotated", PutOptions{})
			if err := v.SetSetting(ctx, "purge-protection", "true", testPass); err != nil {
				t.Fatal(err)
			}
			closeVault(t, v)
			if what == "directory" {
				os.RemoveAll(dir)
				if err := os.Rename(saved, dir); err != nil {
					t.Fatal(err)
				}
			} else if err := os.Rename(saved, src); err != nil {
				t.Fatal(err)
			}
			for _, ro := range []bool{false, true} {
				o := opts
				o.ReadOnly = ro
				v, err := Open(ctx, dir, testPass, o)
				if err == nil {
					v.Close()
				}
				// An older MANIFEST may also name tables that the newer
				// session compacted away; then the store does not open at
				// all, which refuses the old state just as well. What must
				// never happen is an open that serves it.
				refused := errors.Is(err, ErrRollback) || (what == "MANIFEST" && err != nil)
				if !refused {
					t.Fatalf("read-only=%v: open: %v, want the rollback refused", ro, err)
				}
			}
			if what != "directory" {
				return
			}
			// A deliberate restore is accepted, audited and remembered.
			o := opts
			o.AcceptRollback = true
			v, err = Open(ctx, dir, testPass, o)
			if err != nil {
				t.Fatal(err)
			}
			if n := countEvents(t, v, "accept-rollback"); n != 1 {
				t.Errorf("%d accept-rollback events", n)
			}
			closeVault(t, v)
			v, err = Open(ctx, dir, testPass, opts)
			if err != nil {
				t.Fatalf("after an accepted rollback: %v", err)
			}
			v.Close()
		})
	}
}

// TestSeenRecordForged: the machine's record of a vault is MAC'd; an edit
// is refused like a rollback.
func TestSeenRecordForged(t *testing.T) {
	t.Parallel()
	v, opts := tamperVault(t)
	mustPut(t, v, "a", "1", PutOptions{})
	path := v.seenPath()
	dir := closeVault(t, v)
	if err := os.WriteFile(path, []byte(`{"counter":1,"mac":"AAAA"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), dir, testPass, opts); !errors.Is(err, ErrRollback) {
		t.Fatalf("open: %v, want ErrRollback", err)
	}
}

// TestStateCounter: every change raises the counter, the commitment
// matches after every kind of change, and the machine remembers it.
func TestStateCounter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, opts := tamperVault(t)
	start := v.counter
	mustPut(t, v, "a", "1", PutOptions{})
	mustPut(t, v, "b", "2", PutOptions{})
	if err := v.Rename(ctx, "b", "c"); err != nil {
		t.Fatal(err)
	}
	if err := v.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := v.Purge(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	mustPut(t, v, "a", "reused", PutOptions{})
	if _, err := v.Import(ctx, SecretsOf([]SecretData{data("imp", "x", "y")}), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if v.counter <= start {
		t.Errorf("counter %d did not rise from %d", v.counter, start)
	}
	if err := v.CheckState(ctx); err != nil {
		t.Fatal(err)
	}
	if r, err := v.Verify(ctx); err != nil {
		t.Fatalf("%+v %v", r, err)
	}
	want := v.counter
	closeVault(t, v)
	v, err := Open(ctx, v.dir, testPass, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if v.seen != want {
		t.Errorf("machine remembers %d, want %d", v.seen, want)
	}
}

// TestCheckMissingValue: check reports a secret whose current value record
// is gone as an integrity error, even on a handle that trusts its state.
func TestCheckMissingValue(t *testing.T) {
	t.Parallel()
	v, _ := tamperVault(t)
	mustPut(t, v, "orphaned", "v1", PutOptions{})
	v.rawDelete(t, valueKey(v.secretID(t, "orphaned"), 1))
	if _, err := v.Check(context.Background(), time.Time{}); !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), `"orphaned"`) {
		t.Fatalf("check: %v, want an integrity error naming the secret", err)
	}
}

// TestMigrateOlderVault: a vault made before the commitment (no
// commitment, an audit head that does not claim one) gets one at its first
// writable open, audited; a reader before that reads it unchecked. The
// same vault on a machine that has seen it with a commitment is refused.
func TestMigrateOlderVault(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, opts := tamperVault(t)
	mustPut(t, v, "old", "value", PutOptions{})
	var h auditHead
	if err := json.Unmarshal(v.open(t, kindAuditHead, []byte{kindAuditHead}), &h); err != nil {
		t.Fatal(err)
	}
	h.State = false
	b, _ := json.Marshal(h)
	v.reseal(t, kindAuditHead, []byte{kindAuditHead}, b)
	v.rawDelete(t, []byte{kindState})
	v.stateOn = false // as the older build would have closed it
	dir := closeVault(t, v)

	if _, err := Open(ctx, dir, testPass, opts); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("open on a machine that saw the commitment: %v", err)
	}
	fresh := opts
	fresh.StateDir = t.TempDir()
	ro := fresh
	ro.ReadOnly = true
	r, err := Open(ctx, dir, testPass, ro)
	if err != nil {
		t.Fatal(err)
	}
	if val, _, err := r.Get(ctx, "old", 0, OpGet); err != nil || string(val) != "value" {
		t.Errorf("reading the older vault: %q %v", val, err)
	}
	r.Close()
	v, err = Open(ctx, dir, testPass, fresh)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if n := countEvents(t, v, "migrate"); n != 1 {
		t.Errorf("%d migrate events", n)
	}
	if rep, err := v.Verify(ctx); err != nil {
		t.Fatalf("%+v %v", rep, err)
	}
}
