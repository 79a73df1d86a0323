package cmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newSnoozeCmd(a *app) *cobra.Command {
	var until, note string
	cmd := &cobra.Command{
		Use:   "snooze NAME --until WHEN --note TEXT",
		Short: "postpone a secret's rotation until a date, saying why",
		Long: `Snooze a stale or due secret: it shows as "snoozed" and check leaves it out,
health warnings included, until the due window before WHEN, when check lists
it again as a snooze about to end. The note says why and goes into the audit
log. Rotating the secret ends the snooze.`,
		Example: "  locket snooze prod/db/password --until 2026-12-01 --note 'migration in progress'\n" +
			"  locket snooze ci/token --until 14d --note 'vendor outage, ticket OPS-12'",
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			if until == "" || strings.TrimSpace(note) == "" {
				return usageError("snooze needs --until WHEN and --note TEXT")
			}
			when, err := a.whenFlag("until", until)
			if err != nil {
				return err
			}
			if !when.After(a.now()) {
				return usageError("--until %s is not in the future", when.Format("2006-01-02 15:04"))
			}
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				if err := v.Tag(cmd.Context(), args[0], vault.Snooze(when, note)); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s snoozed until %s\n", vault.Sanitize(args[0]), when.UTC().Format(time.RFC3339))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&until, "until", "", "end of the snooze (RFC 3339, YYYY-MM-DD or a duration like 14d)")
	cmd.Flags().StringVar(&note, "note", "", "why the rotation waits (recorded in the audit log)")
	return cmd
}
