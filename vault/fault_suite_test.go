package vault

// The fault-injection suite (security invariants 11 and 12): for each kind
// of file in a vault directory, and the machine's rollback anchor, a
// seeded set of faults — bit flips, truncations, zeroed pages, deletion,
// a copy from an older state — and after each, a session's reads and a
// write, then verify. Every outcome must be "all data intact" or a
// refusal with every file as it was (assertIntactOrRefused). It is
// deterministic: the seed fixes every position.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// faultSeed fixes every fault's position.
const faultSeed = 18

// fault damages one file of a clone.
type fault struct {
	name  string
	apply func(t *testing.T, path, older string)
}

// faultsFor lists the faults tried on a file of size size.
func faultsFor(rng *rand.Rand, size int64, flips int) []fault {
	var fs []fault
	for i := range flips {
		pos := rng.Int64N(max(size, 1) * 8)
		fs = append(fs, fault{fmt.Sprintf("flip %d (bit %d)", i, pos), func(t *testing.T, p, _ string) { flipBit(t, p, pos) }})
	}
	for _, cut := range []struct {
		name string
		to   int64
	}{{"truncate to 0", 0}, {"truncate to half", size / 2}, {"truncate by one byte", size - 1}} {
		fs = append(fs, fault{cut.name, func(t *testing.T, p, _ string) {
			if err := os.Truncate(p, max(cut.to, 0)); err != nil {
				t.Fatal(err)
			}
		}})
	}
	page := rng.Int64N(max(size/4096, 1))
	fs = append(fs,
		fault{fmt.Sprintf("zero page %d", page), func(t *testing.T, p, _ string) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			clear(b[min(page*4096, int64(len(b))):min(page*4096+4096, int64(len(b)))])
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		fault{"delete", func(t *testing.T, p, _ string) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}},
		fault{"older copy", func(t *testing.T, p, older string) {
			b, err := os.ReadFile(older)
			if err != nil {
				t.Skipf("the older state has no %s", filepath.Base(p))
			}
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	)
	return fs
}

func TestFaultSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault suite runs in full only")
	}
	names := []string{"app/db", "app/api", "ci/token", "ssh/key", "mail/pass", "web/cookie"}
	v, live := newFaultVault(t, names[:3]...)
	// older is the state before the last three secrets and a rotation.
	older := live.clone(t)
	for _, n := range names[3:] {
		mustPut(t, v, n, "value of "+n, PutOptions{})
	}
	// crashed is the store as kill -9 leaves it: a write-ahead log to replay.
	crashed := live.clone(t)
	closeVault(t, v)
	clean := live

	type target struct {
		kind  string
		base  faultVault
		path  func(f faultVault) []string
		flips int
	}
	db := func(pattern string) func(f faultVault) []string {
		return func(f faultVault) []string {
			m, _ := filepath.Glob(filepath.Join(f.dir, dbDir, pattern))
			slices.Sort(m)
			return m
		}
	}
	targets := []target{
		{".sst", clean, db("*.sst"), 24},
		{".vlog", clean, db("*.vlog"), 20},
		{".mem", crashed, db("*.mem"), 24},
		{"MANIFEST", clean, db("MANIFEST"), 20},
		{"KEYREGISTRY", clean, db("KEYREGISTRY"), 20},
		{"DISCARD", clean, db("DISCARD"), 20},
		{"header", clean, func(f faultVault) []string { return []string{filepath.Join(f.dir, headerFile)} }, 20},
		{"anchor", crashed, func(f faultVault) []string {
			m, _ := filepath.Glob(filepath.Join(f.state, "*.seen"))
			return m
		}, 20},
	}
	rng := rand.New(rand.NewPCG(faultSeed, 0))
	pick := rand.New(rand.NewPCG(faultSeed, 2))
	for _, tg := range targets {
		files := tg.path(tg.base)
		if len(files) == 0 {
			t.Fatalf("the vault has no %s file", tg.kind)
		}
		// The newest file of the kind: the one the next session uses.
		file := files[len(files)-1]
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		rel := func(f faultVault) string {
			if tg.kind == "anchor" {
				return filepath.Join(f.state, filepath.Base(file))
			}
			r, _ := filepath.Rel(tg.base.dir, file)
			return filepath.Join(f.dir, r)
		}
		faults := faultsFor(rng, fi.Size(), tg.flips)
		salvaged := salvageSubset(pick, len(faults))
		for i, fl := range faults {
			t.Run(tg.kind+"/"+fl.name, func(t *testing.T) {
				// Faults wait on the disk more than on the CPU.
				t.Parallel()
				f := tg.base.clone(t)
				fl.apply(t, rel(f), rel(older))
				refused := assertIntactOrRefused(t, f, names, tg.kind+" "+fl.name)
				if salvaged[i] {
					salvageCheck(t, f, names, tg.kind, refused)
				}
			})
		}
	}
	t.Run("commitment", func(t *testing.T) { commitmentFaults(t, clean, older, names) })
}

