package cmd

import (
	"bufio"
	"fmt"
	"strings"

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
		Args:    exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				if err := v.Delete(cmd.Context(), args[0]); err != nil {
					return err
				}
				set, err := v.Settings(cmd.Context())
				if err != nil {
					return err
				}
				info, err := v.Info(cmd.Context())
				if err != nil {
					return err
				}
				at := set.PurgeAt(info.Now)
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
		Args:    exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
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
	var yes bool
	cmd := &cobra.Command{
		Use:   "purge NAME",
		Short: "destroy a secret in the trash for good",
		Long: `Destroy a secret that is in the trash, with all its versions, for good.
On a terminal it asks first; without one, pass --yes. Under purge protection
a secret can be purged only once its retention period has passed (exit 6).`,
		Example: "  locket purge old/token --yes",
		Args:    exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			name := args[0]
			ask := !yes
			if ask && !isTerminal(a.stdin) {
				return usageError("purge destroys %s for good and there is no terminal to confirm on; pass --yes", vault.Sanitize(name))
			}
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				if ask {
					// Check first, so that the question is not asked in vain.
					s, err := v.Secret(cmd.Context(), name)
					if err != nil {
						return err
					}
					set, err := v.Settings(cmd.Context())
					if err != nil {
						return err
					}
					info, err := v.Info(cmd.Context())
					if err != nil {
						return err
					}
					if err := set.CheckPurge(&s, info.Now); err != nil {
						return err
					}
					fmt.Fprintf(a.stderr, "Purge %s and all %d versions for good? This cannot be undone. [y/N] ", vault.Sanitize(name), len(s.Versions))
					line, _ := bufio.NewReader(a.stdin).ReadString('\n')
					if answer := strings.ToLower(strings.TrimSpace(line)); answer != "y" && answer != "yes" {
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
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}
