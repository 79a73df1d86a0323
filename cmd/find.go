package cmd

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newFindCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "find TEXT...",
		Short: "find secrets by name or tag, fuzzily, as the TUI's filter does",
		Long: `Print the names of the live secrets that match TEXT, best match first, one a
line. Matching is the TUI's filter: each word is a fuzzy match on the name
(pdbpass finds prod/db/password) or a substring of the tags; tag:KEY=VALUE
and status:STATUS words match exactly. Nothing found exits 3.`,
		Example: "  locket find pdbpass\n  locket find aws tag:env=prod\n  locket find status:stale",
		Args:    argRange(1, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := vault.ParseQuery(strings.Join(args, " "))
			return a.withVault(cmd.Context(), readOnly, func(v vault.Service) error {
				live, err := v.List(cmd.Context(), vault.ListOptions{})
				if err != nil {
					return err
				}
				set, err := v.Settings(cmd.Context())
				if err != nil {
					return err
				}
				now := a.now()
				type hit struct {
					name  string
					score int
				}
				var hits []hit
				for i := range live {
					if s := q.Match(&live[i], live[i].Status(now, set)); s >= 0 {
						hits = append(hits, hit{live[i].Name, s})
					}
				}
				if len(hits) == 0 {
					return withCode(ExitNotFound, fmt.Errorf("no secret matches %q", vault.Sanitize(q.Raw)))
				}
				slices.SortStableFunc(hits, func(x, y hit) int { return cmp.Compare(y.score, x.score) })
				for _, h := range hits {
					if _, err := fmt.Fprintln(a.stdout, vault.Sanitize(h.name)); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
}
