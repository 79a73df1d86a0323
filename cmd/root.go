// Package cmd is locket's command line: one file per command, the
// passphrase sources, output formats and exit codes of the README.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"locket/internal/agent"
	"locket/internal/harden"
	"locket/vault"
)

// Exit codes, stable for scripts (documented in the README).
const (
	ExitOK        = 0
	ExitError     = 1
	ExitUsage     = 2
	ExitNotFound  = 3
	ExitUnlock    = 4
	ExitBusy      = 5
	ExitPolicy    = 6
	ExitAttention = 10
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode makes err exit with code.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// usageError is a mistake in how a command was called: exit 2.
func usageError(format string, a ...any) error {
	return withCode(ExitUsage, fmt.Errorf(format, a...))
}

// errSilent exits with its code and prints nothing more (check's 10).
type errSilent struct{ code int }

func (e errSilent) Error() string { return "" }

// app is what every command shares: the streams, the clock and the global
// flags. Tests build one with their own streams.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	now            func() time.Time

	vaultDir       string
	passphraseFile string
	noAgent        bool
	// completion, when set, is the vault shell completion lists (tests);
	// otherwise it asks an unlocked agent (completionVault).
	completion     vault.Service
	acceptRollback bool
	// passEnv holds the LOCKET_PASSPHRASE* variables, out of the
	// environment (passenv.go).
	passEnv map[string]string
	// askPassphrase asks on the terminal; nil is promptSecret. Tests set
	// it to answer without a terminal.
	askPassphrase func(prompt string) ([]byte, error)
	// writable reports whether a vault directory can be written; nil is
	// an access(2) check. Tests set it, since root may write anywhere.
	writable func(dir string) bool
	// backupWorkFactor, when set, is the scrypt work factor of passphrase
	// backups instead of age's default: the test binary's locket lowers
	// it, as the backup package's tests do.
	backupWorkFactor int
	// clipClearer says this process's executable is locket and may be
	// started as the clipboard clearer (clip.Copy). Only Execute, locket's
	// main, sets it: a test binary started as a clearer would run its
	// tests instead.
	clipClearer bool
	// openedWith is the passphrase this command opened the vault or
	// unlocked the agent with, until the command ends: a sensitive call
	// takes it rather than ask twice (currentPassphrase).
	openedWith []byte
}

// commands is locket's command tree, in one place: the constructor of
// every subcommand, each in its own file. A new command is one file with
// its constructor, newXCmd(a *app) *cobra.Command, and one line here.
// --help lists them sorted by name, whatever the order here.
func commands() []func(*app) *cobra.Command {
	return []func(*app) *cobra.Command{
		// The vault and its secrets.
		newInitCmd,
		newSetCmd,
		newGetCmd,
		newShowCmd,
		newListCmd,
		newFindCmd,
		newHistoryCmd,
		newTagCmd,
		newUntagCmd,
		newUpdateCmd,
		newEditCmd,
		newMvCmd,
		newRollbackCmd,
		newRmCmd,
		newRecoverCmd,
		newPurgeCmd,
		newCopyCmd,
		newOTPCmd,
		newGenerateCmd,
		newVersionCmd,
		// Lifecycle and health.
		newCheckCmd,
		newReviewCmd,
		newRotateCmd,
		newSnoozeCmd,
		newVerifyCmd,
		newSalvageCmd,
		newAuditCmd,
		newConfigCmd,
		newPasswdCmd,
		// Backups, imports, exports and sync.
		newBackupCmd,
		newImportCmd,
		newExportCmd,
		newSyncCmd,
		// The agent.
		newUnlockCmd,
		newLockCmd,
		newAgentCmd,
		// Secrets into processes.
		newRunCmd,
		newInjectCmd,
		newGitCredentialCmd,
		// The terminal UI.
		newUICmd,
		newDemoCmd,
		// Hidden: the detached clipboard clearer.
		newClipClearCmd,
	}
}

// Execute runs locket with os.Args and returns the process exit code.
func Execute() int { return execute(&app{clipClearer: true}) }

// execute is Execute for a, which holds the test binary's settings, if any
// (a fixed clock, a cheaper backup KDF).
func execute(a *app) int {
	// Before anything reads a passphrase: no core file, no ptrace.
	if err := harden.Process(); err != nil {
		fmt.Fprintf(os.Stderr, "locket: %v\n", err)
		return ExitError
	}
	a.stdin, a.stdout, a.stderr = os.Stdin, os.Stdout, os.Stderr
	if a.now == nil {
		a.now = time.Now
	}
	return a.run(context.Background(), os.Args[1:])
}

