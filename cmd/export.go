package cmd

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"locket/backup"
	"locket/vault"
)

func newExportCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "write secrets in plain text for other tools",
	}
	cmd.AddCommand(newExportDotenvCmd(a))
	return cmd
}

func newExportDotenvCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "dotenv PREFIX FILE",
		Short: "write the current values under PREFIX as a .env file (plain text)",
		Long: `Write the current value of every live, enabled secret under PREFIX to FILE as
KEY=VALUE lines, KEY being the rest of the name with every character a
variable cannot hold turned into "_" (PREFIX/db/password -> db_password).
Values are quoted when needed so that 'locket import dotenv' reads them
back exactly, and so that a shell's 'set -a; source FILE' gives every value
back exactly, multi-line ones included. FILE is written with mode 0600 and
is NOT encrypted; FILE - writes to stdout, without the warning. Disabled secrets, values a .env file cannot hold and
clashing keys are listed on stderr and left out.`,
		Example: "  locket export dotenv myapp/dev .env\n  (set -a; source <(locket export dotenv myapp/dev -); ./server)",
		Args:    exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			prefix, path := args[0], args[1]
			if err := vault.ValidatePrefix(prefix); err != nil {
				return err
			}
			// PREFIX names a folder: myapp/dev does not take myapp/devops.
			prefix = strings.TrimSuffix(prefix, "/") + "/"
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				// Nothing to export is an error that leaves no file and no
				// audit event behind.
				live, err := v.List(cmd.Context(), vault.ListOptions{Prefix: prefix})
				if err != nil {
					return err
				}
				if !slices.ContainsFunc(live, func(s vault.Secret) bool { return s.Enabled }) {
					return withCode(ExitNotFound, fmt.Errorf("no enabled secrets under %s; nothing was written", vault.Sanitize(prefix)))
				}
				secrets, _, err := v.Snapshot(cmd.Context(), vault.SnapshotOptions{Prefix: prefix, Note: "dotenv " + path})
				if err != nil {
					return err
				}
				var n int
				var skipped []backup.Skipped
				err = a.writeFile(path, func(w io.Writer) error {
					n, skipped, err = backup.ExportDotenv(w, secrets, prefix)
					return err
				})
				if err != nil {
					return err
				}
				for _, s := range skipped {
					fmt.Fprintf(a.stderr, "locket: left out %s: %s\n", vault.Sanitize(s.Source), vault.Sanitize(s.Reason))
				}
				if path != "-" {
					// Standard output goes where the user sent it; only a
					// file is left lying around.
					fmt.Fprintf(a.stderr, "locket: warning: wrote %s in plain text to %s; delete it when done\n", vault.Plural(n, "secret"), vault.Sanitize(path))
				}
				return nil
			})
		},
	}
}
