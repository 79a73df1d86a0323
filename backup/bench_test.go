package backup

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"filippo.io/age"

	"locket/internal/heaplimit"
	"locket/vault"
)

// Targets (docs/benchmarks.md, on a 2-core machine): export of 100k secrets <= 2 s,
// import <= 5 s. Run with
//
//	go test -run XXX -bench . -benchmem -benchtime 1x ./backup
//
// peak-heap-MiB is the largest heap in use above what was in use before,
// sampled every 5 ms: the file itself is not counted. BenchmarkImport
// streams the file into the vault, as locket backup import does.

var benchSizes = []int{1_000, 10_000, 100_000}

func benchSecrets(n int) []vault.SecretData {
	out := make([]vault.SecretData, n)
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range out {
		out[i] = vault.SecretData{
			Secret: vault.Secret{Name: fmt.Sprintf("team%02d/service%03d/secret-%06d", i%50, i%997, i), Enabled: true,
				Tags:     map[string]string{"env": "prod", "owner": "ops"},
				Versions: []vault.Version{{Number: 1, ContentType: "text/plain", Created: created, Actor: "ana@laptop"}}},
			Values: [][]byte{fmt.Appendf(nil, "value-%06d-0123456789abcdefghijklmnopqrstuvwxyz", i)},
		}
	}
	return out
}

func BenchmarkExport(b *testing.B) {
	id, _ := age.GenerateX25519Identity()
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			v := newVault(b, vault.DefaultSettings())
			if _, err := v.Import(context.Background(), vault.SecretsOf(benchSecrets(n)), vault.ImportOptions{}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				bk, err := Snapshot(context.Background(), v, vault.SnapshotOptions{Passphrase: testPass})
				if err != nil {
					b.Fatal(err)
				}
				if err := Encrypt(io.Discard, bk, []age.Recipient{id.Recipient()}, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchFile is a backup of n generated secrets, encrypted to id.
func benchFile(b *testing.B, n int, id *age.X25519Identity) *bytes.Buffer {
	b.Helper()
	var file bytes.Buffer
	if err := Encrypt(&file, &Backup{Secrets: benchSecrets(n)}, []age.Recipient{id.Recipient()}, false); err != nil {
		b.Fatal(err)
	}
	return &file
}

func BenchmarkImport(b *testing.B) {
	id, _ := age.GenerateX25519Identity()
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			file := benchFile(b, n, id)
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				// With the heap limit the CLI and the agent set.
				v := newVaultWith(b, vault.DefaultSettings(), vault.Options{LimitHeap: heaplimit.ForImports})
				b.StartTimer()
				var rep vault.ImportReport
				var err error
				// As locket backup import does: the secrets stream from the
				// file into the vault.
				peak := peakHeap(func() {
					var rd *Reader
					if rd, err = OpenReader(bytes.NewReader(file.Bytes()), with(id)); err == nil {
						rep, err = Restore(context.Background(), v, rd, "bench.age", RestoreOptions{})
					}
				})
				if err != nil || rep.Changes() != n {
					b.Fatal(rep.Changes(), err)
				}
				b.ReportMetric(float64(peak>>20), "peak-heap-MiB")
				b.StopTimer()
				v.Close()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkVerify reads and checks a backup, holding one secret at a time.
func BenchmarkVerify(b *testing.B) {
	id, _ := age.GenerateX25519Identity()
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			file := benchFile(b, n, id)
			b.ResetTimer()
			for range b.N {
				var sum Summary
				var err error
				peak := peakHeap(func() { sum, err = Verify(bytes.NewReader(file.Bytes()), with(id)) })
				if err != nil || sum.Secrets != n {
					b.Fatal(sum.Secrets, err)
				}
				b.ReportMetric(float64(peak>>20), "peak-heap-MiB")
			}
		})
	}
}
