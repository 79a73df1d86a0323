package cmd

import (
	"github.com/spf13/cobra"

	"locket/vault"
)

func newRotateCmd(a *app) *cobra.Command {
	var (
		src  valueSource
		life lifetimeFlags
		note string
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
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := vault.ValidateName(name); err != nil {
				return err
			}
			o := vault.PutOptions{Op: vault.OpRotate, Note: note}
			var err error
			if o.Expires, o.NotBefore, err = life.parse(a); err != nil {
				return err
			}
			return src.store(cmd.Context(), a, func(v vault.Service, value []byte, generated bool) (vault.Version, error) {
				if generated && o.Note == "" {
					o.Note = "generated"
				}
				return v.Put(cmd.Context(), name, value, o)
			})
		},
	}
	src.addFlags(cmd)
	life.add(cmd)
	f := cmd.Flags()
	f.StringVar(&note, "note", "", "a note for the audit log")
	return cmd
}
