package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"locket/tui/review"
	"locket/vault"
)

func newReviewCmd(a *app) *cobra.Command {
	var ro bool
	c := &cobra.Command{
		Use:   "review",
		Short: "work through the secrets that need attention, one at a time",
		Long: `Open the rotation review on the terminal: the secrets that 'locket check'
reports, most urgent first, with progress. For each one: rotate it now (type
or generate the new value, optionally with a new expiry), snooze it until a
date with a note, change its rotate-every, disable it, or skip it. Every
decision goes into the audit log with its note; a summary closes the session.
In scripts use 'locket check', 'locket rotate' and 'locket snooze' instead.`,
		Example: "  locket review\n  locket review --read-only",
		RunE: func(cmd *cobra.Command, args []string) error {
			if !isTerminal(a.stdin) || !isTerminal(a.stdout) {
				return usageError("the review needs a terminal; in scripts use locket check, rotate and snooze")
			}
			mode := readWrite
			if ro {
				mode = readOnly
			}
			return a.withVault(cmd.Context(), mode, func(v vault.Service) error {
				status, err := review.Run(cmd.Context(), v, review.RunOptions{Now: a.now, ReadOnly: ro, In: a.stdin, Out: a.stdout})
				if err == nil && status != "" {
					fmt.Fprintln(a.stdout, vault.Sanitize(status))
				}
				return err
			})
		},
	}
	c.Flags().BoolVar(&ro, "read-only", false, "show the queue but change nothing")
	return c
}
