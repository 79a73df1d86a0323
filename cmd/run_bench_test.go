//go:build unix

package cmd

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"locket/vault"
)

// BenchmarkRun measures what `locket run` adds to starting a command:
// "true" alone, then `locket run -- true` with 20 references in the
// environment, resolved from a vault with the minimum KDF. Without an
// agent, unlocking (Argon2id) is most of the difference; through an
// unlocked agent the target is 30 ms at most (docs/run.md). `locket get`
// of one secret shows the cost of unlocking alone. Besides wall time per
// run, cpu-ms/run (user+system of the child) is reported: on a loaded
// machine it is the steadier of the two.
//
//	go test ./cmd -run '^$' -bench Run -benchtime 20x
func BenchmarkRun(b *testing.B) {
	dir := b.TempDir()
	ctx := context.Background()
	v, err := vault.Create(ctx, filepath.Join(dir, "vault"), []byte(testPassphrase), vault.MinKDF, vault.DefaultSettings(), vault.Options{})
	if err != nil {
		b.Fatal(err)
	}
	env := os.Environ()
	for i := range 20 {
		name := fmt.Sprintf("bench/app/secret-%02d", i)
		if _, err := v.Put(ctx, name, []byte(fmt.Sprintf("value-%02d-0123456789abcdef", i)), vault.PutOptions{}); err != nil {
			b.Fatal(err)
		}
		env = append(env, fmt.Sprintf("SECRET_%02d=locket://%s", i, name))
	}
	if err := v.Close(); err != nil {
		b.Fatal(err)
	}
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte(testPassphrase), 0o600); err != nil {
		b.Fatal(err)
	}
	env = append(env, "LOCKET_VAULT="+filepath.Join(dir, "vault"), "LOCKET_PASSPHRASE_FILE="+pass)
	locket, err := exec.LookPath("locket")
	if err != nil {
		b.Skip("locket is on PATH only under testscript.Main:", err)
	}
	run := func(b *testing.B, argv ...string) {
		var total, cpu time.Duration
		for b.Loop() {
			c := exec.Command(argv[0], argv[1:]...)
			c.Env = env
			start := time.Now()
			if out, err := c.CombinedOutput(); err != nil {
				b.Fatalf("%v: %v\n%s", argv, err, out)
			}
			total += time.Since(start)
			cpu += c.ProcessState.UserTime() + c.ProcessState.SystemTime()
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/run")
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/run")
	}
	b.Run("true", func(b *testing.B) { run(b, "true") })
	b.Run("locket-get-1", func(b *testing.B) { run(b, locket, "get", "bench/app/secret-00") })
	b.Run("locket-run-20-refs", func(b *testing.B) { run(b, locket, "run", "--", "true") })
}
