package cmd

import (
	"context"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"locket/vault"
)

// completionVault is the vault for shell completion. Completion runs on
// every tab press, so it must never prompt for a passphrase nor derive a
// key: it only uses this vault's agent, and only when it answers
// unlocked. Otherwise it returns false and completion offers no names.
func (a *app) completionVault(ctx context.Context) (vault.Service, bool) {
	if a.completion != nil {
		return a.completion, true
	}
	if !a.agentAllowed() {
		return nil, false
	}
	c, err := a.agentClient()
	if err != nil {
		return nil, false
	}
	if st, err := c.Status(ctx); err != nil || st.Locked {
		return nil, false
	}
	return c, true
}

// completeNames completes the first argument with secret names, through
// completionVault; later arguments get nothing.
func (a *app) completeNames(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return a.secretNames(cmd.Context(), toComplete), cobra.ShellCompDirectiveNoFileComp
}

// secretNames lists the live names that start with prefix, or nothing when
// the vault cannot be opened without a passphrase.
func (a *app) secretNames(ctx context.Context, prefix string) []string {
	if ctx == nil {
		ctx = context.Background()
	}
	v, ok := a.completionVault(ctx)
	if !ok {
		return nil
	}
	defer v.Close()
	// ListOptions.Prefix takes whole segments only; filter by hand so
	// that "prod/d" offers prod/db/password.
	live, err := v.List(ctx, vault.ListOptions{})
	if err != nil {
		return nil
	}
	var out []string
	for _, s := range live {
		if strings.HasPrefix(s.Name, prefix) {
			out = append(out, s.Name)
		}
	}
	return out
}

// completeFixed completes a flag or argument from a fixed list.
func completeFixed(words ...string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return words, cobra.ShellCompDirectiveNoFileComp
	}
}

// statusWords are the statuses as completion words.
func statusWords() []string {
	out := make([]string, len(vault.Statuses))
	for i, s := range vault.Statuses {
		out[i] = string(s)
	}
	return out
}

// nameCommands take a secret name as their first argument.
var nameCommands = []string{"get", "show", "copy", "history", "tag", "untag", "update", "mv", "rollback", "rm", "purge", "recover", "rotate", "snooze", "otp", "edit"}

// addCompletions wires the completion of names, settings, statuses and
// charsets into the commands root holds.
func (a *app) addCompletions(root *cobra.Command) {
	for _, c := range root.Commands() {
		switch name := c.Name(); {
		case slices.Contains(nameCommands, name):
			c.ValidArgsFunction = a.completeNames
		case name == "config":
			c.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
				if len(args) == 0 {
					return vault.SettingKeys, cobra.ShellCompDirectiveNoFileComp
				}
				if len(args) == 1 && (args[0] == "purge-protection" || args[0] == "clipboard-osc52") {
					return []string{"true", "false"}, cobra.ShellCompDirectiveNoFileComp
				}
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
		case name == "list":
			c.ValidArgsFunction = a.completeNames
			_ = c.RegisterFlagCompletionFunc("status", completeFixed(statusWords()...))
		case name == "generate":
			_ = c.RegisterFlagCompletionFunc("charset", completeFixed(vault.CharsetNames...))
		}
	}
}
