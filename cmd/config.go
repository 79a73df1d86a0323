package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newConfigCmd(a *app) *cobra.Command {
	var (
		asJSON bool
		c      confirmation
	)
	cmd := &cobra.Command{
		Use:   "config [KEY [VALUE]]",
		Short: "show or change vault settings",
		Long: `With no argument, list every setting; with KEY, print its value; with KEY
VALUE, change it. Settings: ` + strings.Join(vault.SettingKeys, ", ") + `.
Durations look like 90d, 12w, 36h. purge-protection cannot be turned off
once on (exit 6): turning it on asks first on a terminal, and needs --yes
without one. Yes/no settings take true/false, yes/no, on/off or 1/0.`,
		Example: "  locket config\n  locket config retention 30d\n  locket config purge-protection on --yes",
		Args:    argRange(0, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 {
				if asJSON {
					return usageError("--json only applies when reading settings")
				}
				// Turning purge protection on can never be undone: ask.
				on, err := vault.ParseBool(args[1])
				protect := args[0] == "purge-protection" && err == nil && on
				if protect {
					if err := c.check(a, "purge protection can never be turned off once on"); err != nil {
						return err
					}
				}
				return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
					set, err := v.Settings(cmd.Context())
					if err != nil {
						return err
					}
					if protect && !set.PurgeProtection &&
						!c.ask(a, "Turn purge protection on? It can never be turned off, and nothing in the trash can be purged before its retention ends.") {
						return fmt.Errorf("purge protection left off")
					}
					var current []byte
					if vault.SensitiveSetting(set, args[0], args[1]) {
						if current, err = a.currentPassphrase(); err != nil {
							return err
						}
						defer clear(current)
					}
					return v.SetSetting(cmd.Context(), args[0], args[1], current)
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
	cmd.Flags().BoolVarP(&c.yes, "yes", "y", false, "turn purge protection on without asking")
	return cmd
}
