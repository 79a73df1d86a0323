package cmd

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"locket/vault"
)

// eventJSON is an audit event in --json output.
type eventJSON struct {
	Seq     uint64 `json:"seq"`
	Time    string `json:"time"`
	Op      string `json:"op"`
	Secret  string `json:"secret,omitempty"`
	Version int    `json:"version,omitempty"`
	Actor   string `json:"actor"`
	Outcome string `json:"outcome"`
	Note    string `json:"note,omitempty"`
	// Client is the process an agent served: pid and command line.
	Client *vault.Client `json:"client,omitempty"`
	// To is who a value was handed to by run, inject or git-credential.
	To string `json:"to,omitempty"`
}

func newAuditCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "audit [NAME]",
		Short: "show the audit log, or only one secret's events",
		Long: `Show the audit log, oldest first: time, operation, secret, version, actor,
outcome and note; never a value. With NAME, only that secret's events, across
renames. 'locket audit verify' checks the hash chain.`,
		Example: "  locket audit\n  locket audit prod/db/password --json\n  locket audit verify",
		Args:    argRange(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := ""
			if len(args) == 1 {
				name = args[0]
				if err := checkNames(name); err != nil {
					return err
				}
			}
			return a.withVault(cmd.Context(), readOnly, func(v vault.Service) error {
				events, err := v.Audit(cmd.Context(), name)
				if err != nil {
					return err
				}
				if asJSON {
					out := make([]eventJSON, 0, len(events))
					for _, e := range events {
						out = append(out, eventJSON{e.Seq, jsonTime(e.Time), string(e.Op), e.Secret, e.Version, e.Actor, e.Outcome, e.Note, e.Client, e.To})
					}
					return writeJSON(a.stdout, out)
				}
				var rows [][]string
				for _, e := range events {
					ver := "-"
					if e.Version > 0 {
						ver = strconv.Itoa(e.Version)
					}
					rows = append(rows, []string{strconv.FormatUint(e.Seq, 10), e.Time.UTC().Format("2006-01-02 15:04:05"), string(e.Op), orDash(e.Secret), ver, e.Actor, e.Outcome, auditNote(e)})
				}
				return table(a.stdout, []string{"SEQ", "TIME", "OP", "SECRET", "VERSION", "ACTOR", "OUTCOME", "NOTE"}, rows)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array, oldest first")
	cmd.AddCommand(&cobra.Command{
		Use:   "verify",
		Short: "check the audit log's hash chain",
		Long:  "Check that no audit event was removed, reordered or edited. Prints the number of events checked; exit 1 with the reason when the chain is broken.",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withVault(cmd.Context(), readOnly, func(v vault.Service) error {
				n, err := v.VerifyAudit(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "audit log ok: %d events checked\n", n)
				return nil
			})
		},
	})
	return cmd
}

// auditNote is the note column: the note, and who a value went to.
func auditNote(e vault.Event) string {
	if e.To == "" {
		return e.Note
	}
	return strings.TrimSpace(e.Note + " to " + e.To)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
