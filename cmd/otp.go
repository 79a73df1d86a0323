package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newOTPCmd(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "otp NAME",
		Short: "print the current one-time code of a TOTP secret",
		Long: `Print the current TOTP code (RFC 6238) of a secret whose value is an
otpauth://totp URI, such as the NAME/totp secrets the KeePassXC importer
creates. The seed itself is never printed; the hand-out is audited as
"otp". The seconds the code stays valid go to stderr on a terminal.

'locket otp set NAME' stores a bare base32 seed, as sites show it beside
their QR code.`,
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
	c.AddCommand(newOTPSetCmd(a))
	return c
}

func newOTPSetCmd(a *app) *cobra.Command {
	var (
		seed           string
		digits, period int
	)
	c := &cobra.Command{
		Use:   "set NAME",
		Short: "store a bare base32 TOTP seed as an otpauth URI",
		Long: `Store a TOTP seed given as base32 (what a site shows under "can't scan
the QR code?"), as the otpauth://totp URI 'locket otp' reads, in a new
version of NAME with content type otpauth. Spaces, dashes and case do not
matter. The seed comes from --seed, else from stdin when it is not a
terminal, else it is asked with echo off; --seed puts it in your shell's
history, stdin does not.`,
		Example: "  locket otp set web/github.com/totp --seed 'JBSW Y3DP EHPK 3PXP'\n  locket otp set aws/totp --digits 6 --period 30 < seed.txt",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			var raw []byte
			switch {
			case seed != "":
				raw = []byte(seed)
			case !isTerminal(a.stdin):
				b, err := readValueFrom(a.stdin)
				if err != nil {
					return fmt.Errorf("read the seed from stdin: %w", err)
				}
				raw = b
			default:
				b, err := promptSecret("TOTP seed (base32): ")
				if err != nil {
					return fmt.Errorf("no seed: pass --seed or pipe it on stdin")
				}
				raw = b
			}
			defer clear(raw)
			uri, err := vault.OTPFromSeed(string(raw), args[0], digits, period)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			defer clear(uri)
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				ver, err := v.Put(cmd.Context(), args[0], uri, vault.PutOptions{ContentType: vault.ContentTypeOTP, Note: "otp set"})
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(a.stdout, ver.Number)
				return err
			})
		},
	}
	c.Flags().StringVar(&seed, "seed", "", "the base32 seed (else stdin or a prompt)")
	c.Flags().IntVar(&digits, "digits", 6, "digits of each code (6 or 8)")
	c.Flags().IntVar(&period, "period", 30, "seconds each code is valid")
	return c
}
