package cmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newSalvageCmd(a *app) *cobra.Command {
	var (
		to     string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "salvage --to NEWDIR",
		Short: "copy what still authenticates out of a damaged vault into a new one",
		Long: `Read the vault (--vault) without writing to it, and copy every record that
still authenticates into a new vault in NEWDIR, with the same passphrase,
key derivation cost and settings. Secrets keep their names, tags, versions
(and version numbers), trash state and history of attributes.

It reports what was saved and what was lost: secrets saved whole, secrets
with missing versions, secrets of which nothing survived (named from the
audit log when their metadata is gone), the settings, whether the audit log's
chain held, and the damaged files. The old audit events that authenticate
are copied too, in order, each noting its number in the old log.

NEWDIR must not exist or be empty. Exit 0 when everything authenticated,
10 when the new vault was written but something was lost, 1 when no vault
could be written (the header is lost, or NEWDIR is taken), 4 for a wrong
passphrase, 5 while another process holds the vault (run locket lock first).
See docs/recovery.md.`,
		Example: "  locket salvage --to ~/vault-salvaged\n  locket salvage --to /tmp/saved --json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return usageError("salvage needs --to NEWDIR, a new or empty directory")
			}
			dir := a.dir()
			if _, err := vault.ReadHeader(dir); err != nil {
				if _, serr := os.Stat(filepath.Join(dir, "db")); serr == nil && (errors.Is(err, vault.ErrNoVault) || errors.Is(err, vault.ErrBadHeader) || errors.Is(err, vault.ErrIntegrity)) {
					return fmt.Errorf("%w (%v)", vault.ErrHeaderLost, err)
				}
				return a.noVault(dir, err)
			}
			pass, err := a.passphrase("Passphrase for " + vault.Sanitize(dir) + ": ")
			if err != nil {
				return err
			}
			defer clear(pass)
			r, err := vault.Salvage(cmd.Context(), dir, to, pass, vault.Options{Now: a.now, Log: debugOutput(a.stderr)})
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(a.stdout, r); err != nil {
					return err
				}
			} else {
				printSalvage(a, r)
			}
			if !r.Complete() {
				return errSilent{code: ExitAttention}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the new vault's directory (must not exist, or be empty)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON document")
	return cmd
}

// printSalvage prints the report: the losses by name, the rest counted.
func printSalvage(a *app, r vault.SalvageReport) {
	w := a.stdout
	whole := 0
	for _, s := range r.Saved {
		if len(s.Missing) == 0 {
			whole++
			continue
		}
		fmt.Fprintf(w, "saved without versions %s: %s\n", joinInts(s.Missing), vault.Sanitize(s.Name))
	}
	for _, l := range r.Lost {
		name := vault.Sanitize(l.Name)
		if name == "" {
			name = "a secret whose name is unknown (id " + l.ID + ")"
		}
		fmt.Fprintf(w, "lost: %s: %s\n", name, l.Reason)
	}
	for _, d := range r.Damaged {
		fmt.Fprintf(w, "damaged: %s\n", vault.Sanitize(d))
	}
	if r.Settings != "kept" {
		fmt.Fprintln(w, "settings: lost; the new vault has the default settings")
	}
	if r.Audit.Intact {
		fmt.Fprintf(w, "audit log: %d events, chain intact\n", r.Audit.Events)
	} else {
		fmt.Fprintf(w, "audit log: %d events survived, chain broken: %s\n", r.Audit.Events, r.Audit.Problem)
	}
	fmt.Fprintf(w, "saved %d secrets (%d whole) into %s; lost %d\n", len(r.Saved), whole, vault.Sanitize(r.Target), len(r.Lost))
	if r.Complete() {
		fmt.Fprintln(w, "everything authenticated")
	} else {
		fmt.Fprintln(w, "some records were lost; restore them from the newest backup if you have one (docs/recovery.md)")
	}
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}
