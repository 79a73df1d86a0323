package cmd

import (
	"bufio"
	"fmt"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newListCmd(a *app) *cobra.Command {
	var (
		tags, statuses []string
		deleted        bool
		asJSON         bool
		namesOnly      bool
		at             string
	)
	cmd := &cobra.Command{
		Use:   "list [PREFIX]",
		Short: "list secrets",
		Long: `List secrets whose names start with PREFIX, with their status. --tag and
--status may be repeated: every tag must match, any one status may.
--deleted lists the trash instead. --names prints only the names, one a
line, for fzf and scripts.`,
		Example: "  locket list prod/\n  locket list --status stale --status due --json\n  locket list --tag owner=ops --deleted\n  locket copy \"$(locket list --names | fzf)\"",
		Args:    argRange(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON && namesOnly {
				return usageError("--json and --names cannot be used together")
			}
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
					return flagError("status", fmt.Errorf("%w: unknown status %q (known: %s)", vault.ErrInvalid, s, vault.StatusNames()))
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
				if namesOnly {
					w := bufio.NewWriterSize(a.stdout, 64<<10)
					for _, s := range secrets {
						w.WriteString(vault.Sanitize(s.Name))
						w.WriteByte('\n')
					}
					return w.Flush()
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
				rows := make([][]string, 0, len(secrets))
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
	f.BoolVar(&namesOnly, "names", false, "print only the names, one a line")
	f.StringVar(&at, "at", "", "compute statuses at WHEN instead of now")
	return cmd
}
