package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"

	"locket/tui"
	"locket/vault"
)

// demoPassphrase unlocks the throw-away demo vault; it is printed anyway.
const demoPassphrase = "demo"

func newDemoCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "try the terminal UI on a throw-away vault of example secrets",
		Long: `Create a temporary vault holding about 40 made-up secrets (stale, due,
expired, disabled, snoozed, in the trash, with several versions and tags)
and open the terminal UI on it. The passphrase is "demo". The vault is
removed when you quit, and also when the terminal is closed or locket is
interrupted or terminated (SIGHUP, SIGINT, SIGTERM); a demo vault left by
a process that died otherwise is removed when the next demo starts.
Nothing touches your real vault.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !isTerminal(a.stdin) || !isTerminal(a.stdout) {
				return usageError("the demo needs a terminal")
			}
			// A signal cancels the context instead of killing the process,
			// so that the UI restores the terminal and the vault goes. The
			// UI's own signal handling is off: two handlers racing to end
			// the program can leave it waiting for a message nobody reads.
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
			defer signal.Stop(sigs)
			var got atomic.Int32
			go func() {
				if s, ok := <-sigs; ok {
					got.Store(int32(s.(syscall.Signal)))
					cancel()
				}
			}()
			removeStaleDemos(os.TempDir())
			tmp, err := os.MkdirTemp("", demoPrefix+strconv.Itoa(os.Getpid())+"-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			dir := filepath.Join(tmp, "vault")
			fmt.Fprintf(a.stderr, "locket demo: creating a throw-away vault in %s\n", dir)
			if err := buildDemo(ctx, dir); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "locket demo: the passphrase is %q; the vault is removed when you quit\n", demoPassphrase)
			err = a.runUI(ctx, tui.Config{
				Dir:    dir,
				KDF:    vault.MinKDF,
				Banner: fmt.Sprintf("demo vault · the passphrase is %q", demoPassphrase),
			}, tea.WithoutSignalHandler())
			if rerr := os.RemoveAll(tmp); err == nil && rerr != nil {
				return fmt.Errorf("remove the demo vault: %w", rerr)
			}
			fmt.Fprintln(a.stderr, "locket demo: the demo vault is removed; run 'locket' to start your own")
			if sig := got.Load(); sig != 0 {
				return errSilent{code: 128 + int(sig)} // as a shell reports a signal
			}
			return err
		},
	}
}

// demoPrefix starts the name of every demo directory; the pid of the
// process that owns it follows, so that a later demo can tell whether
// its owner is still alive.
const demoPrefix = "locket-demo-"

// removeStaleDemos removes the demo directories in tmp, this user's,
// whose process is gone (killed with SIGKILL, or the machine crashed).
func removeStaleDemos(tmp string) {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), demoPrefix)
		pidText, _, found := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || !found || err != nil || pid <= 0 || !e.IsDir() {
			continue
		}
		path := filepath.Join(tmp, e.Name())
		fi, err := os.Lstat(path)
		if err != nil {
			continue
		}
		if st, isUnix := fi.Sys().(*syscall.Stat_t); !isUnix || int(st.Uid) != os.Getuid() {
			continue
		}
		// Signal 0 checks that the process exists; EPERM means it does,
		// under another user.
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(path)
		}
	}
}

// buildDemo creates the demo vault with a clock that SeedDemo moves back
// in time, so that versions have real ages.
func buildDemo(ctx context.Context, dir string) error {
	var mu sync.Mutex
	now := time.Now()
	clock := now
	opts := vault.Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }}
	set := vault.DefaultSettings()
	v, err := vault.Create(ctx, dir, []byte(demoPassphrase), vault.MinKDF, set, opts)
	if err != nil {
		return err
	}
	err = tui.SeedDemo(ctx, v, func(t time.Time) { mu.Lock(); clock = t; mu.Unlock() }, now)
	if cerr := v.Close(); err == nil {
		err = cerr
	}
	return err
}
