package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/adrg/xdg"
	"golang.org/x/term"

	"locket/internal/heaplimit"
	"locket/vault"
)

// errNoPassphrase: no source gave a passphrase and there is no terminal.
var errNoPassphrase = errors.New("no passphrase: no terminal to ask on; set LOCKET_PASSPHRASE_FILE, LOCKET_PASSPHRASE_COMMAND or LOCKET_PASSPHRASE, or pass --passphrase-file")

// dir resolves the vault directory: --vault, LOCKET_VAULT, then the XDG
// data directory.
func (a *app) dir() string {
	if a.vaultDir != "" {
		return a.vaultDir
	}
	if d := os.Getenv("LOCKET_VAULT"); d != "" {
		return d
	}
	xdg.Reload()
	return filepath.Join(xdg.DataHome, "locket", "vault")
}

// passphrase returns the vault passphrase from the first of these sources
// that is set: --passphrase-file, LOCKET_PASSPHRASE_FILE,
// LOCKET_PASSPHRASE_COMMAND, LOCKET_PASSPHRASE, then the terminal.
func (a *app) passphrase(prompt string) ([]byte, error) {
	file := a.passphraseFile
	if file == "" {
		file = a.passEnv["LOCKET_PASSPHRASE_FILE"]
	}
	switch {
	case file != "":
		return readPassphraseFile("passphrase", file)
	case a.passEnv["LOCKET_PASSPHRASE_COMMAND"] != "":
		c := exec.Command("/bin/sh", "-c", a.passEnv["LOCKET_PASSPHRASE_COMMAND"])
		c.Stderr = a.stderr
		out, err := c.Output()
		if err != nil {
			return nil, withCode(ExitUnlock, fmt.Errorf("LOCKET_PASSPHRASE_COMMAND failed: %w", err))
		}
		return trimNewline(out), nil
	case a.passEnv["LOCKET_PASSPHRASE"] != "":
		return []byte(a.passEnv["LOCKET_PASSPHRASE"]), nil
	}
	if a.askPassphrase != nil {
		return a.askPassphrase(prompt)
	}
	return promptSecret(prompt)
}

// unlockAttempts is how often a passphrase typed on the terminal is asked
// again after a wrong one, as gpg, sudo and pass do.
const unlockAttempts = 3

// withPassphrase gets the vault passphrase and runs try with it, clearing
// it afterwards. A passphrase typed on the terminal that try finds wrong
// is asked again, up to unlockAttempts in all; one from a file, a command
// or the environment is not (it would be wrong again), and no terminal
// fails at once. This is the one place that asks for the passphrase of a
// vault being unlocked.
func (a *app) withPassphrase(dir string, try func(pass []byte) error) error {
	typed := !a.passphraseSource()
	for attempt := 1; ; attempt++ {
		pass, err := a.passphrase("Passphrase for " + vault.Sanitize(dir) + ": ")
		if err != nil {
			return err
		}
		err = try(pass)
		clear(pass)
		if !typed || attempt == unlockAttempts || !errors.Is(err, vault.ErrWrongPassphrase) {
			return err
		}
		fmt.Fprintf(a.stderr, "locket: wrong passphrase; try again (%d left)\n", unlockAttempts-attempt)
	}
}

// readPassphraseFile reads a passphrase (what names it) from a file,
// without the line ending an editor adds. A file that cannot be read means
// the vault or backup cannot be unlocked: exit 4, like a failing
// LOCKET_PASSPHRASE_COMMAND.
func readPassphraseFile(what, name string) ([]byte, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, withCode(ExitUnlock, fmt.Errorf("read %s file: %w", what, err))
	}
	return trimNewline(b), nil
}

// trimNewline drops one trailing line ending, as files and commands add.
func trimNewline(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// promptSecret asks on the controlling terminal with echo off. It uses
// /dev/tty rather than stdin, which may carry a value being stored.
func promptSecret(prompt string) ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, errNoPassphrase
	}
	defer tty.Close()
	if !term.IsTerminal(int(tty.Fd())) {
		return nil, errNoPassphrase
	}
	fmt.Fprint(tty, prompt)
	b, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return nil, fmt.Errorf("read from terminal: %w", err)
	}
	return b, nil
}

// promptTwice asks for a new secret twice and insists they match.
func promptTwice(what string) ([]byte, error) {
	first, err := promptSecret("New " + what + ": ")
	if err != nil {
		return nil, err
	}
	second, err := promptSecret("Repeat " + what + ": ")
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(first, second) {
		return nil, fmt.Errorf("the two %ss differ", what)
	}
	if len(first) == 0 {
		return nil, fmt.Errorf("empty %s", what)
	}
	return first, nil
}

