package cmd

import (
	"bytes"
	"context"
	"path/filepath"
	"runtime/debug"
	"slices"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"locket/vault"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	info := &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"},
	}}
	if got := version(info, true); got != "v1.4.0 (0123456789ab, dirty)" {
		t.Errorf("version = %q", got)
	}
	if got := version(&debug.BuildInfo{}, true); got != "(devel)" {
		t.Errorf("no vcs: %q", got)
	}
	if got := version(nil, false); got == "" {
		t.Error("no build info gives an empty version")
	}
}

// TestCompleteNames: names complete through completionVault only; the
// default (no agent) offers none and never unlocks.
func TestCompleteNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "vault")
	pass := []byte("completion test passphrase")
	now := func() time.Time { return scriptNow }
	v, err := vault.Create(ctx, dir, pass, vault.MinKDF, vault.DefaultSettings(), vault.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"prod/db/password", "prod/db/url", "dev/token"} {
		if _, err := v.Put(ctx, n, []byte("x"), vault.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	a := &app{stdin: bytes.NewReader(nil), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, now: now, vaultDir: dir}
	cmd := &cobra.Command{}
	cmd.SetContext(ctx)
	if got, _ := a.completeNames(cmd, nil, "prod/"); got != nil {
		t.Errorf("completed %v without an unlocked agent", got)
	}
	a.completion = noClose{v}
	got, _ := a.completeNames(cmd, nil, "prod/d")
	if !slices.Equal(got, []string{"prod/db/password", "prod/db/url"}) {
		t.Errorf("completed %v", got)
	}
	if got, _ := a.completeNames(cmd, []string{"prod/db/url"}, ""); got != nil {
		t.Errorf("a second argument completed %v", got)
	}
	v.Close()
}

// noClose keeps a test's vault open when completion closes what it used.
type noClose struct{ vault.Service }

func (noClose) Close() error { return nil }
