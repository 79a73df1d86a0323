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
A disabled secret's value is refused (exit 6). Every get is audited.`,
		Example: "  locket get prod/db/password\n  locket get prod/db/password --version 2 > old.txt",
		Args:    exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			if version < 0 {
				return usageError("--version must be 1 or more")
			}
			return a.withVault(cmd.Context(), readWrite, func(v *vault.Vault) error {
				val, _, err := v.Get(cmd.Context(), args[0], version, "get")
				if err != nil {
					return err
				}
				defer wipe(val)
				_, err = a.stdout.Write(val)
				return err
			})
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "print this version instead of the current one")
	return cmd
}
