package agent

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"
	"time"

	"locket/internal/e2e"
	"locket/vault"
)

// secretsUpTo yields n secrets; before the one numbered at, it calls
// wait, which may end the stream with an error.
func secretsUpTo(n, at int, wait func() error) iter.Seq2[vault.SecretData, error] {
	return func(yield func(vault.SecretData, error) bool) {
		for i := range n {
			if i == at && wait != nil {
				if err := wait(); err != nil {
					yield(vault.SecretData{}, err)
					return
				}
			}
			sd := vault.SecretData{
				Secret: vault.Secret{Name: fmt.Sprintf("imported/%05d", i), Enabled: true, Versions: []vault.Version{{ContentType: "text/plain"}}},
				Values: [][]byte{fmt.Appendf(nil, "a value of some length for secret %05d", i)},
			}
			if !yield(sd, nil) {
				return
			}
		}
	}
}

// watchProgress reads progress until the channel is closed; first is
// closed at the first report.
func watchProgress(progress <-chan vault.ImportProgress) (first <-chan struct{}, all func() []vault.ImportProgress) {
	f := make(chan struct{})
	done := make(chan struct{})
	var got []vault.ImportProgress
	go func() {
		defer close(done)
		for p := range progress {
			if len(got) == 0 {
				close(f)
			}
			got = append(got, p)
		}
	}()
	return f, func() []vault.ImportProgress { <-done; return got }
}

// waitFor waits for c. The bound only turns a hang, which a protocol
// that cannot report while it reads would cause, into a failure.
func waitFor(c <-chan struct{}) error {
	select {
	case <-c:
		return nil
	case <-time.After(e2e.Scale(5 * time.Minute)):
		return errors.New("no progress while the secrets were still being sent")
	}
}

// TestImportStream: the client sends the secrets as it reads them and
// the agent reports progress while they still arrive: the source holds
// back the second half of its secrets until a report has come back.
func TestImportStream(t *testing.T) {
	f := start(t)
	f.unlock(t)
	const n = 4000
	progress := make(chan vault.ImportProgress)
	first, all := watchProgress(progress)
	rep, err := f.c.Import(ctx, secretsUpTo(n, n/2, func() error { return waitFor(first) }), vault.ImportOptions{Note: "stream", Progress: progress})
	close(progress)
	got := all()
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Applied || rep.Count(vault.ActionNew) != n {
		t.Fatalf("report: applied %v, %d new", rep.Applied, rep.Count(vault.ActionNew))
	}
	last := got[len(got)-1]
	if last.Done != 2*n || last.Total != 2*n {
		t.Errorf("progress ended at %+v", last)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Done < got[i-1].Done {
			t.Errorf("progress went back: %+v after %+v", got[i], got[i-1])
		}
	}
	list, err := f.c.List(ctx, vault.ListOptions{Prefix: "imported/"})
	if err != nil || len(list) != n {
		t.Fatalf("list after import: %d, %v", len(list), err)
	}
	// The same again is a plan of identical secrets, through the stream too.
	rep, err = f.c.Import(ctx, secretsUpTo(n, 0, nil), vault.ImportOptions{DryRun: true})
	if err != nil || rep.Applied || rep.Count(vault.ActionIdentical) != n {
		t.Fatalf("dry run: applied %v, %d identical, %v", rep.Applied, rep.Count(vault.ActionIdentical), err)
	}
}

// TestImportStreamAborted: a source that fails, or a client that gives up,
// in the middle of a stream (after the agent has reported progress, so
// that it is importing) leaves the vault as it was, and the agent serves
// the next call.
func TestImportStreamAborted(t *testing.T) {
	f := start(t)
	f.unlock(t)
	if _, err := f.c.Put(ctx, "before", []byte("v"), vault.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	errSource := errors.New("the backup broke")
	for _, how := range []string{"source", "cancel"} {
		events, err := f.c.Audit(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithCancel(ctx)
		progress := make(chan vault.ImportProgress)
		first, all := watchProgress(progress)
		src := secretsUpTo(4000, 3000, func() error {
			if err := waitFor(first); err != nil {
				return err
			}
			if how == "cancel" {
				cancel()
				return nil
			}
			return errSource
		})
		_, err = f.c.Import(cctx, src, vault.ImportOptions{Progress: progress})
		cancel()
		close(progress)
		all()
		want := map[string]error{"source": errSource, "cancel": context.Canceled}[how]
		if !errors.Is(err, want) {
			t.Fatalf("%s: %v, want %v", how, err, want)
		}
		// A write waits for the import the agent may still be failing.
		if _, err := f.c.Put(ctx, "after/"+how, []byte("v"), vault.PutOptions{}); err != nil {
			t.Fatalf("%s: put after an aborted import: %v", how, err)
		}
		if list, err := f.c.List(ctx, vault.ListOptions{Prefix: "imported/"}); err != nil || len(list) != 0 {
			t.Fatalf("%s: %d secrets of an aborted import, %v", how, len(list), err)
		}
		after, err := f.c.Audit(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != len(events)+1 || after[len(after)-1].Op != vault.OpSet {
			t.Errorf("%s: audit after the aborted import: %+v", how, after[len(events):])
		}
	}
}

// TestImportStreamErrors: a conflict comes back with its plan, a bad
// secret with its sentinel, and a locked agent refuses before reading.
func TestImportStreamErrors(t *testing.T) {
	f := start(t)
	f.unlock(t)
	if _, err := f.c.Put(ctx, "imported/00001", []byte("ours"), vault.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := f.c.Import(ctx, secretsUpTo(3, 0, nil), vault.ImportOptions{OnConflict: vault.ConflictFail})
	if !errors.Is(err, vault.ErrConflict) || rep.Count(vault.ActionConflict) != 1 || rep.Count(vault.ActionNew) != 2 {
		t.Errorf("conflict: %+v, %v", rep, err)
	}
	bad := func(yield func(vault.SecretData, error) bool) {
		yield(vault.SecretData{Secret: vault.Secret{Name: "bad//name", Versions: []vault.Version{{}}}, Values: [][]byte{[]byte("v")}}, nil)
	}
	if _, err := f.c.Import(ctx, bad, vault.ImportOptions{}); !errors.Is(err, vault.ErrInvalid) {
		t.Errorf("bad name: %v", err)
	}
	if _, err := f.c.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	// Lock ends the agent; a fresh one is locked.
	f.gone(t)
	f.serve(t)
	if _, err := f.c.Import(ctx, secretsUpTo(100000, 0, nil), vault.ImportOptions{}); !errors.Is(err, ErrLocked) {
		t.Errorf("import on a locked agent: %v", err)
	}
}
