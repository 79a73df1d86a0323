package cmd

import (
	"strconv"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newHistoryCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "history NAME",
		Short:   "list a secret's versions, newest first, without values",
		Example: "  locket history prod/db/password\n  locket history prod/db/password --json",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			return a.withVault(cmd.Context(), readOnly, func(v vault.Service) error {
				s, err := v.Secret(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				versions := newestFirst(s)
				if asJSON {
					out := make([]versionJSON, 0, len(versions))
					for i, ver := range versions {
						out = append(out, newVersionJSON(ver, i == 0))
					}
					return writeJSON(a.stdout, out)
				}
				var rows [][]string
				for i, ver := range versions {
					n := strconv.Itoa(ver.Number)
					if i == 0 {
						n += "*"
					}
					rows = append(rows, []string{n, humanTime(ver.Created), ver.Actor, orDash(ver.ContentType), strconv.Itoa(ver.Size), humanTime(ver.Expires), humanTime(ver.NotBefore)})
				}
				return table(a.stdout, []string{"VERSION", "CREATED", "ACTOR", "CONTENT TYPE", "SIZE", "EXPIRES", "NOT BEFORE"}, rows)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array, newest first")
	return cmd
}
