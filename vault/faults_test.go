package vault

// Disk faults (security invariants 11 and 12): a damaged, truncated,
// deleted or older file in the vault directory ends in "everything
// intact" or in an error with every file as it was, never in fewer
// records. These are issue 18's four reproductions; fault_suite_test.go
// sweeps every file kind.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"locket/keyring"
)

// faultVault is a vault and the machine state directory that remembers it.
type faultVault struct {
	dir, state string
	opts       Options
}

// newFaultVault creates a vault with its own machine state and puts
// secrets into it, each name's value being "value of NAME".
func newFaultVault(t testing.TB, names ...string) (*Vault, faultVault) {
	t.Helper()
	v, opts := tamperVault(t.(*testing.T))
	for _, n := range names {
		mustPut(t, v, n, "value of "+n, PutOptions{})
	}
	return v, faultVault{dir: v.dir, state: opts.StateDir, opts: opts}
}

// copyTree copies a directory, keeping modes (cp -a, without a process
// per copy: the fault suite makes hundreds).
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Mkdir(to, fi.Mode().Perm())
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

// clone copies the vault and its machine state, as a disk and its
// machine would hold them at this moment (kill -9 leaves exactly that).
func (f faultVault) clone(t testing.TB) faultVault {
	t.Helper()
	root := t.TempDir()
	c := f
	c.dir, c.state = filepath.Join(root, "vault"), filepath.Join(root, "state")
	copyTree(t, f.dir, c.dir)
	copyTree(t, f.state, c.state)
	c.opts.StateDir = c.state
	return c
}

