package kvsync_test

// Case 2 of the issue: a push that fails part-way reports only what the
// server acknowledged, and says what was not done.

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"locket/internal/kvsync"
	"locket/internal/vaultserver"
	"locket/vault"
)

// manySecrets puts n secrets of two versions each under r/.
func manySecrets(t testing.TB, v *vault.Vault, n int) {
	t.Helper()
	for i := range n {
		for j := range 2 {
			put(t, v, fmt.Sprintf("r/s%02d", i), fmt.Sprintf("v%d-%d", i, j), vault.PutOptions{})
		}
	}
}

// factsMatchServer checks every item of a failed push against the server:
// pushed means both versions are there; failed, the versions it says were
// acknowledged (and perhaps the one that was not); not-pushed, none. It
// returns the count of each.
func factsMatchServer(t testing.TB, kv *api.KVv2, path string, rep kvsync.Report, n int) map[string]int {
	t.Helper()
	count := map[string]int{}
	if len(rep.Items) != n {
		t.Fatalf("%d items, want %d", len(rep.Items), n)
	}
	for _, it := range rep.Items {
		count[it.Action]++
		have := 0
		m, err := kv.GetMetadata(ctx, path+"/"+it.Name)
		switch {
		case errors.Is(err, api.ErrSecretNotFound):
		case err != nil:
			t.Fatal(err)
		default:
			have = m.CurrentVersion
		}
		want := -1
		switch it.Action {
		case kvsync.ActionPushed:
			want = 2
		case kvsync.ActionFailed:
			want = it.Versions
		case kvsync.ActionNotDone:
			want = 0
		}
		// The write a failed item names was not acknowledged: it may have
		// reached the server all the same (the push cancels the requests
		// in flight when one fails), and the next push adopts it.
		if have != want && !(it.Action == kvsync.ActionFailed && have == want+1) {
			t.Errorf("%s: %s (%d versions, %q) but the server has %d versions", it.Name, it.Action, it.Versions, it.Note, have)
		}
	}
	if count[kvsync.ActionFailed] == 0 {
		t.Errorf("no item says which write failed: %v", count)
	}
	return count
}

// TestReadOnlyPush: a token that may only read pushes nothing, and the
// report says so: no item is pushed.
func TestReadOnlyPush(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	v := newVault(t)
	manySecrets(t, v, 3)
	rep, err := syncer(t, srv, v, "", readOnlyToken(t, srv)).Push(ctx, "", false)
	if !errors.Is(err, kvsync.ErrPermission) || !strings.Contains(err.Error(), "nothing was pushed") {
		t.Fatalf("read-only push: %v", err)
	}
	for _, it := range rep.Items {
		if it.Action != kvsync.ActionNotDone || it.Versions != 0 {
			t.Errorf("read-only push: %+v", it)
		}
	}
}

// TestSealedMidPush: the server is sealed after a set number of writes
// (through the sys/seal API, as vault operator seal does); the push fails
// and its report matches what the server holds.
func TestSealedMidPush(t *testing.T) {
	t.Parallel()
	// A server of its own: sealing the shared one would fail the others.
	srv, err := vaultserver.Start(vaultserver.Binary(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	p := vaultserver.NewProxy(t, srv.Addr)
	var writes atomic.Int32
	p.Hook(func(method, path string) {
		if method != "GET" && method != "LIST" && strings.HasPrefix(path, "/v1/secret/data/") && writes.Add(1) == 15 {
			if err := srv.Root().Sys().Seal(); err != nil {
				t.Error(err)
			}
		}
	})
	const n = 20
	v := newVault(t)
	manySecrets(t, v, n)
	s := syncer(t, srv, v, p.Addr, srv.Token)
	rep, err := s.Push(ctx, "", false)
	if !errors.Is(err, kvsync.ErrServer) || !strings.Contains(err.Error(), "sealed") {
		t.Fatalf("push to a server sealed mid-push: %v", err)
	}
	if err := srv.Unseal(); err != nil {
		t.Fatal(err)
	}
	count := factsMatchServer(t, srv.Root().KVv2("secret"), pathFor(t), rep, n)
	if count[kvsync.ActionPushed] >= n/2 {
		t.Errorf("more pushed than the writes before the seal allow: %v", count)
	}
	// Pushing again finishes the job.
	p.Hook(nil)
	must(t)(s.Push(ctx, "", false))
	allInSync(t, s)
}

// TestHangMidPush: the server stops answering after a set number of
// writes (a stopped process); the client gives up after its timeout, the
// error names the server and the path, and the report matches the server.
func TestHangMidPush(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	p := vaultserver.NewProxy(t, srv.Addr)
	const n = 20
	v := newVault(t)
	manySecrets(t, v, n)
	c, err := srv.Client(p.Addr, srv.Token)
	if err != nil {
		t.Fatal(err)
	}
	// Short, as no answer is coming; a slow answer before the hang only
	// moves the point where the push stops, which the checks allow.
	c.SetClientTimeout(3 * time.Second)
	s := kvsync.New(v, c, "secret", pathFor(t))
	p.HangAfter(15)
	rep, err := s.Push(ctx, "", false)
	if !errors.Is(err, kvsync.ErrUnreachable) || !strings.Contains(err.Error(), p.Addr) || !strings.Contains(err.Error(), "no answer in time") || !strings.Contains(err.Error(), "secret/") {
		t.Fatalf("push to a server that stopped answering: %v", err)
	}
	factsMatchServer(t, srv.Root().KVv2("secret"), pathFor(t), rep, n)
	p.Revive()
	must(t)(s.Push(ctx, "", false))
	allInSync(t, s)
}
