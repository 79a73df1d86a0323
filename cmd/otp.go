package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newOTPCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "otp NAME",
		Short: "print the current one-time code of a TOTP secret",
		Long: `Print the current TOTP code (RFC 6238) of a secret whose value is an
otpauth://totp URI, such as the NAME/totp secrets the KeePassXC importer
creates. The seed itself is never printed; the hand-out is audited as
"otp". The seconds the code stays valid go to stderr on a terminal.`,
		Example: "  locket otp web/github.com/totp\n  locket otp web/github.com/totp | xclip -selection clipboard",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				uri, _, err := v.Get(cmd.Context(), args[0], 0, vault.OpOTP)
				if err != nil {
					return err
				}
				defer clear(uri)
				code, err := vault.TOTP(uri, a.now())
				if err != nil {
					return fmt.Errorf("%s: %w", vault.Sanitize(args[0]), err)
				}
				if _, err := fmt.Fprintln(a.stdout, code.Code); err != nil {
					return err
				}
				if isTerminal(a.stderr) {
					fmt.Fprintf(a.stderr, "valid for %ds more\n", int(code.Remaining.Seconds()))
				}
				return nil
			})
		},
	}
}