func (a *app) run(ctx context.Context, args []string) int {
	if a.passEnv == nil {
		a.passEnv = takePassEnv()
	}
	root := a.rootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var silent errSilent
	if errors.As(err, &silent) {
		return silent.code
	}
	code := exitCode(err)
	msg := vault.Sanitize(err.Error() + hint(err))
	fmt.Fprintf(a.stderr, "locket: %s\n", msg)
	if code == ExitUsage && !strings.Contains(msg, "--help") {
		fmt.Fprintf(a.stderr, "run '%s --help' for usage\n", strings.TrimSpace("locket "+commandPath(root, args)))
	}
	return code
}

// commandPath names the subcommand args select, for the usage hint.
func commandPath(root *cobra.Command, args []string) string {
	c, _, err := root.Find(args)
	if err != nil || c == root {
		return ""
	}
	return strings.TrimPrefix(c.CommandPath(), "locket ")
}

// hint says how to get past a refusal of the vault, in the CLI's words;
// the vault's own error texts name no command.
func hint(err error) string {
	var unsafe *vault.UnsafeError
	switch {
	case errors.As(err, &unsafe) && unsafe.Reason != "":
		return "; remove the others' write access (icacls " + unsafe.Dir + ")"
	case errors.As(err, &unsafe):
		return "; run chmod 700 " + unsafe.Dir
	case errors.Is(err, vault.ErrDisabled):
		return "; enable it with locket update --enable"
	case errors.Is(err, vault.ErrDeleted):
		return "; locket recover brings it back"
	case errors.Is(err, vault.ErrConflict):
		return "; choose --on-conflict new-version or skip"
	case errors.Is(err, vault.ErrIntegrity) && !strings.Contains(err.Error(), "salvage"):
		return "; " + vault.RecoveryHint
	}
	return ""
}

// exitCode maps an error to an exit code.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, vault.ErrWrongPassphrase), errors.Is(err, vault.ErrBadHeader), errors.Is(err, errNoPassphrase),
		errors.Is(err, agent.ErrLocked):
		return ExitUnlock
	case errors.Is(err, vault.ErrBusy):
		return ExitBusy
	case errors.Is(err, vault.ErrPolicy):
		return ExitPolicy
	case errors.Is(err, vault.ErrNotFound):
		return ExitNotFound
	}
	return ExitError
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "locket",
		Short: "a local secrets vault for developers",
		Long: `locket keeps API keys, passwords, tokens and keys in an encrypted vault on
your machine, with versions, tags, rotation, a trash and an audit log.

With no command and a terminal, locket opens the terminal UI.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          unknownCommand,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !isTerminal(a.stdin) {
				return usageError("no command given; run 'locket --help' for the commands")
			}
			return a.runUI(cmd.Context(), a.uiConfig(false))
		},
	}
	root.Version = version(debug.ReadBuildInfo())
	root.SetVersionTemplate("locket {{.Version}}\n")
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return withCode(ExitUsage, flagValueError(err))
	})
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		// An empty --vault (a variable that was not set, "--vault $DIR")
		// would silently mean the default vault: the wrong one.
		if f := cmd.Flags().Lookup("vault"); f != nil && f.Changed && a.vaultDir == "" {
			return usageError("--vault needs a directory; leave the flag out for the default vault")
		}
		return nil
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.vaultDir, "vault", "", "vault directory (default $LOCKET_VAULT or $XDG_DATA_HOME/locket/vault)")
	pf.StringVar(&a.passphraseFile, "passphrase-file", "", "read the vault passphrase from this file")
	pf.BoolVar(&a.noAgent, "no-agent", false, "open the vault directly, not through its agent (also LOCKET_AGENT=off)")
	pf.BoolVar(&a.acceptRollback, "accept-rollback", false, "open a vault older than this machine has seen it, after restoring a file-level backup on purpose (audited)")
	for _, f := range commands() {
		c := f(a)
		switch {
		case c.HasSubCommands() && !c.Runnable():
			// A group runs to print its help or to name the mistyped
			// subcommand; cobra would print the help for both.
			c.Args = unknownCommand
			c.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
		case c.Args == nil:
			c.Args = noArgs
		}
		root.AddCommand(c)
	}
	a.addCompletions(root)
	// A mistyped command is root's own argument error: exit 2 as well.
	wrapArgs(root)
	return root
}

// flagValueError rewrites pflag's "invalid argument "abc" for "--version"
// flag: strconv.ParseInt: …" as one line a user can act on.
func flagValueError(err error) error {
	var iv *pflag.InvalidValueError
	if !errors.As(err, &iv) {
		return err
	}
	what := "a valid value"
	switch iv.GetFlag().Value.Type() {
	case "int", "int64", "uint", "uint64", "int32":
		what = "a whole number"
	case "bool":
		what = "true or false"
	case "duration":
		what = "a duration such as 20s"
	}
	return fmt.Errorf("--%s: %q is not %s", iv.GetFlag().Name, vault.Sanitize(iv.GetValue()), what)
}

// wrapArgs turns cobra's argument-count errors into usage errors (exit 2),
// for c and its subcommands.
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return withCode(ExitUsage, err)
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}
