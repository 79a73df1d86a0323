package cmd

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"locket/backup"
	"locket/vault"
)

func newImportCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "move in from pass, KeePassXC or a .env file",
		Long: `Import secrets from another password manager, all or nothing, with the same
plan and conflict rules as 'locket backup import'. Every import is one
audit event; --dry-run shows the plan and changes nothing.`,
	}
	cmd.AddCommand(newImportPassCmd(a), newImportKeePassXCCmd(a), newImportDotenvCmd(a))
	return cmd
}

// importCmd completes c, an import from another store, with the flags
// every import takes: read finds the secrets, named under --prefix, and
// says what the audit note calls their source.
func (a *app) importCmd(c *cobra.Command, prefixUsage string, read func(ctx context.Context, args []string, prefix string) (found *backup.Found, source string, err error)) *cobra.Command {
	var (
		prefix string
		flags  importFlags
	)
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if err := vault.ValidatePrefix(prefix); err != nil {
			return err
		}
		found, source, err := read(cmd.Context(), args, prefix)
		if err != nil {
			return err
		}
		return a.runImport(cmd, flags, found.Skipped, func(ctx context.Context, v vault.Service, policy vault.OnConflict, dryRun bool) (vault.ImportReport, error) {
			return v.Import(ctx, vault.SecretsOf(found.Secrets), vault.ImportOptions{OnConflict: policy, DryRun: dryRun, Note: source})
		})
	}
	c.Flags().StringVar(&prefix, "prefix", "", prefixUsage)
	flags.add(c)
	return c
}

// readFile reads the file path of kind (keepassxc, dotenv) with parse,
// naming the secrets under prefix.
func readFile(kind, path, prefix string, parse func(io.Reader, string) (*backup.Found, error)) (*backup.Found, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	found, err := parse(f, prefix)
	return found, kind + " " + filepath.Base(path), err
}

func newImportPassCmd(a *app) *cobra.Command {
	return a.importCmd(&cobra.Command{
		Use:   "pass [DIR]",
		Short: "import a pass store (decrypted with gpg)",
		Long: `Import every FILE.gpg of a pass store (default $PASSWORD_STORE_DIR or
~/.password-store) as the secret [PREFIX/]FILE, decrypting each with
'gpg --decrypt'. The value is the whole file (pass keeps the password on
the first line and notes below); a one-line file loses its final newline.
Characters a name cannot hold become "-". Files gpg cannot decrypt are
listed and left out.`,
		Example: "  locket import pass --dry-run\n  locket import pass ~/work-store --prefix work/",
		Args:    argRange(0, 1),
	}, "put the secrets under this prefix", func(ctx context.Context, args []string, prefix string) (*backup.Found, string, error) {
		dir := os.Getenv("PASSWORD_STORE_DIR")
		if len(args) == 1 {
			dir = args[0]
		}
		if dir == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return nil, "", err
			}
			dir = filepath.Join(home, ".password-store")
		}
		found, err := backup.ImportPass(ctx, dir, prefix, backup.GPGDecrypt)
		return found, "pass " + dir, err
	})
}

func newImportKeePassXCCmd(a *app) *cobra.Command {
	return a.importCmd(&cobra.Command{
		Use:   "keepassxc FILE.csv",
		Short: "import a KeePassXC CSV export",
		Long: `Import KeePassXC's CSV export (Database > Export > CSV File). Each entry
becomes [PREFIX/]GROUP/TITLE holding the password, with the username, URL
and notes as tags; a TOTP seed becomes its own secret NAME/totp. Entries
without a password are listed and left out. Delete the CSV afterwards: it
holds every password in plain text.`,
		Example: "  locket import keepassxc export.csv --prefix kp/",
		Args:    exactArgs(1),
	}, "put the secrets under this prefix", func(_ context.Context, args []string, prefix string) (*backup.Found, string, error) {
		return readFile("keepassxc", args[0], prefix, backup.ImportKeePassXC)
	})
}

func newImportDotenvCmd(a *app) *cobra.Command {
	return a.importCmd(&cobra.Command{
		Use:   "dotenv FILE --prefix P",
		Short: "import a .env file",
		Long: `Import KEY=VALUE lines of a .env file as the secrets P/KEY. "export KEY=...",
# comments, 'single' and "double" quotes (with \n, \t, \" escapes; values may
span lines) are understood; nothing is expanded. A key defined twice keeps
its last value; empty values are left out.`,
		Example: "  locket import dotenv .env --prefix myapp/dev",
		Args:    exactArgs(1),
	}, "name the secrets PREFIX/KEY (required)", func(_ context.Context, args []string, prefix string) (*backup.Found, string, error) {
		if prefix == "" {
			return nil, "", usageError("--prefix is required: the secrets are named PREFIX/KEY")
		}
		return readFile("dotenv", args[0], prefix, backup.ImportDotenv)
	})
}
