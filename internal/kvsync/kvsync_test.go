package kvsync_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"locket/internal/e2e"
	"locket/internal/kvsync"
	"locket/internal/vaultserver"
	"locket/vault"
)

// One server for the package; each test syncs under its own path, so the
// tests run in parallel.
func TestMain(m *testing.M) {
	e2e.ParallelWaits() // the tests mostly wait on the server
	code := m.Run()
	vaultserver.StopShared()
	os.Exit(code)
}

var ctx = context.Background()

func newVault(t testing.TB) *vault.Vault {
	t.Helper()
	v, err := vault.Create(ctx, filepath.Join(t.TempDir(), "vault"), []byte("sync test"), vault.MinKDF, vault.DefaultSettings(), vault.Options{Actor: "tester@host"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// pathFor is a test's own directory in the secret/ mount.
func pathFor(t testing.TB) string {
	return "t/" + strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
}

func syncer(t testing.TB, srv *vaultserver.Server, v *vault.Vault, addr, token string) *kvsync.Syncer {
	t.Helper()
	c, err := srv.Client(addr, token)
	if err != nil {
		t.Fatal(err)
	}
	return kvsync.New(v, c, "secret", pathFor(t))
}

func put(t testing.TB, v *vault.Vault, name, value string, o vault.PutOptions) {
	t.Helper()
	if _, err := v.Put(ctx, name, []byte(value), o); err != nil {
		t.Fatal(err)
	}
}

// must fails t on an error: must(t)(s.Push(...)).
func must(t testing.TB) func(kvsync.Report, error) kvsync.Report {
	return func(rep kvsync.Report, err error) kvsync.Report {
		t.Helper()
		if err != nil {
			t.Fatalf("%v\n%+v", err, rep)
		}
		return rep
	}
}

func snapshot(t testing.TB, v *vault.Vault) []vault.SecretData {
	t.Helper()
	s, _, err := v.Snapshot(ctx, vault.SnapshotOptions{Passphrase: []byte("sync test")})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// values returns every value in a secret's history.
func values(t testing.TB, v *vault.Vault, name string) []string {
	t.Helper()
	for _, sd := range snapshot(t, v) {
		if sd.Name == name {
			var out []string
			for _, b := range sd.Values {
				out = append(out, string(b))
			}
			return out
		}
	}
	t.Fatalf("no secret %s", name)
	return nil
}

// serverValues reads every live version's value of name from the server.
func serverValues(t testing.TB, srv *vaultserver.Server, path, name string) []string {
	t.Helper()
	kv := srv.Root().KVv2("secret")
	meta, err := kv.GetMetadata(ctx, path+"/"+name)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for n := 1; n <= meta.CurrentVersion; n++ {
		s, err := kv.GetVersion(ctx, path+"/"+name, n)
		if err != nil {
			t.Fatalf("version %d: %v", n, err)
		}
		v, _ := s.Data["value"].(string)
		out = append(out, v)
	}
	return out
}

func states(rep kvsync.Report) map[string]kvsync.State {
	m := map[string]kvsync.State{}
	for _, it := range rep.Items {
		m[it.Name] = it.State
	}
	return m
}

func allInSync(t testing.TB, s *kvsync.Syncer) {
	t.Helper()
	rep := must(t)(s.Status(ctx, ""))
	for _, it := range rep.Items {
		if it.State != kvsync.InSync {
			t.Errorf("status %s: %s (%s), want in-sync", it.Name, it.State, it.Note)
		}
	}
}

// TestRoundTrip pushes a vault with versions, tags, attributes, trash and
// a binary value, then pulls it into an empty vault, which must end with
// the same history, tags and state.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	a := newVault(t)
	exp := time.Date(2027, 3, 1, 12, 0, 0, 123, time.UTC)
	put(t, a, "app/db", "canary-v1-Zq8", vault.PutOptions{ContentType: "text/plain", Tags: map[string]string{"env": "prod", "owner": "ops"}})
	put(t, a, "app/db", "canary-v2-Zq8", vault.PutOptions{ContentType: "connection-string", Expires: exp})
	put(t, a, "app/db", "canary-v3-Zq8", vault.PutOptions{NotBefore: exp.Add(-time.Hour), Expires: exp})
	binary := []byte{0, 1, 2, 0xff, 0xfe, 'x'}
	if _, err := a.Put(ctx, "app/key.bin", binary, vault.PutOptions{ContentType: "application/octet-stream"}); err != nil {
		t.Fatal(err)
	}
	put(t, a, "old/token", "trashed-value-1", vault.PutOptions{Tags: map[string]string{"rotate-every": "30d"}})
	put(t, a, "old/token", "trashed-value-2", vault.PutOptions{})
	if err := a.Delete(ctx, "old/token"); err != nil {
		t.Fatal(err)
	}
	put(t, a, "off/switch", "disabled", vault.PutOptions{})
	off := false
	if err := a.Update(ctx, "off/switch", vault.Attributes{Enabled: &off}); err != nil {
		t.Fatal(err)
	}

	sa := syncer(t, srv, a, "", srv.Token)
	rep := must(t)(sa.Push(ctx, "", false))
	if len(rep.Items) != 4 {
		t.Fatalf("push: %+v", rep.Items)
	}
	allInSync(t, sa)

	// The server holds the mapping of docs/sync.md.
	path := pathFor(t)
	kv := srv.Root().KVv2("secret")
	meta, err := kv.GetMetadata(ctx, path+"/app/db")
	if err != nil {
		t.Fatal(err)
	}
	if meta.CurrentVersion != 3 || meta.CustomMetadata["env"] != "prod" || meta.CustomMetadata["locket-expires"] != exp.Format(time.RFC3339Nano) || meta.CustomMetadata["locket-enabled"] != "true" {
		t.Errorf("app/db metadata: %+v", meta)
	}
	if meta.MaxVersions < 3 {
		t.Errorf("max_versions %d", meta.MaxVersions)
	}
	v2, err := kv.GetVersion(ctx, path+"/app/db", 2)
	if err != nil || v2.Data["value"] != "canary-v2-Zq8" || v2.Data["content_type"] != "connection-string" {
		t.Errorf("app/db version 2: %v %v", v2, err)
	}
	bin, err := kv.Get(ctx, path+"/app/key.bin")
	if err != nil || bin.Data["value_b64"] != "AAEC//54" || bin.Data["value"] != nil {
		t.Errorf("binary value: %v %v", bin, err)
	}
	tm, err := kv.GetMetadata(ctx, path+"/old/token")
	if err != nil {
		t.Fatal(err)
	}
	if tm.CustomMetadata["locket-trashed"] == nil || tm.Versions["2"].DeletionTime.IsZero() || !tm.Versions["1"].DeletionTime.IsZero() {
		t.Errorf("trash on the server: %+v", tm)
	}
	om, _ := kv.GetMetadata(ctx, path+"/off/switch")
	if om == nil || om.CustomMetadata["locket-enabled"] != "false" {
		t.Errorf("disabled on the server: %+v", om)
	}

	b := newVault(t)
	sb := syncer(t, srv, b, "", srv.Token)
	rep = must(t)(sb.Pull(ctx, "", false))
	if len(rep.Items) != 4 {
		t.Fatalf("pull: %+v", rep.Items)
	}
	// The trashed secret's current version is soft-deleted on the server:
	// pull cannot read it without undeleting it, which it never does, so
	// b gets the rest of its history, in the trash, and says what is
	// missing.
	wantA := snapshot(t, a)
	for i := range wantA {
		if wantA[i].Name == "old/token" {
			wantA[i].Versions, wantA[i].Values = wantA[i].Versions[:1], wantA[i].Values[:1]
		}
	}
	sameVaults(t, wantA, snapshot(t, b))
	for _, it := range must(t)(sb.Status(ctx, "")).Items {
		switch {
		case it.Name == "old/token":
			if it.State != kvsync.ServerAhead || !strings.Contains(it.Note, "server version 2 is deleted there") {
				t.Errorf("status of the trashed secret: %+v", it)
			}
		case it.State != kvsync.InSync:
			t.Errorf("status %s: %s (%s), want in-sync", it.Name, it.State, it.Note)
		}
	}
	// The token is never written to the vault.
	for _, v := range []*vault.Vault{a, b} {
		info, err := v.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		filepath.WalkDir(info.Dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(srv.Token)) {
					t.Errorf("the token is in %s", p)
				}
			}
			return nil
		})
	}
	// Pulling into the vault changed nothing on the server's trash.
	tm2, _ := kv.GetMetadata(ctx, path+"/old/token")
	if tm2.CurrentVersion != 2 || tm2.Versions["2"].DeletionTime.IsZero() {
		t.Errorf("trash on the server after pull: %+v", tm2)
	}
	// And nothing more to do either way.
	rep = must(t)(sa.Push(ctx, "", false))
	for _, it := range rep.Items {
		if it.Action != "none" {
			t.Errorf("second push: %+v", it)
		}
	}
}

