package cmd

import (
	"locket/internal/clip"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newSetCmd(a *app) *cobra.Command {
	var (
		src         valueSource
		life        lifetimeFlags
		contentType string
		tags        []string
		copyAfter   bool
		clearAfter  string
	)
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "store a new version of a secret",
		Long: `Store a new version of a secret, creating it if needed. The value comes from
--generate, --value-file F, stdin when it is not a terminal (bytes kept
exactly, nothing trimmed), or is asked twice with echo off. The new version
number is printed on stdout. A value that is an otpauth:// URI gets the
content type otpauth unless --content-type says otherwise: 'locket otp'
prints its codes. --copy also puts the new value on the clipboard, cleared
after --clear-after, so that a generated password can be pasted at once.`,
		Example: "  printf %s \"$TOKEN\" | locket set prod/api/token --tag owner=ops --expires 90d\n" +
			"  locket set prod/db/password --generate=length=32,charset=alnum\n" +
			"  locket set wifi --generate=words=6,sep=.\n" +
			"  locket set web/shop --generate --copy",
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := vault.ValidateName(name); err != nil {
				return err
			}
			o := vault.PutOptions{ContentType: contentType}
			var err error
			if o.Tags, err = vault.ParseTags(tags); err != nil {
				return err
			}
			if o.Expires, o.NotBefore, err = life.parse(a); err != nil {
				return err
			}
			delay, err := clip.ClearDelay(clearAfter)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			return src.store(cmd.Context(), a, func(v vault.Service, value []byte, generated bool) (vault.Version, error) {
				if generated {
					o.Note = "generated"
				}
				if o.ContentType == "" && vault.LooksLikeOTP(value) {
					o.ContentType = vault.ContentTypeOTP
				}
				var to clipTarget
				if copyAfter {
					// Refuse before storing when the value could not be copied.
					if to, err = a.clipboard(cmd.Context(), v); err != nil {
						return vault.Version{}, err
					}
					defer to.close()
				}
				ver, err := v.Put(cmd.Context(), name, value, o)
				if err == nil && copyAfter {
					err = to.copy(cmd.Context(), a, name, value, delay)
				}
				return ver, err
			})
		},
	}
	src.addFlags(cmd)
	life.add(cmd)
	f := cmd.Flags()
	f.StringVar(&contentType, "content-type", "", "content type, e.g. text/plain, application/json")
	f.StringArrayVar(&tags, "tag", nil, "tag key=value (repeat)")
	f.BoolVar(&copyAfter, "copy", false, "also copy the new value to the clipboard")
	f.StringVar(&clearAfter, "clear-after", "", "with --copy: clear the clipboard after this long (default $LOCKET_CLIP_TIME or 20s)")
	return cmd
}
