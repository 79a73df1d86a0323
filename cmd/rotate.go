package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"locket/vault"
)

func init() { register(newRotateCmd) }

func newRotateCmd(a *app) *cobra.Command {
	var (
		src                      valueSource
		expires, notBefore, note string
	)
	cmd := &cobra.Command{
		Use:   "rotate NAME",
		Short: "give an existing secret a new value and end its snooze",
		Long: `Rotate a secret: store a new version of an existing secret (a name that does
not exist is refused: use set to create one), keep its content type, and
remove its snooze-until tag. The value comes from --generate, --value-file F,
stdin when it is not a terminal, or is asked twice with echo off. The audit
log records the operation as "rotate". The new version number is printed.`,
		Example: "  locket rotate prod/db/password --generate=length=32,charset=alnum\n" +
			"  new-token | locket rotate prod/api/token --expires 90d --note 'vendor portal'",
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := vault.ValidateName(name); err != nil {
				return err
			}
			o := vault.RotateOptions{Note: note}
			var err error
			if o.Expires, err = a.parseWhen(expires); err != nil {
				return withCode(ExitUsage, fmt.Errorf("--expires: %w", err))
			}
			if o.NotBefore, err = a.parseWhen(notBefore); err != nil {
				return withCode(ExitUsage, fmt.Errorf("--not-before: %w", err))
			}
			value, generated, err := src.read(a)
			defer wipe(value)
			if err != nil {
				return err
			}
			if generated && o.Note == "" {
				o.Note = "generated"
			}
			return a.withVault(cmd.Context(), readWrite, func(v *vault.Vault) error {
				ver, err := v.Rotate(cmd.Context(), name, value, o)
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, ver.Number)
				return nil
			})
		},
	}
	src.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&expires, "expires", "", "when the new version expires (RFC 3339, YYYY-MM-DD or a duration like 90d)")
	f.StringVar(&notBefore, "not-before", "", "when the new version becomes valid")
	f.StringVar(&note, "note", "", "a note for the audit log")
	return cmd
}