// newPassphrase is the passphrase for a vault being created: from the
// usual sources when one is set, else asked twice on the terminal.
func (a *app) newPassphrase() ([]byte, error) {
	if a.passphraseFile != "" || a.passEnv["LOCKET_PASSPHRASE_FILE"] != "" ||
		a.passEnv["LOCKET_PASSPHRASE_COMMAND"] != "" || a.passEnv["LOCKET_PASSPHRASE"] != "" {
		pass, err := a.passphrase("")
		if err == nil {
			// A script's choice: say so, but do not stop it.
			if score, word := vault.PassphraseStrength(pass); score >= 0 && score < vault.VeryWeakPassphrase {
				fmt.Fprintf(a.stderr, "locket: warning: the new passphrase is %s; anyone who guesses it opens the vault\n", word)
			}
		}
		return pass, err
	}
	for {
		pass, err := promptTwice("passphrase")
		if err != nil {
			return nil, err
		}
		score, word := vault.PassphraseStrength(pass)
		if score >= vault.VeryWeakPassphrase || confirmOnTTY("This passphrase is "+word+"; anyone who guesses it opens the vault. Use it anyway? [y/N] ") {
			return pass, nil
		}
		clear(pass)
	}
}

// confirmOnTTY asks a yes/no question on the terminal the passphrase was
// typed on. It reads a byte at a time: a buffered reader would swallow
// what is typed next.
func confirmOnTTY(question string) bool {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer tty.Close()
	fmt.Fprint(tty, question)
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := tty.Read(b)
		if n == 0 || err != nil || b[0] == '\n' {
			break
		}
		line = append(line, b[0])
	}
	answer := strings.ToLower(strings.TrimSpace(string(line)))
	return answer == "y" || answer == "yes"
}

// access says how a command uses the vault.
type access int

const (
	readOnly  access = iota // metadata only: a shared lock
	readWrite               // changes, or hands out values (audited)
	inspect                 // verify: read-only, reporting damage rather than refusing
)

// open unlocks the vault for a command: this is the one place that
// chooses between the vault's agent and opening the vault in this process
// (docs/agent.md says when which).
func (a *app) open(ctx context.Context, mode access) (vault.Service, error) {
	var pass []byte
	if a.readOnlyDir() && mode == readWrite {
		// A mounted backup or a read-only bind: every read works through
		// Badger's read-only open (no pid file, reads not audited, as
		// with ui --read-only), and a write fails with "read-only".
		mode = readOnly
	}
	if a.agentAllowed() {
		svc, p, err := a.openAgent(ctx)
		if svc != nil || err != nil {
			return svc, err
		}
		pass = p
	}
	dir := a.dir()
	if _, err := vault.ReadHeader(dir); err != nil {
		return nil, a.noVault(dir, err)
	}
	// Accepting a rollback is audited, which takes a writable open.
	ro := mode != readWrite && !a.acceptRollback
	openWith := func(pass []byte) (*vault.Vault, error) {
		v, err := vault.Open(ctx, dir, pass, vault.Options{ReadOnly: ro, Inspect: ro && mode == inspect, Now: a.now, AcceptRollback: a.acceptRollback, Log: debugOutput(a.stderr),
			LimitHeap: heaplimit.ForImports})
		if err == nil {
			// A sensitive call of this command takes it rather than ask
			// again (reauth.go).
			a.rememberPassphrase(pass)
		}
		return v, err
	}
	if pass != nil {
		defer clear(pass)
		return openWith(pass)
	}
	var v *vault.Vault
	err := a.withPassphrase(dir, func(pass []byte) error {
		var err error
		v, err = openWith(pass)
		return err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// readOnlyDir reports whether the vault directory cannot be written: a
// read-only file system or a directory without write permission.
func (a *app) readOnlyDir() bool {
	dir := a.dir()
	if a.writable != nil {
		return !a.writable(dir)
	}
	return dirNotWritable(dir)
}

// debugOutput is where a command sends the store's diagnostics: stderr
// when LOCKET_DEBUG is set, else nowhere. The TUI logs to LOCKET_LOG.
func debugOutput(stderr io.Writer) io.Writer {
	if os.Getenv("LOCKET_DEBUG") == "" {
		return nil
	}
	return stderr
}

// withVault opens the vault, runs fn and closes it, keeping fn's error.
func (a *app) withVault(ctx context.Context, mode access, fn func(vault.Service) error) error {
	v, err := a.open(ctx, mode)
	if err != nil {
		return err
	}
	err = withSuggestions(ctx, v, fn(v))
	a.forgetPassphrase()
	if cerr := v.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close vault: %w", cerr)
	}
	return err
}

// isTerminal reports whether stream (stdin or stdout) is an interactive
// terminal.
func isTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// withSuggestions adds the nearest names to a "no secret" error: a typo
// in a long name is easier to see beside the name that was meant.
func withSuggestions(ctx context.Context, v vault.Service, err error) error {
	var nf *vault.NotFoundError
	if !errors.As(err, &nf) {
		return err
	}
	live, lerr := v.List(ctx, vault.ListOptions{})
	if lerr != nil {
		return err
	}
	names := make([]string, len(live))
	for i := range live {
		names[i] = live[i].Name
	}
	s := vault.Suggest(nf.Name, names)
	// A name typed without its leading folders (db/password for
	// prod/db/password) is as likely as a typo.
	for _, n := range names {
		if len(s) < 5 && strings.HasSuffix(n, "/"+nf.Name) && !slices.Contains(s, n) {
			s = append(s, n)
		}
	}
	if len(s) > 0 {
		return fmt.Errorf("%w; did you mean %s?", err, strings.Join(s, ", "))
	}
	return err
}
