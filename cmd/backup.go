package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"filippo.io/age"
	"github.com/adrg/xdg"
	"github.com/spf13/cobra"

	"locket/backup"
	"locket/vault"
)

func newBackupCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "encrypted backups: export, import, verify",
		Long: `A backup is an age file (https://age-encryption.org) holding one JSON
document with the vault settings and the chosen secrets, every version,
tags and trash state. It is encrypted to a passphrase or to recipients
(age X25519 keys, SSH ed25519 or RSA public keys), so that a team can each
open the same file with their own key, and 'age -d' alone can read it in
an emergency.`,
	}
	cmd.AddCommand(newBackupExportCmd(a), newBackupImportCmd(a), newBackupVerifyCmd(a))
	return cmd
}

// errNoBackupPassphrase: no backup passphrase source and no terminal.
var errNoBackupPassphrase = withCode(ExitUnlock, errors.New("no backup passphrase: no terminal to ask on; pass --backup-passphrase-file F or set LOCKET_BACKUP_PASSPHRASE_FILE"))

// backupPassphrase reads the backup passphrase: --backup-passphrase-file,
// LOCKET_BACKUP_PASSPHRASE_FILE, else the terminal (twice when creating).
func backupPassphrase(file string, twice bool) ([]byte, error) {
	if file == "" {
		file = os.Getenv("LOCKET_BACKUP_PASSPHRASE_FILE")
	}
	if file != "" {
		b, err := readPassphraseFile("backup passphrase", file)
		if err != nil {
			return nil, err
		}
		if len(b) == 0 {
			return nil, fmt.Errorf("backup passphrase file %s is empty", file)
		}
		return b, nil
	}
	var b []byte
	var err error
	if twice {
		b, err = promptTwice("backup passphrase")
	} else {
		b, err = promptSecret("Backup passphrase: ")
	}
	if errors.Is(err, errNoPassphrase) {
		return nil, errNoBackupPassphrase
	}
	return b, err
}

