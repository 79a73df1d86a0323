package cmd

import (
	"github.com/spf13/cobra"

	"locket/vault"
)

func init() { register(newSetCmd) }

func newSetCmd(a *app) *cobra.Command {
	var (
		src         valueSource
		life        lifetimeFlags
		contentType string
		tags        []string
	)
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "store a new version of a secret",
		Long: `Store a new version of a secret, creating it if needed. The value comes from
--generate, --value-file F, stdin when it is not a terminal (bytes kept
exactly, nothing trimmed), or is asked twice with echo off. The new version
number is printed on stdout.`,
		Example: "  printf %s \"$TOKEN\" | locket set prod/api/token --tag owner=ops --expires 90d\n" +
			"  locket set prod/db/password --generate=length=32,charset=alnum\n" +
			"  locket set wifi --generate=words=6,sep=.",
		Args: exactArgs("NAME"),
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
			return src.store(cmd.Context(), a, func(v vault.Service, value []byte, generated bool) (vault.Version, error) {
				if generated {
					o.Note = "generated"
				}
				return v.Put(cmd.Context(), name, value, o)
			})
		},
	}
	src.addFlags(cmd)
	life.add(cmd)
	f := cmd.Flags()
	f.StringVar(&contentType, "content-type", "", "content type, e.g. text/plain, application/json")
	f.StringArrayVar(&tags, "tag", nil, "tag key=value (repeat)")
	return cmd
}