// sameVaults compares histories: names, versions with their values and
// attributes, tags, enabled and trash.
func sameVaults(t testing.TB, a, b []vault.SecretData) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d secrets, want %d", len(b), len(a))
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Name != y.Name || x.Enabled != y.Enabled || x.InTrash() != y.InTrash() || !equalTags(x.Tags, y.Tags) {
			t.Errorf("%s: got %+v\nwant %+v", x.Name, y.Secret, x.Secret)
		}
		if x.InTrash() && !x.Deleted.Equal(y.Deleted) {
			t.Errorf("%s: deleted %v, want %v", x.Name, y.Deleted, x.Deleted)
		}
		if len(x.Versions) != len(y.Versions) {
			t.Errorf("%s: %d versions, want %d", x.Name, len(y.Versions), len(x.Versions))
			continue
		}
		for j := range x.Versions {
			if x.Versions[j] != y.Versions[j] && !sameVersion(x.Versions[j], y.Versions[j]) {
				t.Errorf("%s version %d: got %+v want %+v", x.Name, j, y.Versions[j], x.Versions[j])
			}
			if !bytes.Equal(x.Values[j], y.Values[j]) {
				t.Errorf("%s version %d: values differ", x.Name, j)
			}
		}
	}
}

func sameVersion(a, b vault.Version) bool {
	return a.Number == b.Number && a.ContentType == b.ContentType && a.Created.Equal(b.Created) &&
		a.Expires.Equal(b.Expires) && a.NotBefore.Equal(b.NotBefore) && a.Actor == b.Actor && a.Size == b.Size
}

