package cmd

import (
	"time"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newUpdateCmd(a *app) *cobra.Command {
	var (
		contentType, expires, notBefore string
		enable, disable                 bool
	)
	cmd := &cobra.Command{
		Use:   "update NAME",
		Short: "change the current version's attributes, or enable/disable a secret",
		Long: `Change the current version's content type, expiry or not-before time in
place (no new version), or enable or disable the secret. --expires never
(or "") and --not-before never (or "") clear the time.`,
		Example: "  locket update prod/api/token --expires 2027-01-31\n  locket update prod/api/token --expires never\n  locket update old/key --disable",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			f := cmd.Flags()
			var attr vault.Attributes
			if f.Changed("content-type") {
				attr.ContentType = &contentType
			}
			for _, t := range []struct {
				flag, value string
				dst         **time.Time
			}{{"expires", expires, &attr.Expires}, {"not-before", notBefore, &attr.NotBefore}} {
				if !f.Changed(t.flag) {
					continue
				}
				var when time.Time
				if t.value != "never" {
					var err error
					if when, err = a.whenFlag(t.flag, t.value); err != nil {
						return err
					}
				}
				*t.dst = &when
			}
			switch {
			case enable && disable:
				return usageError("--enable and --disable cannot be used together")
			case enable || disable:
				attr.Enabled = &enable
			}
			if attr == (vault.Attributes{}) {
				return usageError("nothing to change: give --content-type, --expires, --not-before, --enable or --disable")
			}
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				return v.Update(cmd.Context(), args[0], attr)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&contentType, "content-type", "", "new content type")
	f.StringVar(&expires, "expires", "", "new expiry (WHEN), or never to clear it")
	f.StringVar(&notBefore, "not-before", "", "new not-before time (WHEN), or never to clear it")
	f.BoolVar(&enable, "enable", false, "enable the secret: its value is handed out again")
	f.BoolVar(&disable, "disable", false, "disable the secret: listed, but its value is refused")
	return cmd
}
