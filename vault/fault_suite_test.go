package vault

// The fault-injection suite (security invariants 11 and 12): for each kind
// of file in a vault directory, and the machine's rollback anchor, a
// seeded set of faults — bit flips, truncations, zeroed pages, deletion,
// a copy from an older state — and after each, a session's reads and a
// write, then verify. Every outcome must be "all data intact" or a
// refusal with every file as it was (assertIntactOrRefused). It is
// deterministic: the seed fixes every position.

import (
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

// salvageCheck, when set, is run after every fault that was refused, on
// the damaged vault: it asserts that salvage recovers every record that
// still authenticates. The salvage command's tests set it.
var salvageCheck func(t *testing.T, f faultVault, names []string)

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
		for _, fl := range faultsFor(rng, fi.Size(), tg.flips) {
			t.Run(tg.kind+"/"+fl.name, func(t *testing.T) {
				// Faults wait on the disk more than on the CPU.
				t.Parallel()
				f := tg.base.clone(t)
				fl.apply(t, rel(f), rel(older))
				if assertIntactOrRefused(t, f, names, tg.kind+" "+fl.name) && salvageCheck != nil {
					salvageCheck(t, f, names)
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
		})
	}
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
