package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"locket/vault"
)

// flagError reports a flag value locket cannot read. Like cobra's own
// typed flags (--version abc), that is a usage error: exit 2. A value that
// reads but breaks a rule (a retention of 3d) is invalid input: exit 1.
func flagError(flag string, err error) error {
	return withCode(ExitUsage, fmt.Errorf("--%s: %w", flag, err))
}

// whenFlag reads the WHEN given to flag; "" stays the zero time.
func (a *app) whenFlag(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := vault.ParseWhen(s, a.now())
	if err != nil {
		return time.Time{}, flagError(flag, err)
	}
	return t, nil
}

// atFlag is the moment --at names, or now.
func (a *app) atFlag(s string) (time.Time, error) {
	if s == "" {
		return a.now().UTC(), nil
	}
	return a.whenFlag("at", s)
}

// lifetimeFlags are a new version's --expires and --not-before (set and
// rotate).
type lifetimeFlags struct{ expires, notBefore string }

func (l *lifetimeFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&l.expires, "expires", "", "when the new version expires (RFC 3339, YYYY-MM-DD or a duration like 90d)")
	f.StringVar(&l.notBefore, "not-before", "", "when the new version becomes valid (WHEN, like --expires)")
}

// parse returns the two times; an unset flag is the zero time.
func (l *lifetimeFlags) parse(a *app) (expires, notBefore time.Time, err error) {
	if expires, err = a.whenFlag("expires", l.expires); err != nil {
		return expires, notBefore, err
	}
	notBefore, err = a.whenFlag("not-before", l.notBefore)
	return expires, notBefore, err
}

// valueSource is where set and rotate take a new value from: --generate,
// --value-file, stdin when it is not a terminal, or the terminal.
type valueSource struct {
	generate, file string
	cmd            *cobra.Command
}

// addFlags declares --generate and --value-file on cmd.
func (vs *valueSource) addFlags(cmd *cobra.Command) {
	vs.cmd = cmd
	f := cmd.Flags()
	f.StringVar(&vs.generate, "generate", "", generateFlagHelp)
	f.Lookup("generate").NoOptDefVal = fmt.Sprintf("length=%d,charset=all", vault.DefaultGenerateLength)
	f.StringVar(&vs.file, "value-file", "", "read the value from this file (bytes kept exactly)")
}

// read returns the value, and whether it was generated.
func (vs *valueSource) read(a *app) (value []byte, generated bool, err error) {
	if !vs.cmd.Flags().Changed("generate") {
		value, err = a.readValue(vs.file)
		if err == nil {
			err = vault.ValidateValue(value)
		}
		return value, false, err
	}
	if vs.file != "" {
		return nil, false, usageError("--generate and --value-file cannot be used together")
	}
	g, err := vault.ParseGenerateSpec(vs.generate)
	if err != nil {
		return nil, false, err
	}
	value, err = vault.Generate(g)
	return value, true, err
}

// store reads the value, then opens the vault and keeps it with put as a
// new version, printing the version number (set and rotate).
func (vs *valueSource) store(ctx context.Context, a *app, put func(v vault.Service, value []byte, generated bool) (vault.Version, error)) error {
	value, generated, err := vs.read(a)
	defer clear(value)
	if err != nil {
		return err
	}
	return a.withVault(ctx, readWrite, func(v vault.Service) error {
		ver, err := put(v, value, generated)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(a.stdout, ver.Number)
		return err
	})
}

// readValue gets a secret's value: from file, else from stdin when it is
// not a terminal (bytes kept exactly, no trimming), else asked twice with
// echo off.
func (a *app) readValue(file string) ([]byte, error) {
	if file != "" {
		b, err := readLimited(file)
		if err != nil {
			return nil, fmt.Errorf("read value file: %w", err)
		}
		return b, nil
	}
	if !isTerminal(a.stdin) {
		b, err := readValueFrom(a.stdin)
		if err != nil {
			return nil, fmt.Errorf("read value from stdin: %w", err)
		}
		return b, nil
	}
	b, err := promptTwice("value")
	if errors.Is(err, errNoPassphrase) {
		return nil, fmt.Errorf("no value: pipe it on stdin, pass --value-file F or --generate")
	}
	return b, err
}

// readLimited reads at most one byte more than a value may hold, so that an
// oversized file is refused without reading all of it.
func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readValueFrom(f)
}

// readValueFrom reads a value, stopping one byte past the limit: an
// oversized input is refused without being held in memory whole.
func readValueFrom(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, vault.MaxValueLen+1))
	if err == nil && len(b) > vault.MaxValueLen {
		clear(b)
		return nil, fmt.Errorf("%w: value is larger than the limit of %d bytes (64 KiB)", vault.ErrInvalid, vault.MaxValueLen)
	}
	return b, err
}

// argNumber reads a positive whole-number argument such as a version.
func argNumber(what, s string) (int, error) {
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || n < 1 || fmt.Sprint(n) != s {
		return 0, usageError("%s must be a whole number from 1, not %q", what, vault.Sanitize(s))
	}
	return n, nil
}

// exactArgs is cobra.ExactArgs with the argument names in the message.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return fmt.Errorf("%s takes %d argument(s): %s (got %d)", cmd.Name(), len(names), strings.Join(names, " "), len(args))
		}
		return nil
	}
}

// checkNames refuses malformed secret names before the vault is unlocked,
// so that a typo costs no key derivation and gets the reason (exit 1), not
// a "not found".
func checkNames(names ...string) error {
	for _, n := range names {
		if err := vault.ValidateName(n); err != nil {
			return err
		}
	}
	return nil
}
