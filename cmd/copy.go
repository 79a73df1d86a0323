package cmd

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"locket/internal/clip"
	"locket/vault"
)

func init() { register(newCopyCmd) }

func newCopyCmd(a *app) *cobra.Command {
	var clearAfter string
	c := &cobra.Command{
		Use:   "copy NAME",
		Short: "copy a secret's value to the clipboard, cleared after a delay",
		Long: `Copy the current value of NAME to the system clipboard (xclip, xsel or
wl-copy). After the delay the clipboard is cleared, also when locket has
exited meanwhile, but only if it still holds that value.

The delay is --clear-after, else $LOCKET_CLIP_TIME, else 20s (1s to 1h).
With the vault setting clipboard-osc52 on, the value is also sent to the
terminal (OSC 52), which reaches your desktop over SSH; that copy cannot
be cleared by locket copy.`,
		Example: "  locket copy prod/db/password\n  locket copy github/token --clear-after 45s",
		Args:    exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			delay, err := clip.ClearDelay(clearAfter)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			return a.copy(cmd.Context(), args[0], delay)
		},
	}
	c.Flags().StringVar(&clearAfter, "clear-after", "", "clear the clipboard after this long (default $LOCKET_CLIP_TIME or 20s)")
	return c
}

// copy hands out name's value (audited as "copy") to the clipboard.
func (a *app) copy(ctx context.Context, name string, delay time.Duration) error {
	return a.withVault(ctx, readWrite, func(v vault.Service) error {
		// Find out whether the value can go anywhere before taking it out
		// of the vault.
		set, err := v.Settings(ctx)
		if err != nil {
			return err
		}
		var tty *os.File
		if set.ClipboardOSC52 {
			tty, _ = os.OpenFile("/dev/tty", os.O_WRONLY, 0)
		}
		if tty != nil {
			defer tty.Close()
		}
		sysErr := clip.Available()
		if sysErr != nil && tty == nil {
			return sysErr
		}
		value, _, err := v.Get(ctx, name, 0, "copy")
		if err != nil {
			return err
		}
		defer clear(value)
		shown := vault.Sanitize(name)
		if sysErr == nil {
			if err := clip.Copy(ctx, value, delay); err != nil {
				return err
			}
		}
		if tty != nil {
			if _, err := fmt.Fprint(tty, clip.OSC52(value)); err != nil {
				return fmt.Errorf("write to the terminal: %w", err)
			}
		}
		switch {
		case tty == nil:
			fmt.Fprintf(a.stderr, "copied %s to the clipboard; clears in %s\n", shown, vault.FormatDuration(delay))
		case sysErr == nil:
			fmt.Fprintf(a.stderr, "copied %s to the clipboard; clears in %s (the terminal's OSC 52 copy is not cleared)\n", shown, vault.FormatDuration(delay))
		default:
			fmt.Fprintf(a.stderr, "copied %s through the terminal (OSC 52); locket cannot clear that copy, so copy something else when done\n", shown)
		}
		return nil
	})
}
