package cmd

import (
	"time"

	"github.com/spf13/cobra"

	"locket/internal/clip"
)

// newClipClearCmd is the detached clearer that clip.Copy starts: it reads
// a fingerprint of the copied value on stdin and clears the clipboard after
// --after if it still holds that value. It is hidden: users never run it.
func newClipClearCmd(a *app) *cobra.Command {
	var after time.Duration
	c := &cobra.Command{
		Use:    clip.ClearCommand + " --after DURATION",
		Short:  "clear the clipboard if it still holds a copied value (internal)",
		Hidden: true,
		Args:   noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return clip.RunClearer(cmd.Context(), a.stdin, after)
		},
	}
	c.Flags().DurationVar(&after, "after", clip.DefaultDelay, "delay before clearing")
	return c
}
