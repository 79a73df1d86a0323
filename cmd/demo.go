package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"locket/tui"
	"locket/vault"
)

func init() { register(newDemoCmd) }

// demoPassphrase unlocks the throw-away demo vault; it is printed anyway.
const demoPassphrase = "demo"

func newDemoCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "try the terminal UI on a throw-away vault of example secrets",
		Long: `Create a temporary vault holding about 40 made-up secrets (stale, due,
expired, disabled, snoozed, in the trash, with several versions and tags)
and open the terminal UI on it. The passphrase is "demo". The vault is
removed when you quit. Nothing touches your real vault.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !isTerminal(a.stdin) || !isTerminal(a.stdout) {
				return usageError("the demo needs a terminal")
			}
			tmp, err := os.MkdirTemp("", "locket-demo-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			dir := filepath.Join(tmp, "vault")
			fmt.Fprintf(a.stderr, "locket demo: creating a throw-away vault in %s\n", dir)
			if err := buildDemo(cmd, dir); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "locket demo: the passphrase is %q; the vault is removed when you quit\n", demoPassphrase)
			err = a.runUI(cmd.Context(), tui.Config{
				Dir:    dir,
				KDF:    vault.MinKDF,
				Banner: fmt.Sprintf("demo vault · the passphrase is %q", demoPassphrase),
			})
			if rerr := os.RemoveAll(tmp); err == nil && rerr != nil {
				return fmt.Errorf("remove the demo vault: %w", rerr)
			}
			fmt.Fprintln(a.stderr, "locket demo: the demo vault is removed; run 'locket' to start your own")
			return err
		},
	}
}

// buildDemo creates the demo vault with a clock that SeedDemo moves back
// in time, so that versions have real ages.
func buildDemo(cmd *cobra.Command, dir string) error {
	var mu sync.Mutex
	now := time.Now()
	clock := now
	opts := vault.Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }}
	set := vault.DefaultSettings()
	v, err := vault.Create(cmd.Context(), dir, []byte(demoPassphrase), vault.MinKDF, set, opts)
	if err != nil {
		return err
	}
	err = tui.SeedDemo(cmd.Context(), v, func(t time.Time) { mu.Lock(); clock = t; mu.Unlock() }, now)
	if cerr := v.Close(); err == nil {
		err = cerr
	}
	return err
}
