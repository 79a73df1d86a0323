//go:build unix

package cmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"locket/internal/e2e"
	"locket/vault"
)

// TestRunOnTerminal: on a real terminal (tmux) CMD's output passes
// untouched, colours and all, unless --mask. Without tmux it skips, unless
// LOCKET_E2E=1, when it fails.
func TestRunOnTerminal(t *testing.T) {
	t.Parallel()
	e2e.NeedTools(t, "tmux")
	if testing.Short() {
		t.Skip("builds the binary")
	}
	tmp := t.TempDir()
	bin := e2e.Build(t)
	dir := filepath.Join(tmp, "vault")
	ctx := context.Background()
	v, err := vault.Create(ctx, dir, []byte(testPassphrase), vault.MinKDF, vault.DefaultSettings(), vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Put(ctx, "term/secret", []byte("canary-term-value"), vault.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	pass := filepath.Join(tmp, "pass")
	if err := os.WriteFile(pass, []byte(testPassphrase), 0o600); err != nil {
		t.Fatal(err)
	}

	tmux := e2e.NewTmux(t, e2e.Env())
	show := `sh -c 'printf "%s:[%s]\n" "$1" "$DB"' sh`
	script := fmt.Sprintf("export LOCKET_VAULT=%s LOCKET_PASSPHRASE_FILE=%s LOCKET_AGENT=off DB=locket://term/secret; "+
		"%s run -- %s plain && %s run --mask -- %s masked; echo EXITED $?; sleep 60", dir, pass, bin, show, bin, show)
	p := tmux.Start("run", script)
	s := p.Wait("EXITED")
	for _, want := range []string{"plain:[canary-term-value]", "masked:[<concealed by locket>]", "EXITED 0"} {
		if !strings.Contains(s, want) {
			t.Errorf("the terminal does not show %q:\n%s", want, s)
		}
	}
}
