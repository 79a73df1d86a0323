package cmd

import (
	"strings"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newGetCmd(a *app) *cobra.Command {
	var version, line int
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "print a secret's value",
		Long: `Print the value's bytes on stdout exactly as stored when stdout is a pipe or
a file. On a terminal a newline is added after a value that lacks one, and
control characters other than newline and tab are shown as escapes such as
\x1b, so that a value cannot drive the terminal. --line N prints only line N
(from 1), as pass does for the password on an entry's first line.
A disabled secret's value is refused (exit 6). Every get is audited.`,
		Example: "  locket get prod/db/password\n  locket get prod/db/password --version 2 > old.txt\n  locket get web/example.com --line 1",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			// 0 stands for the current version inside; a user who writes
			// --version 0 has made a mistake.
			if cmd.Flags().Changed("version") && version < 1 {
				return usageError("--version must be 1 or more")
			}
			if err := checkLine(cmd, line); err != nil {
				return err
			}
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				val, _, err := v.Get(cmd.Context(), args[0], version, "get")
				if err != nil {
					return err
				}
				defer clear(val)
				if line > 0 {
					if val, err = vault.Line(val, line); err != nil {
						return err
					}
				}
				_, err = a.stdout.Write(shownValue(val, isTerminal(a.stdout)))
				return err
			})
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "print this version instead of the current one")
	addLineFlag(cmd, &line)
	return cmd
}

// shownValue is what get writes: the exact bytes to a pipe or file, and on
// a terminal the value with its control characters rendered inert (security
// invariant 6), newlines and tabs kept, and a final newline so that the
// prompt does not follow the value on its line.
func shownValue(val []byte, terminal bool) []byte {
	if !terminal {
		return val
	}
	s := vault.SanitizeMultiline(string(val))
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return []byte(s)
}

// addLineFlag declares --line on get and copy.
func addLineFlag(cmd *cobra.Command, line *int) {
	cmd.Flags().IntVar(line, "line", 0, "only this line of the value (from 1; pass keeps the password on line 1)")
}

// checkLine refuses --line 0 or less before the vault is unlocked.
func checkLine(cmd *cobra.Command, line int) error {
	if cmd.Flags().Changed("line") && line < 1 {
		return usageError("--line must be 1 or more")
	}
	return nil
}
