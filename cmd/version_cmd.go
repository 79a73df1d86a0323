package cmd

import "github.com/spf13/cobra"

// newVersionCmd is "locket version", the same line as --version, for the
// users of tools (gopass, op, git) that spell it as a command.
func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print locket's version (as --version)",
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := cmd.OutOrStdout().Write([]byte("locket " + cmd.Root().Version + "\n"))
			return err
		},
	}
}
