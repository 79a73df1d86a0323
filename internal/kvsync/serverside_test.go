package kvsync_test

// The team's other side: each test here makes a change on the server the
// way a Vault user does (the Vault CLI calls the same endpoints as the
// official client used here) and checks what status, pull and push make
// of it. See the table in docs/sync.md.

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"locket/internal/kvsync"
	"locket/internal/vaultserver"
	"locket/vault"
)

// item returns the report's item for name, failing t when there is none.
func item(t testing.TB, rep kvsync.Report, name string) kvsync.Item {
	t.Helper()
	for _, it := range rep.Items {
		if it.Name == name {
			return it
		}
	}
	t.Fatalf("no item %s in %+v", name, rep.Items)
	return kvsync.Item{}
}

func secretOf(t testing.TB, v *vault.Vault, name string) *vault.Secret {
	t.Helper()
	for _, deleted := range []bool{false, true} {
		list, err := v.List(ctx, vault.ListOptions{Deleted: deleted})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list {
			if s.Name == name {
				return &s
			}
		}
	}
	t.Fatalf("no secret %s", name)
	return nil
}

// readOnlyToken may read and list everything under the test's path and
// nothing else.
func readOnlyToken(t testing.TB, srv *vaultserver.Server) string {
	t.Helper()
	path := pathFor(t)
	tok, err := srv.TokenWithPolicy("ro-"+strings.ToLower(strings.NewReplacer("/", "-").Replace(path)), fmt.Sprintf(`
path "secret/data/%[1]s/*"     { capabilities = ["read"] }
path "secret/metadata/%[1]s/*" { capabilities = ["read", "list"] }
`, path))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// rawMetadata is the server's whole metadata of a key, for comparing
// before and after.
func rawMetadata(t testing.TB, srv *vaultserver.Server, key string) string {
	t.Helper()
	s, err := srv.Root().Logical().Read("secret/metadata/" + key)
	if err != nil || s == nil {
		t.Fatalf("metadata of %s: %v", key, err)
	}
	b, _ := json.Marshal(s.Data)
	return string(b)
}

// TestServerDeleteIsSeen is case 1 of the issue: vault kv delete of a
// synced secret is a change (status), a push of a new local version does
// not undo it but is a conflict that says so, and pull moves the secret to
// the local trash at the server's deletion time.
func TestServerDeleteIsSeen(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	v := newVault(t)
	s := syncer(t, srv, v, "", srv.Token)
	kv := srv.Root().KVv2("secret")
	key := pathFor(t) + "/d/token"
	put(t, v, "d/token", "token-1", vault.PutOptions{})
	must(t)(s.Push(ctx, "", false))

	if err := kv.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if it := item(t, must(t)(s.Status(ctx, "")), "d/token"); it.State != kvsync.ServerAhead || it.Note != "deleted on the server" {
		t.Errorf("status after vault kv delete: %+v", it)
	}
	put(t, v, "d/token", "token-2", vault.PutOptions{})
	rep, err := s.Push(ctx, "", false)
	if !errors.Is(err, kvsync.ErrConflict) {
		t.Fatalf("push over a server-side delete: %v %+v", err, rep.Items)
	}
	if it := item(t, rep, "d/token"); it.Action != kvsync.ActionConflict || !strings.Contains(it.Note, "a push would undo that deletion") {
		t.Errorf("push over a server-side delete: %+v", it)
	}
	m, err := kv.GetMetadata(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if m.CurrentVersion != 1 || m.Versions["1"].DeletionTime.IsZero() {
		t.Errorf("the push undid the deletion: %+v", m)
	}

	rep = must(t)(s.Pull(ctx, "", false))
	if it := item(t, rep, "d/token"); !strings.Contains(it.Note, "moved to the trash") {
		t.Errorf("pull of a server-side delete: %+v", it)
	}
	sec := secretOf(t, v, "d/token")
	if !sec.InTrash() || !sec.Deleted.Equal(m.Versions["1"].DeletionTime) {
		t.Errorf("local secret after the pull: deleted %v, want %v", sec.Deleted, m.Versions["1"].DeletionTime)
	}
	// The local version made meanwhile is kept, and still to push.
	if got := values(t, v, "d/token"); !slices.Equal(got, []string{"token-1", "token-2"}) {
		t.Errorf("values after the pull: %q", got)
	}
	if it := item(t, must(t)(s.Status(ctx, "")), "d/token"); it.State != kvsync.LocalAhead {
		t.Errorf("status after the pull: %+v", it)
	}
	// Recovering it here and pushing is the explicit way back.
	if err := v.Recover(ctx, "d/token"); err != nil {
		t.Fatal(err)
	}
	must(t)(s.Push(ctx, "", false))
	if got, err := kv.GetVersion(ctx, key, 2); err != nil || got.Data["value"] != "token-2" {
		t.Errorf("server after recover and push: %v %v", got, err)
	}
	allInSync(t, s)
}

// TestServerUndeleteIsSeen: vault kv undelete of a secret that locket
// trashed brings it back from the local trash; vault kv destroy of an old
// version is a change that pull acknowledges, keeping the local copy.
func TestServerUndeleteIsSeen(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	v := newVault(t)
	s := syncer(t, srv, v, "", srv.Token)
	kv := srv.Root().KVv2("secret")
	key := pathFor(t) + "/u/x"
	put(t, v, "u/x", "one", vault.PutOptions{})
	put(t, v, "u/x", "two", vault.PutOptions{})
	must(t)(s.Push(ctx, "", false))
	if err := v.Delete(ctx, "u/x"); err != nil {
		t.Fatal(err)
	}
	must(t)(s.Push(ctx, "", false))
	allInSync(t, s)

	if err := kv.Undelete(ctx, key, []int{2}); err != nil {
		t.Fatal(err)
	}
	if it := item(t, must(t)(s.Status(ctx, "")), "u/x"); it.State != kvsync.ServerAhead || it.Note != "undeleted on the server" {
		t.Errorf("status after vault kv undelete: %+v", it)
	}
	must(t)(s.Pull(ctx, "", false))
	if secretOf(t, v, "u/x").InTrash() {
		t.Error("vault kv undelete did not recover the secret here")
	}
	allInSync(t, s)

	if err := kv.Destroy(ctx, key, []int{1}); err != nil {
		t.Fatal(err)
	}
	if it := item(t, must(t)(s.Status(ctx, "")), "u/x"); it.State != kvsync.ServerAhead || !strings.Contains(it.Note, "versions deleted or destroyed on the server: 1x") {
		t.Errorf("status after vault kv destroy: %+v", it)
	}
	// A push has nothing of its own to send, and does not undo it.
	if it := item(t, must(t)(s.Push(ctx, "", false)), "u/x"); it.Action != kvsync.ActionSkipped {
		t.Errorf("push after vault kv destroy: %+v", it)
	}
	if it := item(t, must(t)(s.Pull(ctx, "", false)), "u/x"); !strings.Contains(it.Note, "1x (kept here)") {
		t.Errorf("pull after vault kv destroy: %+v", it)
	}
	if got := values(t, v, "u/x"); !slices.Equal(got, []string{"one", "two"}) {
		t.Errorf("values after pull: %q", got)
	}
	allInSync(t, s)
}

// TestExtraDataKeys is case 3: a version with data keys locket does not
// own is pulled whole, as a JSON data map, and a push writes such a value
// back as the data map, unchanged.
func TestExtraDataKeys(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	v := newVault(t)
	s := syncer(t, srv, v, "", srv.Token)
	kv := srv.Root().KVv2("secret")
	key := pathFor(t) + "/x"
	if _, err := kv.Put(ctx, key, map[string]any{"value": "x", "username": "bob", "port": 5432}); err != nil {
		t.Fatal(err)
	}
	rep := must(t)(s.Pull(ctx, "", false))
	if it := item(t, rep, "x"); it.Action != "new" || !strings.Contains(it.Note, "data keys locket does not own") {
		t.Errorf("pull: %+v", it)
	}
	sec := secretOf(t, v, "x")
	if got := values(t, v, "x"); len(got) != 1 || got[0] != `{"port":5432,"username":"bob","value":"x"}` || sec.Current().ContentType != kvsync.ContentTypeKVData {
		t.Errorf("pulled %q as %s", got, sec.Current().ContentType)
	}
	// Pulled, it is in sync at once: nothing to push.
	allInSync(t, s)
	if it := item(t, must(t)(s.Push(ctx, "", false)), "x"); it.Action != kvsync.ActionNone {
		t.Errorf("push right after the pull: %+v", it)
	}

	put(t, v, "x", `{"port":5433,"username":"bob","value":"y"}`, vault.PutOptions{ContentType: kvsync.ContentTypeKVData})
	must(t)(s.Push(ctx, "", false))
	got, err := kv.GetVersion(ctx, key, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"port": json.Number("5433"), "username": "bob", "value": "y"}
	if !reflect.DeepEqual(got.Data, want) {
		t.Errorf("server data after the push: %#v", got.Data)
	}
	// A value of that type that is not a JSON object is not pushed.
	put(t, v, "x", "not json", vault.PutOptions{ContentType: kvsync.ContentTypeKVData})
	if it := item(t, must(t)(s.Push(ctx, "", false)), "x"); it.Action != kvsync.ActionSkipped || !strings.Contains(it.Note, "must be a JSON object") {
		t.Errorf("push of a bad data map: %+v", it)
	}
}

// TestPullOnlyReads is case 4: pull of a secret whose current version is
// deleted on the server works with a read-only token and changes nothing
// on the server.
func TestPullOnlyReads(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	a := newVault(t)
	put(t, a, "p/live", "live", vault.PutOptions{})
	put(t, a, "p/gone", "gone-1", vault.PutOptions{})
	put(t, a, "p/gone", "gone-2", vault.PutOptions{})
	if err := a.Delete(ctx, "p/gone"); err != nil {
		t.Fatal(err)
	}
	must(t)(syncer(t, srv, a, "", srv.Token).Push(ctx, "", false))
	key := pathFor(t) + "/p/gone"
	before := rawMetadata(t, srv, key)

	b := newVault(t)
	sb := syncer(t, srv, b, "", readOnlyToken(t, srv))
	plan := must(t)(sb.Pull(ctx, "", true))
	rep := must(t)(sb.Pull(ctx, "", false))
	for _, r := range []kvsync.Report{plan, rep} {
		if it := item(t, r, "p/gone"); !strings.Contains(it.Note, "server version 2 is deleted there and cannot be read without undeleting it") {
			t.Errorf("pull of a deleted version (dry run %v): %+v", r.DryRun, it)
		}
	}
	if after := rawMetadata(t, srv, key); after != before {
		t.Errorf("pull changed the server:\n%s\n%s", before, after)
	}
	if got := values(t, b, "p/gone"); !slices.Equal(got, []string{"gone-1"}) || !secretOf(t, b, "p/gone").InTrash() {
		t.Errorf("pulled: %q", got)
	}
	if got := values(t, b, "p/live"); !slices.Equal(got, []string{"live"}) {
		t.Errorf("pulled: %q", got)
	}
}

// TestUnnamableServerKeys is case 5: server keys that are not locket
// names are listed as skipped, with the reason, by status and pull.
func TestUnnamableServerKeys(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	kv := srv.Root().KVv2("secret")
	for _, k := range []string{"bad name", "café", "ok"} {
		if _, err := kv.Put(ctx, pathFor(t)+"/n/"+k, map[string]any{"value": "v"}); err != nil {
			t.Fatal(err)
		}
	}
	v := newVault(t)
	s := syncer(t, srv, v, "", srv.Token)
	for _, rep := range []kvsync.Report{must(t)(s.Status(ctx, "")), must(t)(s.Pull(ctx, "", false))} {
		for _, n := range []string{"n/bad name", "n/café"} {
			if it := item(t, rep, n); it.State != kvsync.Skipped || !strings.HasPrefix(it.Note, "not a locket name: ") {
				t.Errorf("%s: %+v", n, it)
			}
		}
	}
	if got := values(t, v, "n/ok"); !slices.Equal(got, []string{"v"}) {
		t.Errorf("n/ok: %q", got)
	}
}

// TestServerIdentity is case 6: a mount recreated at the same address
// (as after a dev server restart) is refused without AllowMassDelete, and
// so is a pull that would trash most of the synced secrets.
func TestServerIdentity(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	mount := "id-" + strings.ToLower(strings.NewReplacer("/", "-").Replace(pathFor(t)[2:]))
	if err := srv.Mount(mount, 2); err != nil {
		t.Fatal(err)
	}
	v := newVault(t)
	for i := range 6 {
		put(t, v, fmt.Sprintf("m/s%d", i), "v", vault.PutOptions{})
	}
	c, err := srv.Client("", srv.Token)
	if err != nil {
		t.Fatal(err)
	}
	s := kvsync.New(v, c, mount, "locket")
	must(t)(s.Push(ctx, "", false))

	// Every secret deleted on the server: a mass deletion.
	kv := srv.Root().KVv2(mount)
	for i := range 6 {
		if err := kv.DeleteMetadata(ctx, fmt.Sprintf("locket/m/s%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Pull(ctx, "", false); !errors.Is(err, kvsync.ErrMassDelete) || !strings.Contains(err.Error(), "6 of the 6") {
		t.Fatalf("pull of a mass deletion: %v", err)
	}
	if list, _ := v.List(ctx, vault.ListOptions{}); len(list) != 6 {
		t.Fatalf("a refused pull trashed secrets: %d left", len(list))
	}
	must(t)(s.Push(ctx, "", true))

	// The mount recreated: another identity.
	if err := srv.Root().Sys().Unmount(mount); err != nil {
		t.Fatal(err)
	}
	if err := srv.Mount(mount, 2); err != nil {
		t.Fatal(err)
	}
	for _, f := range []func() (kvsync.Report, error){
		func() (kvsync.Report, error) { return s.Pull(ctx, "", false) },
		func() (kvsync.Report, error) { return s.Push(ctx, "", false) },
	} {
		if _, err := f(); !errors.Is(err, kvsync.ErrMassDelete) || !strings.Contains(err.Error(), "not the one this vault last synced with") {
			t.Errorf("sync with a recreated mount: %v", err)
		}
	}
	if it := item(t, must(t)(s.Status(ctx, "")), "m/s0"); !strings.Contains(it.Note, "last synced with another mount") {
		t.Errorf("status with a recreated mount: %+v", it)
	}
	s.AllowMassDelete = true
	must(t)(s.Pull(ctx, "", false))
	if list, _ := v.List(ctx, vault.ListOptions{Deleted: true}); len(list) != 6 {
		t.Errorf("allowed pull: %d secrets in the trash", len(list))
	}
}

// TestSmallerItems is case 7: history times of a patched version, a
// replaced custom_metadata that drops locket-enabled, and a foreign
// secret in sync once pulled.
func TestSmallerItems(t *testing.T) {
	t.Parallel()
	srv := vaultserver.Shared(t)
	kv := srv.Root().KVv2("secret")
	path := pathFor(t)
	v := newVault(t)
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	_, err := v.Import(ctx, vault.SecretsOf([]vault.SecretData{
		{Secret: vault.Secret{Name: "p/x", Enabled: true, Versions: []vault.Version{{ContentType: "text/plain", Created: old, Actor: "old@host"}}}, Values: [][]byte{[]byte("v1")}},
	}), vault.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	put(t, v, "off/x", "v", vault.PutOptions{})
	off := false
	if err := v.Update(ctx, "off/x", vault.Attributes{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	s := syncer(t, srv, v, "", srv.Token)
	must(t)(s.Push(ctx, "", false))

	// vault kv patch copies created and actor into the new version; the
	// history says when the server made it.
	if _, err := kv.Patch(ctx, path+"/p/x", map[string]any{"value": "v2"}); err != nil {
		t.Fatal(err)
	}
	// vault kv metadata put -custom-metadata=owner=alice replaces the map.
	if err := kv.PutMetadata(ctx, path+"/off/x", api.KVMetadataPutInput{MaxVersions: 1000, CustomMetadata: map[string]any{"owner": "alice"}}); err != nil {
		t.Fatal(err)
	}
	// A secret written by another tool.
	if _, err := kv.Put(ctx, path+"/foreign", map[string]any{"value": "f"}); err != nil {
		t.Fatal(err)
	}
	must(t)(s.Pull(ctx, "", false))
	m, err := kv.GetMetadata(ctx, path+"/p/x")
	if err != nil {
		t.Fatal(err)
	}
	cur := secretOf(t, v, "p/x").Current()
	// The copied actor is dropped (the import then names the puller).
	if !cur.Created.Equal(m.Versions["2"].CreatedTime) || cur.Actor == "old@host" {
		t.Errorf("patched version: created %v by %q, want %v not by old@host", cur.Created, cur.Actor, m.Versions["2"].CreatedTime)
	}
	if first := secretOf(t, v, "p/x").Versions[0]; !first.Created.Equal(old) || first.Actor != "old@host" {
		t.Errorf("first version: %+v", first)
	}
	offx := secretOf(t, v, "off/x")
	if offx.Enabled || offx.Tags["owner"] != "alice" {
		t.Errorf("after metadata put: enabled %v tags %v", offx.Enabled, offx.Tags)
	}
	st := states(must(t)(s.Status(ctx, "")))
	if st["foreign"] != kvsync.InSync || st["p/x"] != kvsync.InSync || st["off/x"] != kvsync.LocalAhead {
		t.Errorf("status after the pull: %v", st)
	}
	// The push puts locket-enabled back; nothing else.
	if it := item(t, must(t)(s.Push(ctx, "", false)), "off/x"); it.Note != "metadata +locket-enabled" {
		t.Errorf("push: %+v", it)
	}
	if m, _ := kv.GetMetadata(ctx, path+"/off/x"); m.CustomMetadata["locket-enabled"] != "false" || m.CustomMetadata["owner"] != "alice" {
		t.Errorf("server after the push: %v", m.CustomMetadata)
	}
	allInSync(t, s)

	// A reserved tag cannot be set in the first place.
	if err := v.Tag(ctx, "p/x", vault.TagChange{Set: map[string]string{"locket-enabled": "false"}}); !errors.Is(err, vault.ErrInvalid) {
		t.Errorf("tag locket-enabled: %v", err)
	}
	if _, err := v.Put(ctx, "p/y", []byte("v"), vault.PutOptions{Tags: map[string]string{"locket-x": "1"}}); !errors.Is(err, vault.ErrInvalid) {
		t.Errorf("set with tag locket-x: %v", err)
	}
}
