package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newRmCmd(a *app) *cobra.Command {
	var (
		recursive bool
		c         confirmation
	)
	cmd := &cobra.Command{
		Use:   "rm NAME",
		Short: "move a secret, or with -r every secret under a prefix, to the trash",
		Long: `Move a secret, all its versions and tags to the trash. It can be recovered
until the retention period ends (locket config retention), then it is purged.
With -r, NAME is a prefix and every secret under it goes to the trash, after
a confirmation on the terminal (--yes for scripts).`,
		Example: "  locket rm old/token\n  locket rm -r old/project --yes",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if recursive {
				return a.underPrefix(cmd.Context(), args[0], c, "Move %s under %s to the trash?", func(v vault.Service, name string) error {
					return v.Delete(cmd.Context(), name)
				})
			}
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
	cmd.Flags().BoolVarP(&recursive, "recursive", "r", false, "NAME is a prefix: every secret under it")
	cmd.Flags().BoolVarP(&c.yes, "yes", "y", false, "with -r: do not ask for confirmation")
	return cmd
}

// underPrefix applies fn to every live secret under prefix (a folder:
// a/b takes a/b/c, not a/bc), after asking question, which is given the
// count and the prefix. It reports each name on stderr as it goes; the
// secrets before a failure stay changed, and the error names the one that
// failed.
func (a *app) underPrefix(ctx context.Context, prefix string, c confirmation, question string, fn func(v vault.Service, name string) error) error {
	if strings.Trim(prefix, "/") == "" {
		return usageError("-r needs a prefix; it does not take the whole vault")
	}
	if err := vault.ValidatePrefix(prefix); err != nil {
		return err
	}
	prefix = strings.TrimSuffix(prefix, "/") + "/"
	shown := vault.Sanitize(prefix)
	if err := c.check(a, "this changes every secret under "+shown); err != nil {
		return err
	}
	return a.withVault(ctx, readWrite, func(v vault.Service) error {
		live, err := v.List(ctx, vault.ListOptions{Prefix: prefix})
		if err != nil {
			return err
		}
		if len(live) == 0 {
			return withCode(ExitNotFound, fmt.Errorf("%w: no secrets under %s", vault.ErrNotFound, shown))
		}
		if !c.yes {
			for _, s := range live {
				fmt.Fprintf(a.stderr, "  %s\n", vault.Sanitize(s.Name))
			}
		}
		if !c.ask(a, fmt.Sprintf(question, vault.Plural(len(live), "secret"), shown)) {
			return fmt.Errorf("nothing changed")
		}
		for _, s := range live {
			if err := fn(v, s.Name); err != nil {
				return fmt.Errorf("%s: %w", vault.Sanitize(s.Name), err)
			}
		}
		fmt.Fprintf(a.stderr, "done: %s under %s\n", vault.Plural(len(live), "secret"), shown)
		return nil
	})
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
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				if !c.yes {
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