// treeHash hashes every file's path, mode and content under dir.
func treeHash(t testing.TB, dir string) map[string][32]byte {
	t.Helper()
	h := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			h[rel+"/"] = [32]byte{}
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h[rel] = sha256.Sum256(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// sameTree reports the files that differ between two treeHash results.
func sameTree(before, after map[string][32]byte) []string {
	var diff []string
	for p, s := range before {
		if a, ok := after[p]; !ok || a != s {
			diff = append(diff, p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			diff = append(diff, p+" (new)")
		}
	}
	slices.Sort(diff)
	return diff
}

// refusal reports whether err is one of the errors that refuse a damaged
// or rolled-back vault.
func refusal(err error) bool {
	return errors.Is(err, ErrIntegrity) || errors.Is(err, ErrRollback) || errors.Is(err, ErrBadHeader) || errors.Is(err, ErrWrongPassphrase)
}

// unlocked caches the keyrings of test vaults by header, so that the
// many opens of a fault sweep do not each run the KDF.
var unlocked sync.Map

// openFast is Open without the KDF for a header seen before.
func openFast(ctx context.Context, dir string, opts Options) (*Vault, error) {
	hdr, err := ReadHeader(dir)
	if err != nil {
		return nil, err
	}
	k := string(hdr.Marshal())
	if kr, ok := unlocked.Load(k); ok {
		return openUnlocked(ctx, dir, hdr, kr.(*keyring.Keyring).Clone(), opts)
	}
	kr, err := hdr.Unlock(testPass)
	if err != nil {
		return nil, err
	}
	unlocked.Store(k, kr.Clone())
	return openUnlocked(ctx, dir, hdr, kr, opts)
}

// useVault opens the vault for writing, reads every name and writes one
// more secret, as a session would. It returns the values read.
func useVault(ctx context.Context, f faultVault, names []string) (map[string]string, error) {
	v, err := openFast(ctx, f.dir, f.opts)
	if err != nil {
		return nil, err
	}
	got := map[string]string{}
	for _, n := range names {
		val, _, err := v.Get(ctx, n, 0, OpGet)
		if err != nil {
			v.Close()
			return got, fmt.Errorf("get %s: %w", n, err)
		}
		got[n] = string(val)
	}
	if _, err := v.Put(ctx, "after/fault", []byte("x"), PutOptions{}); err != nil {
		v.Close()
		return got, fmt.Errorf("put: %w", err)
	}
	return got, v.Close()
}

// assertIntactOrRefused is the contract after a fault: either every
// secret reads back whole (and verify agrees), or the open or a read is
// refused with an integrity error and no file changed.
func assertIntactOrRefused(t *testing.T, f faultVault, names []string, what string) (refused bool) {
	t.Helper()
	ctx := context.Background()
	before := treeHash(t, f.dir)
	got, err := useVault(ctx, f, names)
	if err != nil {
		if !refusal(err) {
			t.Errorf("%s: %v; want an integrity error", what, err)
		}
		if diff := sameTree(before, treeHash(t, f.dir)); len(diff) > 0 {
			t.Errorf("%s: refused (%v) but changed %v", what, err, diff)
		}
		return true
	}
	for _, n := range names {
		if got[n] != "value of "+n {
			t.Errorf("%s: %s = %q", what, n, got[n])
		}
	}
	ro := f.opts
	ro.Inspect = true
	v, err := openFast(ctx, f.dir, ro)
	if err != nil {
		t.Fatalf("%s: reopen for verify: %v", what, err)
	}
	defer v.Close()
	if r, err := v.Verify(ctx); err != nil {
		t.Errorf("%s: served every secret, then verify: %v %v", what, err, r.Problems)
	}
	return false
}

// flipBit flips bit (pos % 8) of byte pos/8 of file p.
func flipBit(t testing.TB, p string, pos int64) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[pos/8] ^= 1 << (pos % 8)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func globOne(t testing.TB, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("no file matches %s", pattern)
	}
	return m
}

var fourNames = []string{"a/one", "a/two", "b/three", "b/four"}

// TestTableBitFlip is reproduction 1: one flipped bit in the only table.
// Badger's iterators stopped at the damaged block without an error, the
// writable open's check passed on what it could read, and the close's
// compaction kept only the records before the block and deleted the
// table. Now the open refuses and the table stays as it was.
func TestTableBitFlip(t *testing.T) {
	t.Parallel()
	v, base := newFaultVault(t, fourNames...)
	closeVault(t, v)
	sst := globOne(t, filepath.Join(base.dir, dbDir, "*.sst"))
	fi, err := os.Stat(sst[0])
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(18, 1))
	refused, flips := 0, 20
	if testing.Short() {
		flips = 6 // the fault suite sweeps the tables too
	}
	for i := range flips {
		f := base.clone(t)
		pos := rng.Int64N(fi.Size() * 8)
		flipBit(t, filepath.Join(f.dir, dbDir, filepath.Base(sst[0])), pos)
		if assertIntactOrRefused(t, f, fourNames, fmt.Sprintf("flip %d at bit %d", i, pos)) {
			refused++
		}
	}
	if refused == 0 {
		t.Error("no flip was refused: the faults missed the table")
	}
}

// TestManifestDamage is reproduction 2: a MANIFEST cut to 10 bytes or
// deleted made Badger delete the tables it no longer named. Now the open
// refuses, nothing changes, and the MANIFEST put back opens the vault.
func TestManifestDamage(t *testing.T) {
	t.Parallel()
	v, base := newFaultVault(t, fourNames...)
	closeVault(t, v)
	for _, damage := range []string{"truncate", "delete"} {
		f := base.clone(t)
		m := filepath.Join(f.dir, dbDir, "MANIFEST")
		saved, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		if damage == "truncate" {
			err = os.Truncate(m, 10)
		} else {
			err = os.Remove(m)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !assertIntactOrRefused(t, f, fourNames, damage+" MANIFEST") {
			t.Fatalf("%s MANIFEST: the vault opened", damage)
		}
		if err := os.WriteFile(m, saved, 0o600); err != nil {
			t.Fatal(err)
		}
		if assertIntactOrRefused(t, f, fourNames, damage+" MANIFEST, put back") {
			t.Fatalf("%s MANIFEST put back: still refused", damage)
		}
	}
}

// TestAnchorFollowsWrites is reproduction 3: the rollback anchor moved
// only at open and close, so a copy of the store taken between two
// writes of a session that then died opened as if current. Now every
// acknowledged change moves it.
func TestAnchorFollowsWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, live := newFaultVault(t)
	mustPut(t, v, "token", "v1", PutOptions{})
	old := live.clone(t) // the store after v1, as a kill would leave it
	mustPut(t, v, "token", "v2", PutOptions{})
	// The session "dies" here: v stays open, nothing is closed or flushed.
	old.state = live.state
	old.opts.StateDir = live.state
	before := treeHash(t, old.dir)
	for _, ro := range []bool{false, true} {
		o := old.opts
		o.ReadOnly = ro
		ov, err := Open(ctx, old.dir, testPass, o)
		if err == nil {
			val, _, _ := ov.Get(ctx, "token", 0, OpGet)
			ov.Close()
			t.Fatalf("read-only=%v: the copy from before v2 opened and gave %q", ro, val)
		}
		if !errors.Is(err, ErrRollback) {
			t.Fatalf("read-only=%v: %v, want a rollback", ro, err)
		}
	}
	if diff := sameTree(before, treeHash(t, old.dir)); len(diff) > 0 {
		t.Errorf("the refused copy changed: %v", diff)
	}
}

// TestDamagedWriteAheadLog is reproduction 4: a flipped bit in the
// write-ahead log of a killed session dropped acknowledged writes k3–k10
// silently, and verify said ok. Now the loss shows against the anchor.
func TestDamagedWriteAheadLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, live := newFaultVault(t)
	var names []string
	for i := 1; i <= 10; i++ {
		names = append(names, fmt.Sprintf("k%d", i))
		mustPut(t, v, names[i-1], "value of "+names[i-1], PutOptions{})
	}
	killed := live.clone(t) // v is never closed: this is what kill -9 leaves
	mem := globOne(t, filepath.Join(killed.dir, dbDir, "*.mem"))
	slices.Sort(mem)
	b, err := os.ReadFile(mem[len(mem)-1])
	if err != nil {
		t.Fatal(err)
	}
	used := len(bytes.TrimRight(b, "\x00"))
	// Around k3's entry: ten puts and their audit events fill the log
	// evenly after the creation's records.
	flipBit(t, mem[len(mem)-1], int64(used*3/10)*8+3)
	before := treeHash(t, killed.dir)
	_, err = useVault(ctx, killed, names)
	if !refusal(err) {
		t.Fatalf("open after a damaged write-ahead log: %v, want a refusal", err)
	}
	if diff := sameTree(before, treeHash(t, killed.dir)); len(diff) > 0 {
		t.Errorf("refused (%v) but changed %v", err, diff)
	}
	if !strings.Contains(err.Error(), "older than state") && !errors.Is(err, ErrIntegrity) {
		t.Errorf("error %q does not say what was lost", err)
	}
}
