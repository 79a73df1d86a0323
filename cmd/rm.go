package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"locket/vault"
)

func init() {
	register(newRmCmd)
	register(newRecoverCmd)
	register(newPurgeCmd)
}

func newRmCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME",
		Short: "move a secret to the trash",
		Long: `Move a secret, all its versions and tags to the trash. It can be recovered
until the retention period ends (locket config retention), then it is purged.`,
		Example: "  locket rm old/token",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			return a.withVault(cmd.Context(), readWrite, func(v *vault.Vault) error {
				if err := v.Delete(cmd.Context(), args[0]); err != nil {
					return err
				}
				at := v.Settings().PurgeAt(v.Now())
				fmt.Fprintf(a.stderr, "moved %s to the trash; recover it with 'locket recover' before %s\n", vault.Sanitize(args[0]), humanTime(at))
				return nil
			})
		},
	}
}

func newRecoverCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "recover NAME",
		Short:   "bring a secret back from the trash unchanged",
		Example: "  locket recover old/token",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			return a.withVault(cmd.Context(), readWrite, func(v *vault.Vault) error {
				if err := v.Recover(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "recovered %s\n", vault.Sanitize(args[0]))
				return nil
			})
		},
	}
}

func newPurgeCmd(a *app) *cobra.Command {
	var c confirmation
	cmd := &cobra.Command{
		Use:   "purge NAME",
		Short: "destroy a secret in the trash for good",
		Long: `Destroy a secret that is in the trash, with all its versions, for good.
On a terminal it asks first; without one, pass --yes. Under purge protection
a secret can be purged only once its retention period has passed (exit 6).`,
		Example: "  locket purge old/token --yes",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			name := args[0]
			if err := c.check(a, "purge destroys "+vault.Sanitize(name)+" for good"); err != nil {
				return err
			}
			return a.withVault(cmd.Context(), readWrite, func(v *vault.Vault) error {
				if !c.yes {
					// Check first, so that the question is not asked in vain.
					s, err := v.Secret(cmd.Context(), name)
					if err != nil {
						return err
					}
					if err := v.Settings().CheckPurge(&s, v.Now()); err != nil {
						return err
					}
					if !c.ask(a, fmt.Sprintf("Purge %s and %s for good? This cannot be undone.", vault.Sanitize(name), vault.Plural(len(s.Versions), "version"))) {
						return fmt.Errorf("not purged")
					}
				}
				if err := v.Purge(cmd.Context(), name); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "purged %s for good\n", vault.Sanitize(name))
				return nil
			})
		},
	}
	cmd.Flags().BoolVarP(&c.yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}
