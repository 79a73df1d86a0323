package review

import (
	"context"
	"io"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"locket/tui/keys"
	"locket/tui/styles"
	"locket/vault"
)

// RunOptions set up a review that runs as a program of its own.
type RunOptions struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// ReadOnly shows the queue and changes nothing.
	ReadOnly bool
	// In and Out are the terminal.
	In  io.Reader
	Out io.Writer
}

// Run shows the review full-screen until the user finishes it or presses
// ctrl+c, and returns the summary line ("" when interrupted).
func Run(ctx context.Context, v vault.Service, o RunOptions) (string, error) {
	m := New(ctx, v, o.Now, o.ReadOnly, styles.Default(), keys.DefaultKeyMap())
	p := tea.NewProgram(standalone{m: m}, tea.WithAltScreen(), tea.WithContext(ctx), tea.WithInput(o.In), tea.WithOutput(o.Out))
	final, err := p.Run()
	if err != nil {
		return "", err
	}
	s, _ := final.(standalone)
	return s.status, nil
}

// standalone quits the program when the review is done or on ctrl+c.
type standalone struct {
	m      *Model
	status string
}

func (s standalone) Init() tea.Cmd { return s.m.Init() }

func (s standalone) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case DoneMsg:
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

func (s standalone) View() string { return s.m.View() }