// commitmentFaults damages the sealed commitment record itself, offline:
// bit flips in its sealed bytes, and the older state's commitment put back.
func commitmentFaults(t *testing.T, clean, older faultVault, names []string) {
	rng := rand.New(rand.NewPCG(faultSeed, 1))
	salvaged := salvageSubset(rand.New(rand.NewPCG(faultSeed, 3)), 21)
	k := []byte{kindState}
	var old []byte
	offline(t, older.clone(t).dir, func(tx *badger.Txn) error {
		item, err := tx.Get(k)
		if err == nil {
			old, err = item.ValueCopy(nil)
		}
		return err
	})
	for i := range 21 {
		name := fmt.Sprintf("flip %d", i)
		bit := rng.IntN(len(old) * 8)
		if i == 20 {
			name = "older copy"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := clean.clone(t)
			offline(t, f.dir, func(tx *badger.Txn) error {
				item, err := tx.Get(k)
				if err != nil {
					return err
				}
				b, err := item.ValueCopy(nil)
				if err != nil {
					return err
				}
				if i == 20 {
					b = old
				} else {
					b[bit/8] ^= 1 << (bit % 8)
				}
				return tx.Set(k, b)
			})
			if !assertIntactOrRefused(t, f, names, "commitment "+name) {
				t.Errorf("commitment %s: the vault opened", name)
			}
			if salvaged[i] {
				salvageCheck(t, f, names, "commitment", true)
			}
		})
	}
}

// salvagePerKind is how many of each kind's faults are also salvaged.
// Salvage creates and reopens a vault (two key derivations, a store's
// start and close), several times the cost of the fault's own session:
// after every fault it made the suite take minutes, so each kind gets a
// seeded, deterministic subset.
const salvagePerKind = 4

// salvageSubset picks salvagePerKind of n faults, by their index.
func salvageSubset(rng *rand.Rand, n int) map[int]bool {
	out := map[int]bool{}
	for _, i := range rng.Perm(n)[:min(salvagePerKind, n)] {
		out[i] = true
	}
	return out
}

// intactKinds are the faults that leave every table and log whole:
// salvage, which reads the tables and logs themselves and not the files
// that index them, must save everything after them.
var intactKinds = map[string]bool{"MANIFEST": true, "KEYREGISTRY": true, "DISCARD": true, "anchor": true, "commitment": true}

