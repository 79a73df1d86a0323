package vault

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Sensitive calls take the current passphrase, checked by the vault
// itself; without it, or with a wrong one, they change nothing and fail
// as a wrong passphrase does (exit 4).
func TestSensitiveCallsAskAgain(t *testing.T) {
	t.Parallel()
	v := newVault(t, DefaultSettings(), nil)
	mustPut(t, v, "app/k", "v", PutOptions{})
	header := func() []byte {
		b, err := os.ReadFile(filepath.Join(v.dir, headerFile))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	before := header()
	newPass := []byte("a new passphrase")
	refused := func(what string, err error, missing bool) {
		t.Helper()
		if !errors.Is(err, ErrWrongPassphrase) || missing != errors.Is(err, ErrCurrentPassphrase) {
			t.Errorf("%s: %v", what, err)
		}
	}
	refused("passwd", v.ChangePassphrase(ctx, nil, newPass, MinKDF), true)
	refused("rekey", v.Rekey(ctx, nil, newPass, MinKDF), true)
	refused("purge protection on", v.SetSetting(ctx, "purge-protection", "true", nil), true)
	refused("agent off", v.SetSetting(ctx, "agent", "off", nil), true)
	_, _, err := v.Snapshot(ctx, SnapshotOptions{})
	refused("export of the whole vault", err, true)
	// A wrong one: each check is a key derivation, so two calls stand for
	// the rest (they share checkCurrent).
	wrong := []byte("wrong")
	refused("passwd", v.ChangePassphrase(ctx, wrong, newPass, MinKDF), false)
	refused("purge protection on", v.SetSetting(ctx, "purge-protection", "true", wrong), false)
	if !bytes.Equal(header(), before) {
		t.Fatal("a refused call changed the header")
	}
	if set := v.currentSettings(); set.PurgeProtection || set.AgentOff {
		t.Fatalf("a refused call changed the settings: %+v", set)
	}
	// What is not sensitive asks nothing.
	if err := v.SetSetting(ctx, "retention", "30d", nil); err != nil {
		t.Fatal(err)
	}
	if got, _, err := v.Snapshot(ctx, SnapshotOptions{Prefix: "app/"}); err != nil || len(got) != 1 {
		t.Fatalf("export of a prefix: %d, %v", len(got), err)
	}
	// The right passphrase does it, and the audit names the client.
	cctx := WithClient(ctx, Client{PID: 4242, Command: "locket passwd"})
	if err := v.ChangePassphrase(cctx, testPass, newPass, MinKDF); err != nil {
		t.Fatal(err)
	}
	if err := v.Rekey(cctx, newPass, testPass, MinKDF); err != nil {
		t.Fatal(err)
	}
	if err := v.SetSetting(ctx, "agent", "off", testPass); err != nil {
		t.Fatal(err)
	}
	events, err := v.Audit(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[Op]bool{}
	for _, e := range events {
		if (e.Op == OpPasswd || e.Op == OpRekey) && (e.Client == nil || e.Client.PID != 4242) {
			t.Errorf("%s event without its client: %+v", e.Op, e)
		}
		seen[e.Op] = true
	}
	if !seen[OpPasswd] || !seen[OpRekey] {
		t.Fatalf("events: %+v", events)
	}
	v.Close()
	if _, err := Open(context.Background(), v.dir, testPass, Options{}); err != nil {
		t.Fatalf("the passphrase after passwd and rekey back: %v", err)
	}
}

// An import through an agent names its client too.
func TestImportAuditNamesTheClient(t *testing.T) {
	t.Parallel()
	v := newVault(t, DefaultSettings(), nil)
	cctx := WithClient(ctx, Client{PID: 77, Command: "locket import dotenv"})
	data := []SecretData{{Secret: Secret{Name: "imported/a", Versions: []Version{{}}}, Values: [][]byte{[]byte("x")}}}
	if _, err := v.Import(cctx, SecretsOf(data), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	events, err := v.Audit(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.Op != OpImport || last.Client == nil || last.Client.PID != 77 {
		t.Fatalf("import event: %+v", last)
	}
}