func newBackupExportCmd(a *app) *cobra.Command {
	var (
		usePass    bool
		recipients []string
		recFile    string
		passFile   string
		prefix     string
		tags       []string
		armored    bool
	)
	cmd := &cobra.Command{
		Use:   "export FILE",
		Short: "write an encrypted backup",
		Long: `Write the secrets (all, or those under --prefix carrying every --tag) with
all their versions, tags and trash state, and the vault settings, to FILE
as an age file. The file is written under a temporary name with mode 0600
and renamed into place only when complete. FILE - writes to stdout.

Without --recipient or --recipients-file the backup is encrypted to a
passphrase, read from --backup-passphrase-file or
LOCKET_BACKUP_PASSPHRASE_FILE, else asked twice on the terminal.
A recipient is an age public key (age1...) or an SSH public key line
(ssh-ed25519 or ssh-rsa); a recipients file holds one per line, with #
comments.`,
		Example: `  locket backup export ~/backups/locket.age
  locket backup export team.age --prefix shared/ --recipients-file team.recipients
  locket backup export - --recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p --armor`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			if usePass && (len(recipients) > 0 || recFile != "") {
				return usageError("--passphrase and --recipient/--recipients-file exclude each other")
			}
			if err := vault.ValidatePrefix(prefix); err != nil {
				return err
			}
			tagSet, err := vault.ParseTags(tags)
			if err != nil {
				return err
			}
			var recs []age.Recipient
			for _, r := range recipients {
				rec, err := backup.ParseRecipient(r)
				if err != nil {
					return fmt.Errorf("--recipient %s: %w", shorten(r), err)
				}
				recs = append(recs, rec)
			}
			if recFile != "" {
				rs, err := backup.ReadRecipientsFile(recFile)
				if err != nil {
					return err
				}
				recs = append(recs, rs...)
			}
			to := vault.Plural(len(recs), "recipient")
			if len(recs) == 0 {
				pass, err := backupPassphrase(passFile, true)
				if err != nil {
					return err
				}
				r, err := backup.PassphraseRecipient(pass)
				clear(pass)
				if err != nil {
					return err
				}
				if sr, ok := r.(*age.ScryptRecipient); ok && a.backupWorkFactor > 0 {
					sr.SetWorkFactor(a.backupWorkFactor)
				}
				recs, to = []age.Recipient{r}, "a passphrase"
			}
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				o := backup.ExportOptions{Prefix: prefix, Tags: tagSet, Recipients: recs, Armor: armored, Note: backup.ExportNote(path)}
				// The whole vault in one file asks for the passphrase again.
				if prefix == "" && len(tagSet) == 0 {
					current, err := a.currentPassphrase()
					if err != nil {
						return err
					}
					defer clear(current)
					o.Passphrase = current
				}
				var res backup.ExportResult
				err := a.writeFile(path, func(w io.Writer) error {
					var err error
					res, err = backup.Export(cmd.Context(), v, w, o)
					return err
				})
				if errors.Is(err, backup.ErrNoSecrets) {
					return withCode(ExitNotFound, err)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "exported %s (%s) to %s, encrypted to %s\n", vault.Plural(res.Secrets, "secret"), vault.Plural(res.Versions, "version"), vault.Sanitize(path), to)
				// The file is written: a failure to record it is a warning.
				if err := backup.Exported(cmd.Context(), v, o); err != nil {
					fmt.Fprintf(a.stderr, "locket: warning: %s\n", vault.Sanitize(err.Error()))
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&usePass, "passphrase", false, "encrypt to a passphrase (the default without recipients)")
	f.StringArrayVarP(&recipients, "recipient", "r", nil, "encrypt to this age or SSH public key (repeatable)")
	f.StringVarP(&recFile, "recipients-file", "R", "", "encrypt to the recipients listed in this file")
	f.StringVar(&passFile, "backup-passphrase-file", "", "read the backup passphrase from this file")
	f.StringVar(&prefix, "prefix", "", "export only secrets whose names start with this")
	f.StringArrayVar(&tags, "tag", nil, "export only secrets with this tag k=v (repeatable)")
	f.BoolVarP(&armored, "armor", "a", false, "write ASCII armor (PEM-like text) instead of binary")
	return cmd
}

// shorten keeps a possibly long argument readable in an error.
func shorten(s string) string {
	if len(s) > 24 {
		return s[:20] + "..."
	}
	return s
}

// writeFile writes path whole or not at all (see backup.WriteFile); "-"
// writes to stdout.
func (a *app) writeFile(path string, fn func(io.Writer) error) error {
	if path == "-" {
		return fn(a.stdout)
	}
	return backup.WriteFile(path, fn)
}

// importFlags are the flags every import shares.
type importFlags struct {
	dryRun     bool
	onConflict conflictFlag
	asJSON     bool
}

func (f *importFlags) add(cmd *cobra.Command) {
	f.onConflict = conflictFlag(vault.ConflictNewVersion)
	cmd.Flags().BoolVarP(&f.dryRun, "dry-run", "n", false, "show the plan and change nothing")
	cmd.Flags().Var(&f.onConflict, "on-conflict", "when a secret differs in the vault: new-version, skip or fail")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the plan as JSON")
}

// conflictFlag is --on-conflict, checked when the flag is parsed: a bad
// value is a usage error before any file is read or decrypted.
type conflictFlag vault.OnConflict

func (c *conflictFlag) String() string { return string(*c) }
func (c *conflictFlag) Type() string   { return "policy" }
func (c *conflictFlag) Set(s string) error {
	policy, err := vault.ParseOnConflict(s)
	if err != nil {
		return errors.New("must be new-version, skip or fail") // cobra names the flag and value
	}
	*c = conflictFlag(policy)
	return nil
}

// runImport runs an all-or-nothing import with the flags' conflict policy
// and dry run, and prints the plan; found, for an import from another
// store, says what the importer itself left out or renamed.
func (a *app) runImport(cmd *cobra.Command, f importFlags, found *backup.Found, apply func(ctx context.Context, v vault.Service, policy vault.OnConflict, dryRun bool) (vault.ImportReport, error)) error {
	mode := readWrite
	if f.dryRun {
		mode = readOnly
	}
	return a.withVault(cmd.Context(), mode, func(v vault.Service) error {
		rep, err := apply(cmd.Context(), v, vault.OnConflict(f.onConflict), f.dryRun)
		if err != nil && !errors.Is(err, vault.ErrConflict) {
			return err
		}
		if found == nil {
			found = &backup.Found{}
		}
		if perr := a.printPlan(rep, found, f.asJSON, f.dryRun); perr != nil {
			return perr
		}
		return err
	})
}

// planJSON is the --json form of an import plan.
type planJSON struct {
	vault.ImportReport
	NotRead []backup.Skipped `json:"not_read"`
	// Renamed maps a secret to the path of the entry it came from, when
	// the two differ.
	Renamed map[string]string `json:"renamed,omitempty"`
}

func (a *app) printPlan(rep vault.ImportReport, found *backup.Found, asJSON, dryRun bool) error {
	skipped := found.Skipped
	if asJSON {
		if rep.Items == nil {
			rep.Items = []vault.ImportItem{}
		}
		if skipped == nil {
			skipped = []backup.Skipped{}
		}
		return writeJSON(a.stdout, planJSON{ImportReport: rep, NotRead: skipped, Renamed: found.Renamed})
	}
	var rows [][]string
	for _, it := range rep.Items {
		if it.Action == vault.ActionIdentical {
			continue
		}
		versions := "-"
		if it.Versions > 0 {
			versions = "+" + strconv.Itoa(it.Versions)
		}
		note := it.Reason
		if orig, ok := found.Renamed[it.Name]; ok {
			note = strings.TrimPrefix(note+"; renamed from "+strconv.Quote(orig), "; ")
		}
		rows = append(rows, []string{string(it.Action), it.Name, versions, note})
	}
	for _, s := range skipped {
		rows = append(rows, []string{"not read", s.Source, "-", s.Reason})
	}
	if len(rows) > 0 {
		if err := table(a.stdout, []string{"ACTION", "NAME", "VERSIONS", "NOTE"}, rows); err != nil {
			return err
		}
	}
	fmt.Fprintf(a.stdout, "plan: %s\n", backup.PlanCounts(rep, len(skipped)))
	if rep.Settings {
		fmt.Fprintln(a.stdout, "settings: replaced by the backup's")
	}
	switch {
	case rep.Applied:
		fmt.Fprintf(a.stdout, "imported: %s changed\n", vault.Plural(rep.Changes(), "secret"))
	case dryRun:
		fmt.Fprintln(a.stdout, "dry run: nothing was changed")
	default:
		fmt.Fprintln(a.stdout, "nothing was changed")
	}
	return nil
}

// openFlags are what opens a backup, for import and verify: the backup
// passphrase file and the --identity files.
type openFlags struct {
	identities []string
	passFile   string
}

func (o *openFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringArrayVarP(&o.identities, "identity", "i", nil, "age identity file or SSH private key that opens the backup (repeatable)")
	cmd.Flags().StringVar(&o.passFile, "backup-passphrase-file", "", "read the backup passphrase from this file")
}

// keys builds what opens a backup: the backup passphrase for a
// passphrase-encrypted file, else the --identity files.
func (o *openFlags) keys(stderr io.Writer) backup.Keys {
	passFile, identities := o.passFile, o.identities
	return func(isPass bool) ([]age.Identity, error) {
		if isPass {
			pass, err := backupPassphrase(passFile, false)
			if err != nil {
				return nil, err
			}
			id, err := backup.PassphraseIdentity(pass)
			clear(pass)
			return []age.Identity{id}, err
		}
		if len(identities) == 0 {
			if ids := defaultIdentities(stderr); len(ids) > 0 {
				return ids, nil
			}
			return nil, usageError("this backup is encrypted to recipients; pass --identity FILE (an age identity file or an SSH private key)")
		}
		var ids []age.Identity
		for _, name := range identities {
			got, err := backup.ReadIdentityFile(name, func() ([]byte, error) {
				b, err := promptSecret("Passphrase for SSH key " + name + ": ")
				if errors.Is(err, errNoPassphrase) {
					return nil, fmt.Errorf("SSH key %s is encrypted and there is no terminal to ask for its passphrase", name)
				}
				return b, err
			})
			if err != nil {
				return nil, err
			}
			ids = append(ids, got...)
		}
		return ids, nil
	}
}

// withBackup calls fn with the backup file path ("-" is stdin) open,
// giving a wrong key its exit code.
func (a *app) withBackup(path string, fn func(io.Reader) error) error {
	var r io.Reader = a.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	err := fn(r)
	if errors.Is(err, backup.ErrWrongKey) {
		return withCode(ExitUnlock, err)
	}
	return err
}

func newBackupImportCmd(a *app) *cobra.Command {
	var (
		open       openFlags
		restoreSet bool
		flags      importFlags
	)
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "import a backup, all or nothing",
		Long: `Decrypt a backup and import it as one all-or-nothing change. Nothing is
ever overwritten: imported values are added as new versions.

For each secret the plan says:
  new            the name is free: created with all its versions
  new-versions   the backup continues the vault's history: its newer
                 versions are added
  identical      the current values are the same: nothing to do
  conflict       both changed since they parted, or the name is in the
                 trash here; --on-conflict decides: new-version (add the
                 backup's values as new versions), skip, or fail (import
                 nothing)
  skipped        the vault is ahead, or the secret is deleted in the backup

--dry-run prints the plan only. --restore-settings also replaces the vault
settings with the backup's (purge protection stays on if it is on).`,
		Example: "  locket backup import locket.age --dry-run\n  locket backup import team.age --identity ~/.ssh/id_ed25519 --on-conflict skip",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// The backup streams from the file into the import, a secret
			// at a time; a wrong key fails before the vault is opened.
			return a.withBackup(args[0], func(r io.Reader) error {
				rd, err := backup.OpenReader(r, open.keys(a.stderr))
				if err != nil {
					return err
				}
				if restoreSet {
					if _, err := rd.RestoreSettings(); err != nil {
						return err
					}
				}
				return a.runImport(cmd, flags, nil, func(ctx context.Context, v vault.Service, policy vault.OnConflict, dryRun bool) (vault.ImportReport, error) {
					return backup.Restore(ctx, v, rd, args[0], backup.RestoreOptions{OnConflict: policy, DryRun: dryRun, Settings: restoreSet})
				})
			})
		},
	}
	open.add(cmd)
	cmd.Flags().BoolVar(&restoreSet, "restore-settings", false, "also replace the vault settings with the backup's")
	flags.add(cmd)
	return cmd
}

