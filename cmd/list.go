package cmd

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"locket/vault"
)

func init() { register(newListCmd) }

func newListCmd(a *app) *cobra.Command {
	var (
		tags, statuses []string
		deleted        bool
		asJSON         bool
		at             string
	)
	cmd := &cobra.Command{
		Use:   "list [PREFIX]",
		Short: "list secrets",
		Long: `List secrets whose names start with PREFIX, with their status. --tag and
--status may be repeated: every tag must match, any one status may.
--deleted lists the trash instead.`,
		Example: "  locket list prod/\n  locket list --status stale --status due --json\n  locket list --tag owner=ops --deleted",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := vault.ListOptions{Deleted: deleted}
			if len(args) == 1 {
				o.Prefix = args[0]
			}
			var err error
			if o.At, err = a.atFlag(at); err != nil {
				return err
			}
			if o.Tags, err = vault.ParseTags(tags); err != nil {
				return err
			}
			for _, s := range statuses {
				if !slices.Contains(vault.Statuses, vault.Status(s)) {
					return flagError("status", fmt.Errorf("%w: unknown status %q (known: %v)", vault.ErrInvalid, s, vault.Statuses))
				}
				o.Statuses = append(o.Statuses, vault.Status(s))
			}
			return a.withVault(cmd.Context(), readOnly, func(v vault.Service) error {
				secrets, err := v.List(cmd.Context(), o)
				if err != nil {
					return err
				}
				set, err := v.Settings(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					out := make([]secretJSON, 0, len(secrets))
					for _, s := range secrets {
						out = append(out, newSecretJSON(s, o.At, set))
					}
					return writeJSON(a.stdout, out)
				}
				if len(secrets) == 0 {
					return nil
				}
				if deleted {
					var rows [][]string
					for _, s := range secrets {
						rows = append(rows, []string{s.Name, humanTime(s.Deleted), humanTime(set.PurgeAt(s.Deleted)), formatTags(s.Tags)})
					}
					return table(a.stdout, []string{"NAME", "DELETED", "PURGE AT", "TAGS"}, rows)
				}
				var rows [][]string
				for _, s := range secrets {
					cur := s.Current()
					rows = append(rows, []string{s.Name, string(s.Status(o.At, set)), strconv.Itoa(cur.Number), humanTime(cur.Created), formatTags(s.Tags)})
				}
				return table(a.stdout, []string{"NAME", "STATUS", "VERSION", "CHANGED", "TAGS"}, rows)
			})
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&tags, "tag", nil, "only secrets with tag key=value (repeat: all must match)")
	f.StringArrayVar(&statuses, "status", nil, "only secrets with this status (repeat: any may match)")
	f.BoolVar(&deleted, "deleted", false, "list the trash")
	f.BoolVar(&asJSON, "json", false, "print a JSON array")
	f.StringVar(&at, "at", "", "compute statuses at WHEN instead of now")
	return cmd
}
