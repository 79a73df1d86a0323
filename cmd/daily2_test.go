package cmd

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"locket/vault"
)

// TestThreePassphraseAttempts: a passphrase typed on the terminal is asked
// again after a wrong one, three times in all (issue 25, item 7); the
// third wrong one is exit 4.
func TestThreePassphraseAttempts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "vault")
	v, err := vault.Create(ctx, dir, []byte("the right passphrase"), vault.MinKDF, vault.DefaultSettings(), vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v.Close()
	for _, tc := range []struct {
		answers []string
		ok      bool
	}{
		{[]string{"wrong", "also wrong", "the right passphrase"}, true},
		{[]string{"wrong", "wrong", "wrong", "the right passphrase"}, false},
	} {
		var asked int
		stderr := &bytes.Buffer{}
		a := &app{stdin: bytes.NewReader(nil), stdout: &bytes.Buffer{}, stderr: stderr, now: time.Now, vaultDir: dir, noAgent: true,
			passEnv: map[string]string{},
			askPassphrase: func(string) ([]byte, error) {
				asked++
				return []byte(tc.answers[asked-1]), nil
			}}
		s, err := a.open(ctx, readOnly)
		if tc.ok {
			if err != nil {
				t.Fatalf("%v: %v", tc.answers, err)
			}
			s.Close()
		} else if !errors.Is(err, vault.ErrWrongPassphrase) || exitCode(err) != ExitUnlock {
			t.Fatalf("%v: %v (exit %d), want a wrong passphrase, exit 4", tc.answers, err, exitCode(err))
		}
		if want := min(len(tc.answers), 3); asked != want {
			t.Errorf("%v: asked %d times, want %d", tc.answers, asked, want)
		}
		if n := strings.Count(stderr.String(), "wrong passphrase; try again"); n != 2 {
			t.Errorf("%v: %d retries announced:\n%s", tc.answers, n, stderr)
		}
	}
}

// TestReadOnlyVaultDir: on a directory that cannot be written (a mounted
// backup), get reads through the read-only open instead of failing on
// Badger's pid file, a write fails with a clear error, and no agent is
// used or started for it (issue 25, bug 3). Root may write anywhere, so
// the directory's writability is injected.
func TestReadOnlyVaultDir(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "vault")
	const pass = "read-only test passphrase"
	v, err := vault.Create(ctx, dir, []byte(pass), vault.MinKDF, vault.DefaultSettings(), vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Put(ctx, "prod/db/password", []byte("s3cret"), vault.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	v.Close()
	run := func(args ...string) (string, string, int) {
		stdout, stderr := &bytes.Buffer{}, &bytes.Buffer{}
		a := &app{stdin: bytes.NewReader(nil), stdout: stdout, stderr: stderr, now: time.Now,
			passEnv:  map[string]string{"LOCKET_PASSPHRASE": pass},
			writable: func(string) bool { return false }}
		if a.agentAllowed() {
			t.Error("an agent is allowed for a read-only directory")
		}
		if cfg := a.uiConfig(false); !cfg.ReadOnly || cfg.Agent != nil {
			t.Errorf("ui on a read-only directory: read-only %v, agent %v", cfg.ReadOnly, cfg.Agent)
		}
		code := a.run(ctx, append(args, "--vault", dir))
		return stdout.String(), stderr.String(), code
	}
	if out, stderr, code := run("get", "prod/db/password"); code != 0 || out != "s3cret" {
		t.Fatalf("get: exit %d, %q, %s", code, out, stderr)
	}
	if _, stderr, code := run("rm", "prod/db/password"); code == 0 || !strings.Contains(stderr, "read-only") {
		t.Errorf("rm on a read-only directory: exit %d, %s", code, stderr)
	}
	if out, _, code := run("list"); code != 0 || !strings.Contains(out, "prod/db/password") {
		t.Errorf("list after the refused rm: exit %d, %s", code, out)
	}
}
