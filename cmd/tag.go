package cmd

import (
	"github.com/spf13/cobra"

	"locket/vault"
)

func newTagCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "tag NAME KEY=VALUE...",
		Short: "set tags on a secret (adds no version)",
		Long: `Set tags on a secret; existing keys are overwritten. Reserved keys:
rotate-every (a duration such as 30d) and snooze-until (an RFC 3339 time).`,
		Example: "  locket tag prod/db/password owner=ops rotate-every=30d",
		Args:    argRange(2, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			tags, err := vault.ParseTags(args[1:])
			if err != nil {
				return err
			}
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				return v.Tag(cmd.Context(), args[0], vault.TagChange{Set: tags, Note: formatTags(tags)})
			})
		},
	}
}

func newUntagCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "untag NAME KEY...",
		Short:   "remove tags from a secret",
		Long:    "Remove tags by key. A key the secret does not carry is an error (exit 3), so a typo does not pass silently.",
		Example: "  locket untag prod/db/password owner",
		Args:    argRange(2, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			for _, k := range args[1:] {
				if err := vault.ValidateTagKey(k); err != nil {
					return err
				}
			}
			return a.withVault(cmd.Context(), readWrite, func(v vault.Service) error {
				return v.Tag(cmd.Context(), args[0], vault.TagChange{Remove: args[1:]})
			})
		},
	}
}
