package cmd

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"locket/keyring"
	"locket/vault"
)

func newPasswdCmd(a *app) *cobra.Command {
	var (
		newFile string
		kdf     kdfFlags
		rekey   bool
	)
	cmd := &cobra.Command{
		Use:   "passwd",
		Short: "change the vault passphrase",
		Long: `Change the passphrase. The current one comes from the usual sources, also
when an unlocked agent serves the vault: changing it always asks for it. The
new one from --new-passphrase-file F, or asked twice on the terminal. Only the
data key is rewrapped: no secret is re-encrypted. The Argon2id parameters
stay as they are unless --kdf-* flags are given.

With --rekey, every record is also re-encrypted under a new data key, so that
an old copy of the header with the passphrase it was made for opens nothing,
neither what was written before nor after. Use it when a passphrase may have
leaked (the new passphrase may be the same one). It is crash-safe: an
interrupted rekey is finished, or undone, by the next open.`,
		Example: "  locket passwd\n  locket passwd --new-passphrase-file new.txt --kdf-memory 1GiB\n  locket passwd --rekey",
		RunE: func(cmd *cobra.Command, args []string) error {
			// Validate the flags before asking for anything.
			if _, err := kdf.params(cmd, keyring.DefaultParams); err != nil {
				return err
			}
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				info, err := v.Info(cmd.Context())
				if err != nil {
					return err
				}
				params, err := kdf.params(cmd, keyring.Params(info.KDF))
				if err != nil {
					return err
				}
				var pass []byte
				if newFile != "" {
					if pass, err = readPassphraseFile("new passphrase", newFile); err != nil {
						return err
					}
				} else {
					pass, err = promptTwice("passphrase")
					if errors.Is(err, errNoPassphrase) {
						return withCode(ExitUnlock, errors.New("no new passphrase: no terminal to ask on; pass --new-passphrase-file F"))
					}
					if err != nil {
						return err
					}
				}
				defer clear(pass)
				current, err := a.currentPassphrase()
				if err != nil {
					return err
				}
				defer clear(current)
				if rekey {
					if err := v.Rekey(cmd.Context(), current, pass, vault.KDFParams(params)); err != nil {
						return err
					}
					fmt.Fprintln(a.stderr, "passphrase changed; every record re-encrypted under a new data key")
					return nil
				}
				if err := v.ChangePassphrase(cmd.Context(), current, pass, vault.KDFParams(params)); err != nil {
					return err
				}
				fmt.Fprintln(a.stderr, "passphrase changed")
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&newFile, "new-passphrase-file", "", "read the new passphrase from this file")
	cmd.Flags().BoolVar(&rekey, "rekey", false, "also re-encrypt every record under a new data key")
	kdf.add(cmd, keyring.Params{})
	return cmd
}
