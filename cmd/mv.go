package cmd

import (
	"github.com/spf13/cobra"

	"locket/vault"
)

func init() { register(newMvCmd) }

func newMvCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "mv OLD NEW",
		Short:   "rename a secret; history, tags and audit trail follow",
		Example: "  locket mv dev/token prod/token",
		Args:    exactArgs("OLD", "NEW"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args...); err != nil {
				return err
			}
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				return v.Rename(cmd.Context(), args[0], args[1])
			})
		},
	}
}