func equalTags(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestConflict changes one secret on both sides: push reports the
// conflict and writes nothing of it, the other secret still goes; pull
// then push resolves it with every value on both sides.
func TestConflict(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	a, b := newVault(t), newVault(t)
	sa, sb := syncer(t, srv, a, "", srv.Token), syncer(t, srv, b, "", srv.Token)
	put(t, a, "shared/api", "base", vault.PutOptions{Tags: map[string]string{"team": "x"}})
	put(t, a, "shared/other", "o1", vault.PutOptions{})
	must(t)(sa.Push(ctx, "", false))
	must(t)(sb.Pull(ctx, "", false))

	put(t, a, "shared/api", "from-a-secret-canary", vault.PutOptions{})
	if err := a.Tag(ctx, "shared/api", vault.TagChange{Set: map[string]string{"owner": "alice"}}); err != nil {
		t.Fatal(err)
	}
	must(t)(sa.Push(ctx, "", false))
	put(t, b, "shared/api", "from-b-secret-canary", vault.PutOptions{})
	put(t, b, "shared/other", "o2", vault.PutOptions{})
	if err := b.Tag(ctx, "shared/api", vault.TagChange{Set: map[string]string{"env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	if st := states(must(t)(sb.Status(ctx, ""))); st["shared/api"] != kvsync.Diverged || st["shared/other"] != kvsync.LocalAhead {
		t.Errorf("status before push: %v", st)
	}

	rep, err := sb.Push(ctx, "", false)
	if !errors.Is(err, kvsync.ErrConflict) || rep.Conflicts != 1 {
		t.Fatalf("push of a conflict: %v, %+v", err, rep)
	}
	if strings.Contains(err.Error(), "canary") {
		t.Errorf("a value in the error: %v", err)
	}
	path := pathFor(t)
	if got := serverValues(t, srv, path, "shared/api"); !slices.Equal(got, []string{"base", "from-a-secret-canary"}) {
		t.Errorf("server after the conflict: %q", got)
	}
	if got := serverValues(t, srv, path, "shared/other"); !slices.Equal(got, []string{"o1", "o2"}) {
		t.Errorf("the other secret was not pushed: %q", got)
	}

	rep = must(t)(sb.Pull(ctx, "", false))
	if rep.Conflicts != 1 {
		t.Errorf("pull of a conflict: %+v", rep)
	}
	if got := values(t, b, "shared/api"); !slices.Equal(got, []string{"base", "from-b-secret-canary", "from-a-secret-canary", "from-b-secret-canary"}) {
		t.Errorf("b after pull: %q", got)
	}
	must(t)(sb.Push(ctx, "", false))
	must(t)(sa.Pull(ctx, "", false))
	want := []string{"base", "from-a-secret-canary", "from-b-secret-canary"}
	if got := serverValues(t, srv, path, "shared/api"); !slices.Equal(got, want) {
		t.Errorf("server after resolution: %q, want %q", got, want)
	}
	if got := values(t, a, "shared/api"); !slices.Equal(got, want) {
		t.Errorf("a after resolution: %q, want %q", got, want)
	}
	for _, v := range []*vault.Vault{a, b} {
		s, err := v.Secret(ctx, "shared/api")
		if err != nil {
			t.Fatal(err)
		}
		if !equalTags(s.Tags, map[string]string{"team": "x", "owner": "alice", "env": "dev"}) {
			t.Errorf("tags after resolution: %v", s.Tags)
		}
	}
	allInSync(t, sa)
	allInSync(t, sb)
}

// TestTrashRecoverPurge carries rm, recover and purge both ways.
func TestTrashRecoverPurge(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	a, b := newVault(t), newVault(t)
	sa, sb := syncer(t, srv, a, "", srv.Token), syncer(t, srv, b, "", srv.Token)
	put(t, a, "x/y", "one", vault.PutOptions{})
	put(t, a, "x/y", "two", vault.PutOptions{})
	must(t)(sa.Push(ctx, "", false))
	must(t)(sb.Pull(ctx, "", false))
	kv := srv.Root().KVv2("secret")
	key := pathFor(t) + "/x/y"

	inTrash := func(v *vault.Vault) bool {
		s, err := v.Secret(ctx, "x/y")
		if err != nil {
			t.Fatal(err)
		}
		return s.InTrash()
	}
	if err := a.Delete(ctx, "x/y"); err != nil {
		t.Fatal(err)
	}
	must(t)(sa.Push(ctx, "", false))
	if m, _ := kv.GetMetadata(ctx, key); m.Versions["2"].DeletionTime.IsZero() || m.CustomMetadata["locket-trashed"] == nil {
		t.Errorf("rm did not reach the server: %+v", m)
	}
	must(t)(sb.Pull(ctx, "", false))
	if !inTrash(b) {
		t.Error("rm did not reach b")
	}

	if err := b.Recover(ctx, "x/y"); err != nil {
		t.Fatal(err)
	}
	must(t)(sb.Push(ctx, "", false))
	if m, _ := kv.GetMetadata(ctx, key); !m.Versions["2"].DeletionTime.IsZero() || m.CustomMetadata["locket-trashed"] != nil {
		t.Errorf("recover did not reach the server: %+v", m)
	}
	must(t)(sa.Pull(ctx, "", false))
	if inTrash(a) {
		t.Error("recover did not reach a")
	}
	if got := values(t, a, "x/y"); !slices.Equal(got, []string{"one", "two"}) {
		t.Errorf("a after recover: %q", got)
	}

	if err := a.Delete(ctx, "x/y"); err != nil {
		t.Fatal(err)
	}
	if err := a.Purge(ctx, "x/y"); err != nil {
		t.Fatal(err)
	}
	must(t)(sa.Push(ctx, "", false))
	if _, err := kv.GetMetadata(ctx, key); !errors.Is(err, api.ErrSecretNotFound) {
		t.Errorf("purge did not reach the server: %v", err)
	}
	// Purged on the server, the secret goes to b's trash, recoverable.
	must(t)(sb.Pull(ctx, "", false))
	if !inTrash(b) {
		t.Error("purge did not move b's copy to the trash")
	}
	allInSync(t, sa)
	allInSync(t, sb)
}

// TestBadInput: a wrong token, a server that does not answer, a mount
// that is not KV v2. Each leaves the vault as it was.
func TestBadInput(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	v := newVault(t)
	put(t, v, "a/b", "canary-bad-input", vault.PutOptions{})
	before := snapshot(t, v)

	_, err := syncer(t, srv, v, "", "not-a-token").Push(ctx, "", false)
	if !errors.Is(err, kvsync.ErrPermission) || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("wrong token: %v", err)
	}
	port, err := vaultserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	down := fmt.Sprintf("http://127.0.0.1:%d", port)
	_, err = syncer(t, srv, v, down, srv.Token).Push(ctx, "", false)
	if !errors.Is(err, kvsync.ErrUnreachable) || !strings.Contains(err.Error(), down) {
		t.Errorf("server down: %v", err)
	}
	if err := srv.Mount("kv1-"+strings.ToLower(pathFor(t)[2:]), 1); err != nil {
		t.Fatal(err)
	}
	c, _ := srv.Client("", srv.Token)
	_, err = kvsync.New(v, c, "kv1-"+strings.ToLower(pathFor(t)[2:]), "locket").Push(ctx, "", false)
	if !errors.Is(err, kvsync.ErrNotKV2) {
		t.Errorf("kv v1 mount: %v", err)
	}
	_, err = kvsync.New(v, c, "no-such-mount", "locket").Pull(ctx, "", false)
	if !errors.Is(err, kvsync.ErrNotKV2) {
		t.Errorf("missing mount: %v", err)
	}
	for _, e := range []error{err} {
		if e != nil && strings.Contains(e.Error(), "canary") {
			t.Errorf("a value in an error: %v", e)
		}
	}
	sameVaults(t, before, snapshot(t, v))
	if st, err := v.SyncStates(ctx, ""); err != nil || len(st) != 0 {
		t.Errorf("sync state written: %v %v", st, err)
	}
}

// TestKilledMidPush: the server goes away after a write it committed but
// whose answer was lost; the push fails naming the address, and pushing
// again completes with no duplicate version.
func TestKilledMidPush(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	p := vaultserver.NewProxy(t, srv.Addr)
	v := newVault(t)
	for i := range 3 {
		for j := range 3 {
			put(t, v, fmt.Sprintf("k/s%d", i), fmt.Sprintf("v%d-%d", i, j), vault.PutOptions{})
		}
	}
	s := syncer(t, srv, v, p.Addr, srv.Token)
	s.Workers = 1 // one write at a time, so that the kill lands mid-secret
	p.KillAfter(5)
	_, err := s.Push(ctx, "", false)
	if !errors.Is(err, kvsync.ErrUnreachable) || !strings.Contains(err.Error(), p.Addr) {
		t.Fatalf("push through a dying server: %v", err)
	}
	if p.Writes() != 5 {
		t.Fatalf("the proxy saw %d writes", p.Writes())
	}
	p.Revive()
	must(t)(s.Push(ctx, "", false))
	for i := range 3 {
		name := fmt.Sprintf("k/s%d", i)
		want := []string{fmt.Sprintf("v%d-0", i), fmt.Sprintf("v%d-1", i), fmt.Sprintf("v%d-2", i)}
		if got := serverValues(t, srv, pathFor(t), name); !slices.Equal(got, want) {
			t.Errorf("%s on the server: %q, want %q", name, got, want)
		}
	}
	allInSync(t, s)

	// A pull cut off halfway imports nothing.
	w := newVault(t)
	sw := syncer(t, srv, w, p.Addr, srv.Token)
	p.KillAfterRequests(9) // mount, two lists, three metadata, then mid-versions
	if _, err := sw.Pull(ctx, "", false); !errors.Is(err, kvsync.ErrUnreachable) {
		t.Fatalf("pull through a dying server: %v", err)
	}
	if list, _ := w.List(ctx, vault.ListOptions{}); len(list) != 0 {
		t.Errorf("a pull cut off imported %d secrets", len(list))
	}
	if st, _ := w.SyncStates(ctx, ""); len(st) != 0 {
		t.Errorf("a pull cut off wrote sync state: %v", st)
	}
	p.Revive()
	must(t)(sw.Pull(ctx, "", false))
	sameVaults(t, snapshot(t, v), snapshot(t, w))
}

// TestPolicyOnePath: a team token allowed one directory can sync it and
// nothing else; a refused push writes nothing.
func TestPolicyOnePath(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	path := pathFor(t)
	token, err := srv.TokenWithPolicy("one-path", fmt.Sprintf(`
path "secret/data/%[1]s/team/*"     { capabilities = ["create", "read", "update", "delete"] }
path "secret/metadata/%[1]s/team/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "secret/delete/%[1]s/team/*"   { capabilities = ["update"] }
path "secret/undelete/%[1]s/team/*" { capabilities = ["update"] }
path "secret/data/%[1]s/ro/*"       { capabilities = ["read"] }
path "secret/metadata/%[1]s/ro/*"   { capabilities = ["read", "list"] }
path "secret/data/%[1]s/half/*"     { capabilities = ["create", "update", "read"] }
path "secret/metadata/%[1]s/half/*" { capabilities = ["read", "list"] }
`, path))
	if err != nil {
		t.Fatal(err)
	}
	v := newVault(t)
	put(t, v, "team/db", "team-value", vault.PutOptions{})
	put(t, v, "private/key", "private-canary", vault.PutOptions{})
	s := syncer(t, srv, v, "", token)
	_, err = s.Push(ctx, "", false)
	if !errors.Is(err, kvsync.ErrPermission) {
		t.Fatalf("push beyond the policy: %v", err)
	}
	must(t)(s.Push(ctx, "team/", false))
	kv := srv.Root().KVv2("secret")
	if _, err := kv.GetMetadata(ctx, path+"/private/key"); !errors.Is(err, api.ErrSecretNotFound) {
		t.Errorf("private/key reached the server: %v", err)
	}
	if got := serverValues(t, srv, path, "team/db"); !slices.Equal(got, []string{"team-value"}) {
		t.Errorf("team/db: %q", got)
	}
	// A directory the token may read but not write: refused, nothing
	// written, no sync state recorded.
	put(t, v, "ro/config", "ro-canary", vault.PutOptions{})
	_, err = s.Push(ctx, "ro/", false)
	if !errors.Is(err, kvsync.ErrPermission) || strings.Contains(err.Error(), "ro-canary") {
		t.Fatalf("push to a read-only path: %v", err)
	}
	if _, err := kv.GetMetadata(ctx, path+"/ro/config"); !errors.Is(err, api.ErrSecretNotFound) {
		t.Errorf("ro/config reached the server: %v", err)
	}
	if st, _ := v.SyncStates(ctx, ""); len(st) != 0 {
		t.Errorf("state under an empty target: %v", st)
	}
	if st := states(must(t)(s.Status(ctx, "ro/"))); st["ro/config"] != kvsync.LocalAhead {
		t.Errorf("status of the refused secret: %v", st)
	}
	// Data allowed but not metadata: refused before the first write, so
	// that no secret is half-written.
	put(t, v, "half/x", "half-canary", vault.PutOptions{})
	_, err = s.Push(ctx, "half/", false)
	if !errors.Is(err, kvsync.ErrPermission) || !strings.Contains(err.Error(), "secret/metadata/"+path+"/half/x") {
		t.Fatalf("push without metadata rights: %v", err)
	}
	if _, err := kv.GetMetadata(ctx, path+"/half/x"); !errors.Is(err, api.ErrSecretNotFound) {
		t.Errorf("half/x was half-written: %v", err)
	}
	w := newVault(t)
	must(t)(syncer(t, srv, w, "", token).Pull(ctx, "team/", false))
	if got := values(t, w, "team/db"); !slices.Equal(got, []string{"team-value"}) {
		t.Errorf("pulled with the team token: %q", got)
	}
}

// TestDryRun: neither push nor pull changes anything with dryRun.
func TestDryRun(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	a := newVault(t)
	put(t, a, "d/x", "1", vault.PutOptions{})
	sa := syncer(t, srv, a, "", srv.Token)
	rep := must(t)(sa.Push(ctx, "", true))
	if len(rep.Items) != 1 || rep.Items[0].Action != "pushed" || rep.Items[0].Versions != 1 {
		t.Errorf("push plan: %+v", rep.Items)
	}
	if _, err := srv.Root().KVv2("secret").GetMetadata(ctx, pathFor(t)+"/d/x"); !errors.Is(err, api.ErrSecretNotFound) {
		t.Errorf("dry-run push wrote: %v", err)
	}
	if st := states(must(t)(sa.Status(ctx, ""))); st["d/x"] != kvsync.LocalAhead {
		t.Errorf("status after dry run: %v", st)
	}
	must(t)(sa.Push(ctx, "", false))
	b := newVault(t)
	sb := syncer(t, srv, b, "", srv.Token)
	rep = must(t)(sb.Pull(ctx, "", true))
	if len(rep.Items) != 1 || rep.Items[0].Action != "new" {
		t.Errorf("pull plan: %+v", rep.Items)
	}
	if list, _ := b.List(ctx, vault.ListOptions{}); len(list) != 0 {
		t.Errorf("dry-run pull wrote: %v", list)
	}
}

// TestLongHistory: the server keeps more than its default ten versions
// of a secret, so that a pull gets locket's whole history.
func TestLongHistory(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	v := newVault(t)
	var want []string
	for i := range 14 {
		want = append(want, fmt.Sprintf("value-%02d", i))
		put(t, v, "long/history", want[i], vault.PutOptions{})
	}
	must(t)(syncer(t, srv, v, "", srv.Token).Push(ctx, "", false))
	if got := serverValues(t, srv, pathFor(t), "long/history"); !slices.Equal(got, want) {
		t.Errorf("server: %q", got)
	}
	w := newVault(t)
	must(t)(syncer(t, srv, w, "", srv.Token).Pull(ctx, "", false))
	if got := values(t, w, "long/history"); !slices.Equal(got, want) {
		t.Errorf("pulled: %q", got)
	}
}

// TestAttributes: changing attributes adds no version on either side;
// they travel as metadata.
func TestAttributes(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	a, b := newVault(t), newVault(t)
	sa, sb := syncer(t, srv, a, "", srv.Token), syncer(t, srv, b, "", srv.Token)
	put(t, a, "attr/x", "v", vault.PutOptions{})
	must(t)(sa.Push(ctx, "", false))
	must(t)(sb.Pull(ctx, "", false))
	exp := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	off := false
	if err := a.Update(ctx, "attr/x", vault.Attributes{Expires: &exp, Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	rep := must(t)(sa.Push(ctx, "", false))
	if len(rep.Items) != 1 || rep.Items[0].Versions != 0 || rep.Items[0].Note != "metadata ~locket-enabled +locket-expires" {
		t.Errorf("push: %+v", rep.Items)
	}
	must(t)(sb.Pull(ctx, "", false))
	s, err := b.Secret(ctx, "attr/x")
	if err != nil {
		t.Fatal(err)
	}
	if s.Enabled || !s.Current().Expires.Equal(exp) || len(s.Versions) != 1 {
		t.Errorf("b after pull: %+v", s)
	}
	allInSync(t, sa)
	allInSync(t, sb)
}

// TestMetadataRace: metadata has no check-and-set, so a change made on the
// server between push's first look and its metadata write must be found
// just before the write, not overwritten.
func TestMetadataRace(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	p := vaultserver.NewProxy(t, srv.Addr)
	v := newVault(t)
	put(t, v, "race/x", "v", vault.PutOptions{Tags: map[string]string{"a": "1"}})
	s := syncer(t, srv, v, p.Addr, srv.Token)
	must(t)(s.Push(ctx, "", false))
	if err := v.Tag(ctx, "race/x", vault.TagChange{Set: map[string]string{"b": "2"}}); err != nil {
		t.Fatal(err)
	}
	key := pathFor(t) + "/race/x"
	reads := 0
	p.Hook(func(method, path string) {
		if method == "GET" && path == "/v1/secret/metadata/"+key {
			if reads++; reads == 2 { // the plan's look, then the one before the write
				err := srv.Root().KVv2("secret").PatchMetadata(ctx, key, api.KVMetadataPatchInput{CustomMetadata: map[string]any{"edited": "on the server"}})
				if err != nil {
					t.Error(err)
				}
			}
		}
	})
	rep, err := s.Push(ctx, "", false)
	if !errors.Is(err, kvsync.ErrConflict) || rep.Items[0].Note != "metadata changed on the server during the push; pull, then push" {
		t.Fatalf("push during a metadata change: %v %+v", err, rep.Items)
	}
	m, _ := srv.Root().KVv2("secret").GetMetadata(ctx, key)
	if m.CustomMetadata["edited"] != "on the server" || m.CustomMetadata["b"] != nil {
		t.Errorf("server metadata: %v", m.CustomMetadata)
	}
	p.Hook(nil)
	must(t)(s.Pull(ctx, "", false))
	must(t)(s.Push(ctx, "", false))
	m, _ = srv.Root().KVv2("secret").GetMetadata(ctx, key)
	if m.CustomMetadata["edited"] != "on the server" || m.CustomMetadata["b"] != "2" || m.CustomMetadata["a"] != "1" {
		t.Errorf("server metadata after pull and push: %v", m.CustomMetadata)
	}
}
