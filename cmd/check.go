package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"locket/vault"
)

// checkJSON is one finding of `locket check --json`. The field names are
// stable: scripts and CI jobs read them.
type checkJSON struct {
	Name         string       `json:"name"`
	Status       string       `json:"status"`
	Reason       string       `json:"reason"`
	At           string       `json:"at,omitempty"`
	Version      int          `json:"version"`
	Rotated      string       `json:"rotated"`
	RotateEvery  string       `json:"rotate_every"`
	Expires      string       `json:"expires,omitempty"`
	SnoozedUntil string       `json:"snoozed_until,omitempty"`
	Health       []healthJSON `json:"health"`
}

// backupJSON is check's backup reminder in --json: status "backup", an
// empty name, and when the export became due.
type backupJSON struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Reason string `json:"reason"`
	At     string `json:"at,omitempty"`
}

type healthJSON struct {
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
}

func newCheckCmd(a *app) *cobra.Command {
	var (
		asJSON bool
		at     string
	)
	cmd := &cobra.Command{
		Use:   "check",
		Short: "report secrets that need attention; exit 10 when there are any",
		Long: `Report every secret that needs attention, most urgent first: expired, stale
(older than its rotation interval), due (stale or expiring soon), not yet
valid, snoozed with the snooze about to end, and current values that are
weak, shared by several secrets or equal to their name. It also says when
no backup export of the whole vault was made for longer than the setting
backup-every (7d; "locket config backup-every off" turns that off; a new vault
counts from its creation). The exit status is 10 when anything is reported
and 0 when all is well, so a cron job or CI step can act on it. --at evaluates at another moment ("what is stale next month").`,
		Example: "  locket check\n  locket check --at 30d\n  locket check --json | jq -r '.[].name'",
		RunE: func(cmd *cobra.Command, args []string) error {
			when, err := a.atFlag(at)
			if err != nil {
				return err
			}
			var (
				fs  []vault.Finding
				set vault.Settings
			)
			err = a.withVault(cmd.Context(), readOnly, func(v vault.Service) error {
				if fs, err = v.Check(cmd.Context(), when); err != nil {
					return err
				}
				set, err = v.Settings(cmd.Context())
				return err
			})
			if err != nil {
				return err
			}
			if when.IsZero() {
				when = a.now()
			}
			backupDue := set.BackupReminder(when)
			if asJSON {
				out := make([]any, 0, len(fs)+1)
				for _, f := range fs {
					out = append(out, newCheckJSON(f))
				}
				if backupDue != "" {
					// A finding about the whole vault, not a secret: last,
					// so that the secrets keep their places.
					out = append(out, backupJSON{Status: "backup", Reason: backupDue, At: jsonTime(set.BackupDue())})
				}
				if err := writeJSON(a.stdout, out); err != nil {
					return err
				}
			} else if err := checkHuman(a, fs, backupDue); err != nil {
				return err
			}
			if len(fs) > 0 || backupDue != "" {
				return errSilent{code: ExitAttention}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON array")
	cmd.Flags().StringVar(&at, "at", "", "evaluate at WHEN instead of now (RFC 3339, YYYY-MM-DD or a duration like 30d)")
	return cmd
}

func newCheckJSON(f vault.Finding) checkJSON {
	out := checkJSON{
		Name:         f.Name,
		Status:       string(f.Status),
		Reason:       f.Reason,
		At:           jsonTime(f.At),
		Version:      f.Version,
		Rotated:      jsonTime(f.Rotated),
		RotateEvery:  vault.FormatDuration(f.RotateEvery),
		Expires:      jsonTime(f.Expires),
		SnoozedUntil: jsonTime(f.SnoozedUntil),
		Health:       []healthJSON{},
	}
	for _, h := range f.Health {
		out.Health = append(out.Health, healthJSON{Kind: h.Kind, Reason: h.Reason})
	}
	return out
}

// checkHuman prints one line per finding: status, name and the reasons;
// then the backup reminder, when a backup is due.
func checkHuman(a *app, fs []vault.Finding, backupDue string) error {
	if backupDue != "" {
		defer fmt.Fprintf(a.stdout, "backup: %s; run 'locket backup export FILE'\n", backupDue)
	}
	if len(fs) == 0 {
		fmt.Fprintln(a.stdout, "all secrets are in order")
		return nil
	}
	// The rows share one array of cells: a check can list 100k findings.
	cells := make([]string, 3*len(fs))
	rows := make([][]string, len(fs))
	for i, f := range fs {
		// A finding about health alone has the health reasons as its reason.
		why := f.Reason
		for _, h := range f.Health {
			if !strings.Contains(f.Reason, h.Reason) {
				why += "; " + h.Reason
			}
		}
		row := cells[3*i : 3*i+3 : 3*i+3]
		row[0], row[1], row[2] = string(f.Status), f.Name, why
		rows[i] = row
	}
	if err := table(a.stdout, []string{"STATUS", "NAME", "WHY"}, rows); err != nil {
		return err
	}
	what := fmt.Sprintf("%d secrets need", len(fs))
	if len(fs) == 1 {
		what = "1 secret needs"
	}
	fmt.Fprintf(a.stdout, "%s attention; run 'locket review' to work through them\n", what)
	return nil
}
