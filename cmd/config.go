package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"locket/vault"
)

func init() { register(newConfigCmd) }

func newConfigCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "config [KEY [VALUE]]",
		Short: "show or change vault settings",
		Long: `With no argument, list every setting; with KEY, print its value; with KEY
VALUE, change it. Settings: ` + strings.Join(vault.SettingKeys, ", ") + `.
Durations look like 90d, 12w, 36h. purge-protection cannot be turned off
once on (exit 6).`,
		Example: "  locket config\n  locket config retention 30d\n  locket config purge-protection true",
		Args:    cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 {
				if asJSON {
					return usageError("--json only applies when reading settings")
				}
				return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
					return v.SetSetting(cmd.Context(), args[0], args[1])
				})
			}
			if len(args) == 1 && !vault.IsSettingKey(args[0]) {
				_, err := vault.DefaultSettings().Get(args[0])
				return err
			}
			return a.withVault(cmd.Context(), readOnly, func(v vault.Service) error {
				set, err := v.Settings(cmd.Context())
				if err != nil {
					return err
				}
				keys := vault.SettingKeys
				if len(args) == 1 {
					keys = args
				}
				values := map[string]string{}
				var rows [][]string
				for _, k := range keys {
					val, err := set.Get(k)
					if err != nil {
						return err
					}
					values[k] = val
					rows = append(rows, []string{k, val})
				}
				switch {
				case asJSON:
					return writeJSON(a.stdout, values)
				case len(args) == 1:
					_, err := fmt.Fprintln(a.stdout, values[args[0]])
					return err
				}
				return table(a.stdout, []string{"SETTING", "VALUE"}, rows)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the settings as one JSON object of strings")
	return cmd
}