// salvageCheck is run after a fault on the damaged vault f, refused or
// not: salvage into a new directory must leave f's files as they were,
// save every secret f can still serve with its value, report what the new
// vault holds, and never copy a value that is not an original one. kind
// is the damaged file's kind; refused, whether the session after the
// fault was refused.
func salvageCheck(t *testing.T, f faultVault, names []string, kind string, refused bool) {
	t.Helper()
	ctx := context.Background()
	// The originals: the suite's secrets, and the session's write.
	const wrote = "after/fault"
	want := map[string][]string{wrote: {"x"}}
	for _, n := range names {
		want[n] = []string{"value of " + n}
	}
	before, beforeState := treeHash(t, f.dir), treeHash(t, f.state)
	dst := filepath.Join(t.TempDir(), "saved")
	r, err := Salvage(ctx, f.dir, dst, testPass, Options{Actor: "tester@host", StateDir: t.TempDir()})
	if diff := sameTree(before, treeHash(t, f.dir)); len(diff) > 0 {
		t.Fatalf("salvage after %s: changed %v", kind, diff)
	}
	if diff := sameTree(beforeState, treeHash(t, f.state)); len(diff) > 0 {
		t.Fatalf("salvage after %s: changed the machine state %v", kind, diff)
	}
	if err != nil {
		// Only a damaged header may stop salvage: every record is sealed
		// under the key it wraps.
		if kind != "header" || !(errors.Is(err, ErrHeaderLost) || errors.Is(err, ErrWrongPassphrase)) {
			t.Fatalf("salvage after %s: %v", kind, err)
		}
		if exists(dst) {
			t.Fatalf("salvage after %s failed (%v) but made %s", kind, err, dst)
		}
		return
	}
	// Never a secret that was not there, nor a version that was not.
	for _, s := range r.Saved {
		if len(want[s.Name]) == 0 || !slices.Equal(s.Versions, []int{1}) {
			t.Fatalf("salvage after %s: saved %s versions %v, which never existed", kind, s.Name, s.Versions)
		}
	}
	// A refused session may have written before its refusal (at its
	// close): then its write is an original, else it never existed.
	if refused && !slices.ContainsFunc(r.Saved, func(s SalvagedSecret) bool { return s.Name == wrote }) {
		delete(want, wrote)
	}
	// A fault that destroys a table can take the names of its secrets
	// with it (their metadata and audit events were there): then only
	// what salvage names is checked. After a fault that leaves the tables
	// and logs whole, every original must be saved or reported lost.
	if !intactKinds[kind] {
		named := map[string]bool{}
		for _, s := range r.Saved {
			named[s.Name] = true
		}
		for _, l := range r.Lost {
			named[l.Name] = true
		}
		for n := range want {
			if !named[n] {
				delete(want, n)
			}
		}
	}
	// Every saved version holds its original value.
	checkSalvaged(t, r, dst, want)
	v, err := Open(ctx, dst, testPass, Options{ReadOnly: true, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	// The report's counts are the new vault's.
	live, err := v.List(ctx, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	trash, err := v.List(ctx, ListOptions{Deleted: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(live)+len(trash) != len(r.Saved) {
		t.Fatalf("salvage after %s: the report says %d secrets saved, the new vault holds %d", kind, len(r.Saved), len(live)+len(trash))
	}
	events, err := v.Audit(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	// The new vault's init, the kept events, and the import of the secrets.
	if wantEvents := 1 + r.Audit.Events + min(len(r.Saved), 1); len(events) != wantEvents {
		t.Fatalf("salvage after %s: the report says %d audit events kept, the new vault holds %d (want %d)", kind, r.Audit.Events, len(events), wantEvents)
	}
	saved := map[string]bool{}
	for _, s := range r.Saved {
		saved[s.Name] = true
	}
	// Every secret the damaged vault still serves, read after its own
	// checks, is saved.
	for n, val := range servable(ctx, f, want) {
		if val != want[n][0] {
			t.Errorf("after %s the damaged vault serves %s = %q", kind, n, val)
		}
		if !saved[n] {
			t.Fatalf("salvage after %s: %s is still served but not saved: %+v", kind, n, r)
		}
	}
	if intactKinds[kind] {
		for _, n := range names {
			if !saved[n] {
				t.Fatalf("salvage after %s, which leaves every table and log whole: %s not saved: %+v", kind, n, r)
			}
		}
		if !r.Complete() {
			t.Fatalf("salvage after %s, which leaves every table and log whole, is incomplete: %+v", kind, r)
		}
	}
}

// servable returns the secrets of want that the damaged vault f still
// serves: opened to be inspected, each read checked as always.
func servable(ctx context.Context, f faultVault, want map[string][]string) map[string]string {
	ro := f.opts
	ro.Inspect = true
	v, err := openFast(ctx, f.dir, ro)
	if err != nil {
		return nil
	}
	defer v.Close()
	got := map[string]string{}
	for n := range want {
		if val, _, err := v.Get(ctx, n, 0, OpGet); err == nil {
			got[n] = string(val)
		}
	}
	return got
}

// TestFaultSuiteContext keeps the suite's helpers honest: an untouched
// clone is intact.
func TestFaultSuiteContext(t *testing.T) {
	t.Parallel()
	v, base := newFaultVault(t, fourNames...)
	closeVault(t, v)
	if assertIntactOrRefused(t, base.clone(t), fourNames, "no fault") {
		t.Fatal("an untouched vault was refused")
	}
}
