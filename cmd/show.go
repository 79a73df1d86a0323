package cmd

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newShowCmd(a *app) *cobra.Command {
	var (
		asJSON bool
		at     string
	)
	cmd := &cobra.Command{
		Use:     "show NAME",
		Short:   "show a secret's metadata and status, never its value",
		Example: "  locket show prod/db/password\n  locket show prod/db/password --json --at 30d",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			when, err := a.atFlag(at)
			if err != nil {
				return err
			}
			return a.withVault(cmd.Context(), readOnly, func(v vault.Service) error {
				s, err := v.Secret(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				set, err := v.Settings(cmd.Context())
				if err != nil {
					return err
				}
				out := newSecretJSON(s, when, set)
				for i, ver := range newestFirst(s) {
					out.Versions = append(out.Versions, newVersionJSON(ver, i == 0))
				}
				if asJSON {
					return writeJSON(a.stdout, out)
				}
				return showHuman(a, s, out)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().StringVar(&at, "at", "", "compute the status at WHEN instead of now")
	return cmd
}

func showHuman(a *app, s vault.Secret, out secretJSON) error {
	kv := [][2]string{
		{"name", out.Name},
		{"status", out.Status},
		{"enabled", strconv.FormatBool(out.Enabled)},
		{"version", fmt.Sprintf("%d (of %d kept)", out.Version, len(s.Versions))},
		{"content type", orDash(out.ContentType)},
		{"created", out.Created},
		{"updated", out.Updated},
		{"expires", orDash(out.Expires)},
		{"not before", orDash(out.NotBefore)},
		{"rotate every", out.RotateEvery},
		{"stale at", out.StaleAt},
		{"tags", orDash(formatTags(out.Tags))},
	}
	if s.InTrash() {
		kv = append(kv, [2]string{"deleted", out.Deleted}, [2]string{"purge at", out.PurgeAt})
	}
	return fields(a.stdout, kv)
}
