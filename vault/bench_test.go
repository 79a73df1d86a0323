package vault

// Benchmarks for the operations users feel, at 1k, 10k and 100k secrets.
// The vaults are built once, with a fast loader that writes the same
// sealed records as Put but in Badger write batches, and cached in the
// temporary directory across runs (locket-bench-N). Run them with
//
//	go test ./vault -run XXX -bench . -benchmem -benchtime 200x

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

var benchSizes = []int{1_000, 10_000, 100_000}

// benchName is the i-th secret of a benchmark vault.
func benchName(i int) string {
	return fmt.Sprintf("team%02d/app%03d/secret-%06d", i%17, i%389, i)
}

// bulkLoad adds n secrets of one version each, numbered from start, with
// two tags and a 32-byte value, sealed exactly as Put seals them, but
// written in batches without audit events.
func bulkLoad(tb testing.TB, v *Vault, start, n int) {
	tb.Helper()
	wb := v.db.NewWriteBatch()
	defer wb.Cancel()
	now := v.now().UTC().Round(0)
	val := make([]byte, 32)
	for i := start; i < start+n; i++ {
		rand.Read(val)
		name := benchName(i)
		id := newID()
		s := &Secret{Name: name, Created: now, Updated: now, Enabled: true,
			Tags:     map[string]string{"env": []string{"prod", "dev", "staging"}[i%3], "owner": fmt.Sprint("team", i%17)},
			Versions: []Version{{Number: 1, ContentType: "text/plain", Created: now.Add(-time.Duration(i%90) * Day), Actor: v.actor, Size: len(val)}}}
		ik := key(kindIndex, v.kr.Index("name", []byte(name)))
		mk := key(kindMeta, id)
		vk := valueKey(id, 1)
		for _, rec := range []struct {
			kind byte
			k    []byte
			ver  uint64
			pt   []byte
		}{{kindIndex, ik, 0, id}, {kindMeta, mk, 0, encodeSecret(s)}, {kindValue, vk, 1, val}} {
			if err := wb.Set(rec.k, v.kr.Seal(rec.kind, rec.k, rec.ver, rec.pt)); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := wb.Flush(); err != nil {
		tb.Fatal(err)
	}
}

// benchDir returns the cached vault of n secrets, building it when needed.
func benchDir(tb testing.TB, n int) string {
	tb.Helper()
	// The name carries the store's format: other builds share the
	// temporary directory.
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("locket-bench-state1-%d", n))
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	buildBenchVault(tb, dir, n)
	return dir
}

func buildBenchVault(tb testing.TB, dir string, n int) {
	tb.Helper()
	v, err := Create(ctx, filepath.Join(dir, "vault"), testPass, MinKDF, DefaultSettings(), Options{Actor: "bench@host"})
	if err != nil {
		tb.Fatal(err)
	}
	for done := 0; done < n; done += 10_000 {
		bulkLoad(tb, v, done, min(10_000, n-done))
	}
	recommit(tb, v)
	if err := v.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "complete"), nil, 0o600); err != nil {
		tb.Fatal(err)
	}
}

// TestHelperBenchVault is not a test: with LOCKET_BENCH_VAULT=DIR and
// LOCKET_BENCH_SECRETS=N it builds a vault of N secrets in DIR/vault for
// .ci/bench.sh, with the passphrase "test passphrase".
func TestHelperBenchVault(t *testing.T) {
	dir := os.Getenv("LOCKET_BENCH_VAULT")
	if dir == "" {
		return
	}
	n := 100_000
	fmt.Sscan(os.Getenv("LOCKET_BENCH_SECRETS"), &n)
	buildBenchVault(t, dir, n)
}

// recommit makes the state commitment match what bulkLoad wrote behind
// its back.
func recommit(tb testing.TB, v *Vault) {
	tb.Helper()
	c := &commitment{}
	err := v.view(func(tx *txn) error {
		sums, err := tx.sumAll(ctx)
		if err == nil {
			head, herr := tx.stateHead()
			c.buckets, c.counter, err = *sums, head.counter+1, herr
		}
		return err
	})
	if err == nil {
		err = v.db.Update(func(tx *badger.Txn) error {
			return tx.Set([]byte{kindState}, v.kr.Seal(kindState, []byte{kindState}, 0, c.encode()))
		})
	}
	if err != nil {
		tb.Fatal(err)
	}
	v.counter = c.counter
}

