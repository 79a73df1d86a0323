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
