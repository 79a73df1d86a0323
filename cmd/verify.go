package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newVerifyCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "check every record, the state commitment and the audit chain",
		Long: `Check the whole vault: that every record is authentic and in its place, that
each secret's records agree (its name reaches it, every version has its value),
that the records are the set the state commitment holds (nothing added, removed,
rolled back or mixed in from another copy), and the audit log's hash chain.
Prints what it checked; exit 1 listing each problem when anything is wrong.
Never prints a value.`,
		Example: "  locket verify\n  locket verify --json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withVault(cmd.Context(), inspect, func(v vault.Service) error {
				r, err := v.Verify(cmd.Context())
				if asJSON {
					if r.Problems == nil {
						r.Problems = []string{}
					}
					if jerr := writeJSON(a.stdout, r); jerr != nil {
						return jerr
					}
				} else {
					for _, p := range r.Problems {
						fmt.Fprintf(a.stdout, "problem: %s\n", vault.Sanitize(p))
					}
				}
				if err != nil {
					return err
				}
				if !asJSON {
					fmt.Fprintf(a.stdout, "vault ok: %d records, %d secrets, %d audit events, state %d\n", r.Records, r.Secrets, r.Events, r.State)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON document")
	return cmd
}
