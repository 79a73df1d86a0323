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

func newCopyCmd(a *app) *cobra.Command {
	var (
		clearAfter string
		line       int
	)
	c := &cobra.Command{
		Use:   "copy NAME",
		Short: "copy a secret's value to the clipboard, cleared after a delay",
		Long: `Copy the current value of NAME to the system clipboard (xclip, xsel or
wl-copy). After the delay the clipboard is cleared, also when locket has
exited meanwhile, but only if it still holds that value.

The delay is --clear-after, else $LOCKET_CLIP_TIME, else 20s (1s to 1h).
With the vault setting clipboard-osc52 on, the value is also sent to the
terminal (OSC 52), which reaches your desktop over SSH; that copy cannot
be cleared by locket copy. --line N copies only line N (from 1), as pass
does for the password on an entry's first line.`,
		Example: "  locket copy prod/db/password\n  locket copy github/token --clear-after 45s\n  locket copy web/example.com --line 1",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(args[0]); err != nil {
				return err
			}
			if err := checkLine(cmd, line); err != nil {
				return err
			}
			delay, err := clip.ClearDelay(clearAfter)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			return a.copy(cmd.Context(), args[0], line, delay)
		},
	}
	c.Flags().StringVar(&clearAfter, "clear-after", "", "clear the clipboard after this long (default $LOCKET_CLIP_TIME or 20s)")
	addLineFlag(c, &line)
	return c
}

// copy hands out name's value (audited as "copy"), or its line when line
// is not 0, to the clipboard.
func (a *app) copy(ctx context.Context, name string, line int, delay time.Duration) error {
	return a.withVault(ctx, readWrite, func(v vault.Service) error {
		// Find out whether the value can go anywhere before taking it out
		// of the vault.
		to, err := a.clipboard(ctx, v)
		if err != nil {
			return err
		}
		defer to.close()
		value, _, err := v.Get(ctx, name, 0, "copy")
		if err != nil {
			return err
		}
		defer clear(value)
		if line > 0 {
			if value, err = vault.Line(value, line); err != nil {
				return err
			}
		}
		return to.copy(ctx, a, name, value, delay)
	})
}

// clipTarget is where a copy goes: the system clipboard, the terminal
// (OSC 52), or both.
type clipTarget struct {
	tty    *os.File
	sysErr error
}

// clipboard finds the targets v's settings allow, and fails when there
// is none, before any value is read.
func (a *app) clipboard(ctx context.Context, v vault.Service) (clipTarget, error) {
	var t clipTarget
	set, err := v.Settings(ctx)
	if err != nil {
		return t, err
	}
	if set.ClipboardOSC52 {
		t.tty, _ = os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	}
	t.sysErr = clip.Available()
	if t.sysErr != nil && t.tty == nil {
		return t, t.sysErr
	}
	return t, nil
}

func (t clipTarget) close() {
	if t.tty != nil {
		t.tty.Close()
	}
}

// copy puts value on the targets and says so on stderr.
func (t clipTarget) copy(ctx context.Context, a *app, name string, value []byte, delay time.Duration) error {
	shown := vault.Sanitize(name)
	if t.sysErr == nil {
		if err := a.clipCopy(ctx, value, delay); err != nil {
			return err
		}
	}
	if t.tty != nil {
		if _, err := fmt.Fprint(t.tty, clip.OSC52(value)); err != nil {
			return fmt.Errorf("write to the terminal: %w", err)
		}
	}
	switch {
	case t.tty == nil:
		fmt.Fprintf(a.stderr, "copied %s to the clipboard; clears in %s\n", shown, vault.FormatDuration(delay))
	case t.sysErr == nil:
		fmt.Fprintf(a.stderr, "copied %s to the clipboard; clears in %s (the terminal's OSC 52 copy is not cleared)\n", shown, vault.FormatDuration(delay))
	default:
		fmt.Fprintf(a.stderr, "copied %s through the terminal (OSC 52); locket cannot clear that copy, so copy something else when done\n", shown)
	}
	return nil
}

// clipCopy is clip.Copy with this binary as the clearer, when it is locket
// (app.clipClearer).
func (a *app) clipCopy(ctx context.Context, value []byte, after time.Duration) error {
	clearer := ""
	if a.clipClearer {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		clearer = exe
	}
	return clip.Copy(ctx, clearer, value, after)
}
