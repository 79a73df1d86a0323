package agent

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"locket/vault"
)

// benchAgent serves the vault in $LOCKET_BENCH_VAULT (built by
// internal/agent/bench.sh with vault's TestHelperBenchVault; passphrase
// "test passphrase") from an agent in this process, unlocked, and returns
// a client that reaches it over the socket like any other.
func benchAgent(b *testing.B) *Client {
	b.Helper()
	dir := os.Getenv("LOCKET_BENCH_VAULT")
	if dir == "" {
		b.Skip("set LOCKET_BENCH_VAULT to a vault built by internal/agent/bench.sh")
	}
	dir = filepath.Join(dir, "vault")
	sock := filepath.Join(b.TempDir(), "run", "a.sock")
	srv, err := NewServer(Config{Dir: dir, Socket: sock, Open: func(ctx context.Context, pass []byte) (vault.Service, error) {
		return vault.Open(ctx, dir, pass, vault.Options{Cache: true})
	}})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background()) }()
	b.Cleanup(func() { srv.Stop(); <-done })
	c := NewClient(sock)
	b.Cleanup(func() { c.Close() })
	if _, err := c.Unlock(context.Background(), []byte("test passphrase"), time.Hour); err != nil {
		b.Fatal(err)
	}
	// The first list loads the metadata cache, as the first command after
	// an unlock does, and the first check learns the values: bench.sh
	// warms the agent the same way.
	if _, err := c.List(context.Background(), vault.ListOptions{}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Check(context.Background(), time.Time{}); err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkAgentGet(b *testing.B) {
	c := benchAgent(b)
	for b.Loop() {
		if _, _, err := c.Get(ctx, "team01/app001/secret-000001", 0, vault.OpGet); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAgentList(b *testing.B) {
	c := benchAgent(b)
	for b.Loop() {
		if _, err := c.List(ctx, vault.ListOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// team01/app00 holds 154 of the 100k secrets.
func BenchmarkAgentPrefixList(b *testing.B) {
	c := benchAgent(b)
	for b.Loop() {
		if _, err := c.List(ctx, vault.ListOptions{Prefix: "team01/app00"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAgentCheck(b *testing.B) {
	c := benchAgent(b)
	for b.Loop() {
		if _, err := c.Check(ctx, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}
