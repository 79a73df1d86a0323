package cmd

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"

	"locket/internal/clip"
	"locket/tui"
	"locket/vault"
)

func newUICmd(a *app) *cobra.Command {
	var readOnly bool
	c := &cobra.Command{
		Use:   "ui",
		Short: "open the terminal UI",
		Long: `Open the terminal UI: browse, filter, reveal, copy, edit, tag, roll back and
recover secrets. The passphrase is asked inside the UI, which locks itself
after the vault's idle-lock time (default 5m). With no vault yet, the UI
creates one and asks for a new passphrase twice.

With --read-only the vault is opened with a shared lock and the UI offers
no action that changes it. Set LOCKET_LOG=FILE to write diagnostics to FILE.`,
		Example: "  locket ui\n  locket ui --read-only",
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runUI(cmd.Context(), a.uiConfig(readOnly))
		},
	}
	c.Flags().BoolVar(&readOnly, "read-only", false, "offer no action that changes the vault")
	return c
}

// runUI runs the TUI on the terminal until the user quits.
func (a *app) runUI(ctx context.Context, cfg tui.Config, opts ...tea.ProgramOption) error {
	if !isTerminal(a.stdin) || !isTerminal(a.stdout) {
		return usageError("the terminal UI needs a terminal; use the commands (locket --help) in scripts")
	}
	if cfg.ReadOnly && !vault.Exists(cfg.Dir) {
		return fmt.Errorf("no vault at %s; create one with 'locket init'", cfg.Dir)
	}
	if cfg.Now == nil {
		cfg.Now = a.now
	}
	delay, err := clip.ClearDelay("")
	if err != nil {
		return withCode(ExitUsage, err)
	}
	cfg.ClearAfter = delay
	cfg.Copy = a.clipCopy
	// Availability depends only on the environment: ask once, so that `c`
	// is refused before a value leaves the vault.
	cfg.CopyUnavailable = clip.Available()
	cfg.Generate = func() ([]byte, error) { return vault.Generate(vault.DefaultGenerateOptions()) }
	cfg.Review = tui.RotationReview
	logger, closeLog, err := uiLog()
	if err != nil {
		return err
	}
	defer closeLog()
	cfg.Log = logger

	// The program writes through a locked terminal, which OSC 52 copies
	// share (see clip.Terminal).
	out := a.stdout
	if f, ok := a.stdout.(*os.File); ok {
		term := clip.NewTerminal(f)
		out, cfg.OSC52 = term, term
	}
	m := tui.New(cfg)
	opts = append([]tea.ProgramOption{tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithContext(ctx),
		tea.WithInput(a.stdin), tea.WithOutput(out)}, opts...)
	p := tea.NewProgram(m, opts...)
	_, err = p.Run()
	if cerr := m.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close vault: %w", cerr)
	}
	return err
}

// uiLog opens $LOCKET_LOG for diagnostics; the terminal belongs to the UI.
func uiLog() (*log.Logger, func(), error) {
	path := os.Getenv("LOCKET_LOG")
	if path == "" {
		return log.New(io.Discard, "", 0), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open LOCKET_LOG: %w", err)
	}
	return log.New(f, "locket ", log.LstdFlags|log.Lmicroseconds), func() { f.Close() }, nil
}
