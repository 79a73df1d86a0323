package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newEditCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "edit NAME",
		Short: "edit a secret's value in $VISUAL or $EDITOR",
		Long: `Open the current value of NAME (or an empty file for a new secret) in
$VISUAL, else $EDITOR, else vi, and store what is saved as a new version when
it differs. The value is written to a file of mode 0600 in a private
directory of mode 0700, in /dev/shm when there is one so that it never
reaches a disk, and the directory is removed when the editor exits,
whatever happens. A value that had no final newline gets none added by the
editor. An editor that fails (non-zero exit) stores nothing.`,
		Example: "  locket edit prod/app/config\n  EDITOR='code --wait' locket edit prod/app/config",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := checkNames(name); err != nil {
				return err
			}
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				old, _, err := v.Get(cmd.Context(), name, 0, vault.OpEdit)
				if err != nil && !errors.Is(err, vault.ErrNotFound) {
					return err
				}
				defer clear(old)
				edited, err := a.editValue(old)
				defer clear(edited)
				if err != nil {
					return err
				}
				if bytes.Equal(edited, old) {
					fmt.Fprintf(a.stderr, "%s unchanged; no new version\n", vault.Sanitize(name))
					return nil
				}
				if err := vault.ValidateValue(edited); err != nil {
					return err
				}
				ver, err := v.Put(cmd.Context(), name, edited, vault.PutOptions{Note: "edited"})
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(a.stdout, ver.Number)
				return err
			})
		},
	}
}

// editDir is where edit keeps its file: tmpfs when there is one, so that
// the value is never written to a disk.
func editDir() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}

// editValue runs the user's editor on value in a private directory and
// returns what was saved. The directory goes on every path out.
func (a *app) editValue(value []byte) ([]byte, error) {
	dir, err := os.MkdirTemp(editDir(), "locket-edit-")
	if err != nil {
		return nil, fmt.Errorf("edit: %w", err)
	}
	defer os.RemoveAll(dir)
	// MkdirTemp makes 0700; say so rather than rely on it.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("edit: %w", err)
	}
	file := filepath.Join(dir, "value")
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("edit: %w", err)
	}
	_, err = f.Write(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("edit: %w", err)
	}
	// Overwrite before removal: tmpfs pages are freed, but a disk's may not be.
	defer func() {
		if fi, err := os.Stat(file); err == nil {
			_ = os.WriteFile(file, make([]byte, fi.Size()), 0o600)
		}
	}()
	editor := os.Getenv("VISUAL")
	if editor == "" {
		editor = os.Getenv("EDITOR")
	}
	if editor == "" {
		editor = "vi"
	}
	// Through sh, so that EDITOR='code --wait' works as it does for git.
	c := exec.Command("/bin/sh", "-c", editor+` "$1"`, "locket-edit", file)
	c.Stdin, c.Stdout, c.Stderr = a.stdin, a.stdout, a.stderr
	if err := c.Run(); err != nil {
		return nil, fmt.Errorf("the editor failed (%v); nothing was stored", err)
	}
	edited, err := readLimited(file)
	if err != nil {
		return nil, fmt.Errorf("edit: %w", err)
	}
	// Editors end the last line; a value that had no final newline
	// (a token, a password) should not gain one.
	if !bytes.HasSuffix(value, []byte("\n")) && bytes.HasSuffix(edited, []byte("\n")) {
		edited = bytes.TrimSuffix(edited, []byte("\n"))
	}
	return edited, nil
}