// BenchmarkCheckState is the full check of the state commitment that
// every writable open runs (target: 150 ms at 100k secrets).
func BenchmarkCheckState(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			v := openBench(b, n)
			b.ResetTimer()
			before := cpuTime()
			for range b.N {
				if err := v.CheckState(ctx); err != nil {
					b.Fatal(err)
				}
			}
			// On a shared machine the CPU time, summed over both
			// workers, says more than the wall clock.
			b.ReportMetric(float64(cpuTime()-before)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

// BenchmarkReadCheck is what a read of one secret pays for the
// commitment on a read-only handle: its index and id buckets (target:
// 1 ms at 100k secrets).
func BenchmarkReadCheck(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			v, err := Open(ctx, filepath.Join(benchDir(b, n), "vault"), testPass, Options{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			b.ResetTimer()
			before := cpuTime()
			for range b.N {
				err := v.view(func(tx *txn) error {
					name := benchName(randIndex(n))
					ik := tx.indexKey(name)
					if err := tx.checkRead(ik); err != nil {
						return err
					}
					id, err := tx.get(kindIndex, ik, 0)
					if err != nil {
						return err
					}
					return tx.checkRead(key(kindMeta, id))
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-before)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

func openBench(b *testing.B, n int) *Vault {
	b.Helper()
	v, err := Open(ctx, filepath.Join(benchDir(b, n), "vault"), testPass, Options{Actor: "bench@host"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { v.Close() })
	return v
}

func randIndex(n int) int {
	r, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
	return int(r.Int64())
}

func BenchmarkUnlock(b *testing.B) {
	for _, n := range benchSizes {
		dir := filepath.Join(benchDir(b, n), "vault")
		b.Run(fmt.Sprintf("kdf-included/%d", n), func(b *testing.B) {
			for range b.N {
				v, err := Open(ctx, dir, testPass, Options{})
				if err != nil {
					b.Fatal(err)
				}
				v.Close()
			}
		})
		b.Run(fmt.Sprintf("kdf-excluded/%d", n), func(b *testing.B) {
			hdr, err := ReadHeader(dir)
			if err != nil {
				b.Fatal(err)
			}
			for range b.N {
				b.StopTimer()
				kr, err := hdr.Unlock(testPass)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				v, err := openUnlocked(ctx, dir, hdr, kr, Options{})
				if err != nil {
					b.Fatal(err)
				}
				v.Close()
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			v := openBench(b, n)
			b.ResetTimer()
			for range b.N {
				if _, _, err := v.Get(ctx, benchName(randIndex(n)), 0, OpGet); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGetReadOnly is Get without its audit event, which a read-only
// handle cannot write: the difference to BenchmarkGet is the cost of the
// audit write (not synced, see txn.lazy).
func BenchmarkGetReadOnly(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			v, err := Open(ctx, filepath.Join(benchDir(b, n), "vault"), testPass, Options{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			b.ResetTimer()
			for range b.N {
				if _, _, err := v.Get(ctx, benchName(randIndex(n)), 0, OpGet); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPut(b *testing.B) {
	val := []byte("a new value of a typical size, 48 bytes long...")
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			v := openBench(b, n)
			b.ResetTimer()
			for range b.N {
				if _, err := v.Put(ctx, benchName(randIndex(n)), val, PutOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkList(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			v := openBench(b, n)
			b.ResetTimer()
			for range b.N {
				l, err := v.List(ctx, ListOptions{})
				if err != nil || len(l) < n {
					b.Fatal(len(l), err)
				}
			}
		})
		b.Run(fmt.Sprintf("filtered/%d", n), func(b *testing.B) {
			v := openBench(b, n)
			b.ResetTimer()
			for range b.N {
				if _, err := v.List(ctx, ListOptions{Prefix: "team03/", Tags: map[string]string{"env": "prod"}, Statuses: []Status{StatusDue, StatusStale}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBulkInsert100k is the import path: 100k new secrets through
// Import, all-or-nothing and audited, into a new vault.
func BenchmarkBulkInsert100k(b *testing.B) {
	const n = 100_000
	now := time.Now().UTC().Round(0)
	secrets := make([]SecretData, n)
	for i := range secrets {
		secrets[i] = SecretData{
			Secret: Secret{Name: benchName(i), Created: now, Updated: now, Enabled: true, Tags: map[string]string{"env": "prod"},
				Versions: []Version{{Number: 1, ContentType: "text/plain", Created: now, Actor: "bench@host", Size: 32}}},
			Values: [][]byte{[]byte(fmt.Sprintf("value-%026d", i))},
		}
	}
	for range b.N {
		b.StopTimer()
		v := newVault(b, DefaultSettings(), nil)
		b.StartTimer()
		r, err := v.Import(ctx, SecretsOf(secrets), ImportOptions{})
		if err != nil || r.Count(ActionNew) != n {
			b.Fatal(r.Count(ActionNew), err)
		}
		b.StopTimer()
		v.Close()
		b.StartTimer()
	}
}

// BenchmarkBulkLoad100k is the raw write path under Import: sealing and
// batching 100k secrets.
func BenchmarkBulkLoad100k(b *testing.B) {
	for range b.N {
		b.StopTimer()
		v := newVault(b, DefaultSettings(), nil)
		b.StartTimer()
		for done := 0; done < 100_000; done += 10_000 {
			bulkLoad(b, v, done, 10_000)
		}
		b.StopTimer()
		v.Close()
		b.StartTimer()
	}
}

// BenchmarkCheckCached is a check in an agent: the metadata cache loaded
// and every value learned by an earlier check, so that what is measured is
// working out the findings (87k of 100k in the benchmark vault) and
// sorting them.
func BenchmarkCheckCached(b *testing.B) {
	v, err := Open(ctx, filepath.Join(benchDir(b, 100_000), "vault"), testPass, Options{Actor: "bench@host", Cache: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { v.Close() })
	if _, err := v.Check(ctx, time.Time{}); err != nil {
		b.Fatal(err)
	}
	before := cpuTime()
	for b.Loop() {
		if _, err := v.Check(ctx, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-before)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkPreflight is the proof a writable open runs before Badger may
// write (faults.go): the files against the MANIFEST, every table's
// checksums, the scratch copy opened, the anchor, and the commitment
// against every record (target: 200 ms at 100k secrets).
func BenchmarkPreflight(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			dir := filepath.Join(benchDir(b, n), "vault")
			hdr, err := ReadHeader(dir)
			if err != nil {
				b.Fatal(err)
			}
			kr, err := hdr.Unlock(testPass)
			if err != nil {
				b.Fatal(err)
			}
			defer kr.Wipe()
			opts := Options{}
			opts.fill()
			b.ResetTimer()
			before := cpuTime()
			for range b.N {
				if _, err := preflight(ctx, dir, kr, opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-before)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

// BenchmarkAnchor is what every acknowledged change adds to move the
// machine's rollback anchor: a write, two fsyncs and a rename.
func BenchmarkAnchor(b *testing.B) {
	v := newVault(b, DefaultSettings(), nil)
	b.ResetTimer()
	for i := range b.N {
		if err := v.saveSeen(v.counter + uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
}