func newBackupVerifyCmd(a *app) *cobra.Command {
	var open openFlags
	cmd := &cobra.Command{
		Use:   "verify FILE",
		Short: "decrypt and check a backup without importing it",
		Long: `Decrypt a backup, authenticate all of it and check every secret in it, then
print a summary. The vault is not opened.`,
		Example: "  locket backup verify locket.age\n  locket backup verify team.age --identity ~/.config/age/key.txt",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var sum backup.Summary
			err := a.withBackup(args[0], func(r io.Reader) (err error) {
				sum, err = backup.Verify(r, open.keys(a.stderr))
				return err
			})
			if err != nil {
				return err
			}
			settings := "not included"
			if sum.Settings {
				settings = "included"
			}
			fmt.Fprintf(a.stdout, "%s: ok\n", vault.Sanitize(args[0]))
			return fields(a.stdout, [][2]string{
				{"format", strconv.Itoa(sum.Format)},
				{"created", humanTime(sum.Created)},
				{"source vault", orDash(sum.SourceVault)},
				{"secrets", fmt.Sprintf("%d (%d in the trash, %d disabled)", sum.Secrets, sum.Trash, sum.Disabled)},
				{"versions", strconv.Itoa(sum.Versions)},
				{"settings", settings},
			})
		},
	}
	open.add(cmd)
	return cmd
}

