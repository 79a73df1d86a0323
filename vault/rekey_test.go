package vault

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"locket/keyring"
)

// TestRekeyOldHeaderOpensNothing: after a rekey, an old copy of the header
// with the passphrase it was made for opens no record, neither one written
// before the rekey nor one written after, even with the same passphrase.
func TestRekeyOldHeaderOpensNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, opts := tamperVault(t)
	mustPut(t, v, "before", "written before the rekey", PutOptions{})
	oldHeader, err := os.ReadFile(filepath.Join(v.dir, headerFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Rekey(ctx, testPass, testPass, MinKDF); err != nil {
		t.Fatal(err)
	}
	mustPut(t, v, "after", "written after the rekey", PutOptions{})
	if n := countEvents(t, v, "rekey"); n != 1 {
		t.Errorf("%d rekey events", n)
	}
	dir := closeVault(t, v)
	// The vault opens with the new header, intact.
	v, err = Open(ctx, dir, testPass, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := values(t, v, "before"); got != "written before the rekey" {
		t.Errorf("before = %q", got)
	}
	if r, err := v.Verify(ctx); err != nil {
		t.Fatalf("%+v %v", r, err)
	}
	closeVault(t, v)

	old, err := keyring.ParseHeader(oldHeader)
	if err != nil {
		t.Fatal(err)
	}
	oldKeys, err := old.Unlock(testPass)
	if err != nil {
		t.Fatal(err)
	}
	records := 0
	offline(t, dir, func(tx *badger.Txn) error {
		it := tx.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().KeyCopy(nil)
			var ver uint64
			if k[0] == kindValue {
				ver = binary.BigEndian.Uint64(k[1+idSize:])
			}
			sealed, _ := it.Item().ValueCopy(nil)
			records++
			if _, err := oldKeys.Open(k[0], k, ver, sealed); err == nil {
				t.Errorf("the old key opens a %q record", k[0])
			}
		}
		return nil
	})
	if records == 0 {
		t.Fatal("no records")
	}
	if err := os.WriteFile(filepath.Join(dir, headerFile), oldHeader, 0o600); err != nil {
		t.Fatal(err)
	}
	if v, err := Open(ctx, dir, testPass, opts); err == nil {
		v.Close()
		t.Fatal("the old header opened the vault")
	}
}

// TestRekeyCrash stops a rekey where a crash could: the next open finds
// the vault under the old key (staged) or the new one (committed), whole.
func TestRekeyCrash(t *testing.T) {
	for _, step := range []string{"staged", "committed"} {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			limits := defaultImportLimits
			limits.crash = func(s string) bool { return s == "rekey "+step }
			opts := Options{Actor: "tester@host", StateDir: t.TempDir()}
			v := newVaultWith(t, DefaultSettings(), nil, Options{Actor: opts.Actor, StateDir: opts.StateDir, limits: &limits})
			mustPut(t, v, "a", "1", PutOptions{})
			mustPut(t, v, "b", "2", PutOptions{})
			err := v.Rekey(ctx, testPass, []byte("new passphrase"), MinKDF)
			if !errors.Is(err, errSimulatedCrash) {
				t.Fatalf("rekey: %v", err)
			}
			dir := closeVault(t, v)
			pass := testPass
			if step == "committed" {
				pass = []byte("new passphrase")
			}
			// A reader sees the finished rekey, or none of it.
			ro := opts
			ro.ReadOnly = true
			r, err := Open(ctx, dir, pass, ro)
			if err != nil {
				t.Fatal(err)
			}
			if got := values(t, r, "b"); got != "2" {
				t.Errorf("b = %q", got)
			}
			r.Close()
			v, err = Open(ctx, dir, pass, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			if n := len(v.rawKeys(t, kindRekey)) + len(v.rawKeys(t, kindRekeyHead)); n != 0 {
				t.Errorf("%d staged records left", n)
			}
			if rep, err := v.Verify(ctx); err != nil {
				t.Fatalf("%+v %v", rep, err)
			}
			want := map[string]int{"staged": 0, "committed": 1}[step]
			if n := countEvents(t, v, "rekey"); n != want {
				t.Errorf("%d rekey events, want %d", n, want)
			}
		})
	}
}
