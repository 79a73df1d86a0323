package agent

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"

	"locket/internal/e2e"
	"locket/vault"
)

// gatedImport is a vault whose Import tells when the agent has read the
// whole stream, then holds the import until its context ends (or a
// minute, which fails the test): what the agent does late in a large
// import, while it writes.
type gatedImport struct {
	vault.Service
	read chan struct{}
}

func (g *gatedImport) Import(ctx context.Context, src iter.Seq2[vault.SecretData, error], o vault.ImportOptions) (vault.ImportReport, error) {
	wrapped := func(yield func(vault.SecretData, error) bool) {
		for sd, err := range src {
			if !yield(sd, err) || err != nil {
				return
			}
		}
		close(g.read)
		select {
		case <-ctx.Done():
		case <-time.After(time.Minute):
		}
	}
	return g.Service.Import(ctx, wrapped, o)
}

// assertNothingImported fails unless the vault holds no imported secret.
func assertNothingImported(t *testing.T, f *fixture) {
	t.Helper()
	list, err := f.c.List(ctx, vault.ListOptions{Prefix: "imported/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Fatalf("%d secrets were imported", len(list))
	}
}

// A client that goes away cancels its import before the commit, wherever
// it is: before the agent has a secret, in the middle of the stream, and
// after the agent has read all of a large one and is writing it.
func TestClientGoneCancelsImport(t *testing.T) {
	const n = 3000
	t.Run("before the first secret", func(t *testing.T) {
		f := start(t)
		f.unlock(t)
		cctx, cancel := context.WithCancel(ctx)
		_, err := f.c.Import(cctx, secretsUpTo(n, 0, func() error { cancel(); return nil }), vault.ImportOptions{Expect: n})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("import: %v", err)
		}
		assertNothingImported(t, f)
	})
	t.Run("mid-stream", func(t *testing.T) {
		f := start(t)
		f.unlock(t)
		cctx, cancel := context.WithCancel(ctx)
		progress := make(chan vault.ImportProgress)
		first, _ := watchProgress(progress)
		_, err := f.c.Import(cctx, secretsUpTo(n, n/2, func() error {
			if err := waitFor(first); err != nil {
				return err
			}
			cancel()
			return nil
		}), vault.ImportOptions{Expect: n, Progress: progress})
		close(progress)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("import: %v", err)
		}
		assertNothingImported(t, f)
	})
	t.Run("late, while the agent writes", func(t *testing.T) {
		f := newFixture(t)
		g := &gatedImport{read: make(chan struct{})}
		f.wrap = func(s vault.Service) vault.Service { g.Service = s; return g }
		f.serve(t)
		f.unlock(t)
		cctx, cancel := context.WithCancel(ctx)
		go func() {
			<-g.read
			cancel() // the client goes away: its connection closes
		}()
		_, err := f.c.Import(cctx, secretsUpTo(n, -1, nil), vault.ImportOptions{Expect: n})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("import: %v", err)
		}
		// The agent logs the import's end once the vault has returned.
		waitLog(t, f, "Import: ")
		assertNothingImported(t, f)
	})
}

// waitLog waits until the agent's log holds s.
func waitLog(t *testing.T, f *fixture, s string) {
	t.Helper()
	if err := logSays(f, s); err != nil {
		t.Fatal(err)
	}
}

// logSays waits until the agent's log holds s; the bound only turns a
// hang into a failure.
func logSays(f *fixture, s string) error {
	deadline := time.Now().Add(e2e.Scale(time.Minute))
	for !containsLine(f.log.String(), s) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the agent's log never said %q:\n%s", s, f.log.String())
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

func containsLine(log, s string) bool {
	for i := 0; i+len(s) <= len(log); i++ {
		if log[i:i+len(s)] == s {
			return true
		}
	}
	return false
}

// lock ends a running import at once, not at its stall deadline, and
// nothing of it is written.
func TestLockPreemptsImport(t *testing.T) {
	f := start(t)
	f.unlock(t)
	progress := make(chan vault.ImportProgress)
	first, _ := watchProgress(progress)
	done := make(chan error, 1)
	go func() {
		_, err := f.c.Import(ctx, secretsUpTo(1000, 500, func() error {
			// The client stalls, its connection open, until the lock.
			if err := logSays(f, "locked (lock request)"); err != nil {
				return err
			}
			return errors.New("released")
		}), vault.ImportOptions{Expect: 1000, Progress: progress})
		done <- err
	}()
	if err := waitFor(first); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Lock(ctx); err != nil {
		t.Fatalf("lock during an import: %v", err)
	}
	err := <-done
	close(progress)
	if err == nil {
		t.Fatal("the import succeeded across a lock")
	}
	// Lock means gone: a new agent shows what the vault holds.
	f.gone(t)
	f.serve(t)
	f.unlock(t)
	assertNothingImported(t, f)
}

// An import whose client sends nothing past the stall deadline is
// cancelled, and the vault takes writes again.
func TestImportStall(t *testing.T) {
	f := newFixture(t)
	f.tune = func(c *Config) { c.importStall = 200 * time.Millisecond }
	f.serve(t)
	f.unlock(t)
	_, err := f.c.Import(ctx, secretsUpTo(1000, 500, func() error {
		// The client sends nothing until the agent has given up.
		return logSays(f, "Import: ")
	}), vault.ImportOptions{Expect: 1000})
	// The agent gives up on the stream and answers why. The client, whose
	// source then resumes, may find the connection already closed by its
	// transport (its next frame's write fails once the agent has hung
	// up), which races with reading that answer: either is a failed
	// import, and the agent's log says it was the stall.
	stalled := errors.Is(err, vault.ErrInvalid) && strings.Contains(err.Error(), "sent nothing for 200ms")
	if !stalled && (err == nil || !strings.Contains(err.Error(), "closed")) {
		t.Fatalf("a stalled import: %v", err)
	}
	if !containsLine(f.log.String(), "Import: invalid") {
		t.Fatalf("the agent did not fail the stalled import:\n%s", f.log.String())
	}
	if _, err := f.c.Put(ctx, "after", []byte("v"), vault.PutOptions{}); err != nil {
		t.Fatalf("a put after the stall: %v", err)
	}
	assertNothingImported(t, f)
}
