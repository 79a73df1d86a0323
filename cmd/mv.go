package cmd

import (
	"strings"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newMvCmd(a *app) *cobra.Command {
	var (
		recursive bool
		c         confirmation
	)
	cmd := &cobra.Command{
		Use:   "mv OLD NEW",
		Short: "rename a secret, or with -r every secret under a prefix; history, tags and audit trail follow",
		Long: `Rename a secret; its history, tags and audit trail follow it. With -r, OLD
and NEW are prefixes: OLD/x becomes NEW/x for every secret under OLD, after
a confirmation on the terminal (--yes for scripts).`,
		Example: "  locket mv dev/token prod/token\n  locket mv -r team-a team-b --yes",
		Args:    exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if recursive {
				if err := vault.ValidatePrefix(args[1]); err != nil {
					return err
				}
				from := strings.TrimSuffix(args[0], "/") + "/"
				to := strings.TrimSuffix(args[1], "/") + "/"
				return a.underPrefix(cmd.Context(), args[0], c, "Move %s under %s to "+vault.Sanitize(to)+"?", func(v vault.Service, name string) error {
					return v.Rename(cmd.Context(), name, to+strings.TrimPrefix(name, from))
				})
			}
			if err := checkNames(args...); err != nil {
				return err
			}
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				return v.Rename(cmd.Context(), args[0], args[1])
			})
		},
	}
	cmd.Flags().BoolVarP(&recursive, "recursive", "r", false, "OLD and NEW are prefixes: move every secret under OLD")
	cmd.Flags().BoolVarP(&c.yes, "yes", "y", false, "with -r: do not ask for confirmation")
	return cmd
}
