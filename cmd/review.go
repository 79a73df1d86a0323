package cmd

import (
	"context"
	"fmt"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"

	"locket/tui"
	"locket/tui/keys"
	"locket/tui/review"
	"locket/tui/styles"
	"locket/vault"
)

func init() { register(newReviewCmd) }

func newReviewCmd(a *app) *cobra.Command {
	var ro bool
	c := &cobra.Command{
		Use:   "review",
		Short: "work through the secrets that need attention, one at a time",
		Long: `Open the rotation review on the terminal: the secrets that 'locket check'
reports, most urgent first, with progress. For each one: rotate it now (type
or generate the new value, optionally with a new expiry), snooze it until a
date with a note, change its rotate-every, disable it, or skip it. Every
decision goes into the audit log with its note; a summary closes the session.
In scripts use 'locket check', 'locket rotate' and 'locket snooze' instead.`,
		Example: "  locket review\n  locket review --read-only",
		RunE: func(cmd *cobra.Command, args []string) error {
			if !isTerminal(a.stdin) || !isTerminal(a.stdout) {
				return usageError("the review needs a terminal; in scripts use locket check, rotate and snooze")
			}
			mode := readWrite
			if ro {
				mode = readOnly
			}
			return a.withVault(cmd.Context(), mode, func(v vault.Service) error {
				p := tea.NewProgram(standaloneReview{m: review.New(cmd.Context(), v, a.now, ro, styles.Default(), keys.DefaultKeyMap())}, tea.WithAltScreen(),
					tea.WithContext(cmd.Context()), tea.WithInput(a.stdin), tea.WithOutput(a.stdout))
				final, err := p.Run()
				if err != nil {
					return err
				}
				if s, ok := final.(standaloneReview); ok && s.status != "" {
					fmt.Fprintln(a.stdout, vault.Sanitize(s.status))
				}
				return nil
			})
		},
	}
	c.Flags().BoolVar(&ro, "read-only", false, "show the queue but change nothing")
	return c
}

// standaloneReview runs the review as a program of its own: it quits when
// the review is done or on ctrl+c.
type standaloneReview struct {
	m      *review.Model
	status string
}

func (s standaloneReview) Init() tea.Cmd { return s.m.Init() }

func (s standaloneReview) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case review.DoneMsg:
		s.status = msg.Status
		return s, tea.Quit
	case tea.KeyMsg:
		if msg.Type == tea.KeyCtrlC {
			return s, tea.Quit
		}
	}
	_, cmd := s.m.Update(msg)
	return s, cmd
}

func (s standaloneReview) View() string { return s.m.View() }

// reviewScreen builds the review for the main TUI's `R` (tui.Config.Review):
// its DoneMsg becomes the TUI's ReviewDoneMsg.
func reviewScreen(ctx context.Context, v vault.Service, now func() time.Time, readOnly bool, st styles.Styles, km keys.KeyMap) tui.SubModel {
	m := review.New(ctx, v, now, readOnly, st, km)
	m.OnDone = func(d review.DoneMsg) tea.Msg { return tui.ReviewDoneMsg{Status: d.Status} }
	return m
}
