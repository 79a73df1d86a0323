package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newRollbackCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "rollback NAME VERSION",
		Short: "add a new version whose value is VERSION's",
		Long: `Add a new version holding the value and content type of VERSION; history is
never rewritten. Prints the new version number on stdout.`,
		Example: "  locket rollback prod/db/password 2",
		Args:    exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			n, err := argNumber("VERSION", args[1])
			if err != nil {
				return err
			}
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				ver, err := v.Rollback(cmd.Context(), args[0], n)
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, ver.Number)
				return nil
			})
		},
	}
}
