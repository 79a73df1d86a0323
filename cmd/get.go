package cmd

import (
	"github.com/spf13/cobra"

	"locket/vault"
)

func init() { register(newGetCmd) }

func newGetCmd(a *app) *cobra.Command {
	var version int
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "print a secret's value",
		Long: `Print the value's bytes on stdout exactly as stored: no newline is added.
On a terminal, control characters other than newline and tab are shown as
escapes such as \x1b, so that a value cannot drive the terminal.
A disabled secret's value is refused (exit 6). Every get is audited.`,
		Example: "  locket get prod/db/password\n  locket get prod/db/password --version 2 > old.txt",
		Args:    exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			// 0 stands for the current version inside; a user who writes
			// --version 0 has made a mistake.
			if cmd.Flags().Changed("version") && version < 1 {
				return usageError("--version must be 1 or more")
			}
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				val, _, err := v.Get(cmd.Context(), args[0], version, "get")
				if err != nil {
					return err
				}
				defer clear(val)
				_, err = a.stdout.Write(shownValue(val, isTerminal(a.stdout)))
				return err
			})
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "print this version instead of the current one")
	return cmd
}

// shownValue is what get writes: the exact bytes to a pipe or file, and on
// a terminal the value with its control characters rendered inert (security
// invariant 6), newlines and tabs kept.
func shownValue(val []byte, terminal bool) []byte {
	if !terminal {
		return val
	}
	return []byte(vault.SanitizeMultiline(string(val)))
}