// defaultIdentityFiles are tried, in this order, when a backup encrypted
// to recipients comes without --identity: age's conventional key file and
// the usual SSH keys, as age -d users and ssh users keep them.
func defaultIdentityFiles() []string {
	var files []string
	xdg.Reload()
	files = append(files, filepath.Join(xdg.ConfigHome, "age", "key.txt"))
	if home, err := os.UserHomeDir(); err == nil {
		files = append(files, filepath.Join(home, ".ssh", "id_ed25519"), filepath.Join(home, ".ssh", "id_rsa"))
	}
	return files
}

// defaultIdentities reads the default identity files that exist and can
// be read without a passphrase; each says on stderr when it opened the
// backup, so that the user knows which key was used.
func defaultIdentities(stderr io.Writer) []age.Identity {
	var ids []age.Identity
	for _, name := range defaultIdentityFiles() {
		if _, err := os.Stat(name); err != nil {
			continue
		}
		got, err := backup.ReadIdentityFile(name, func() ([]byte, error) {
			return nil, errors.New("encrypted")
		})
		if err != nil {
			// An encrypted or foreign key is not what the user meant;
			// --identity names it when it is.
			continue
		}
		for _, id := range got {
			ids = append(ids, namedIdentity{Identity: id, file: name, stderr: stderr})
		}
	}
	return ids
}

// namedIdentity is an identity that says which file it came from when it
// unwraps a backup's file key.
type namedIdentity struct {
	age.Identity
	file   string
	stderr io.Writer
}

func (n namedIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	key, err := n.Identity.Unwrap(stanzas)
	if err == nil {
		fmt.Fprintf(n.stderr, "locket: using the identity %s\n", vault.Sanitize(n.file))
	}
	return key, err
}
