package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"locket/tui/styles"
)

// confirmModel asks before an action that destroys something.
type confirmModel struct {
	question string
	yes      tea.Cmd
}

// ask shows question; y runs yes, n or esc goes back.
func (m *Model) ask(question string, yes tea.Cmd) tea.Cmd {
	if m.state != stateConfirm {
		m.back = m.state
	}
	m.busy = false
	m.confirm = confirmModel{question: question, yes: yes}
	m.state = stateConfirm
	return nil
}

func (m *Model) updateConfirm(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	switch {
	case key.Matches(k, m.km.Yes):
		m.state = m.back
		yes := m.confirm.yes
		m.confirm = confirmModel{}
		m.busy = yes != nil
		return yes
	case key.Matches(k, m.km.No), k.Type == tea.KeyEnter:
		m.state = m.back
		m.confirm = confirmModel{}
		m.setStatus("cancelled", false)
	}
	return nil
}

// View draws the question in a box in the middle of the screen.
func (c confirmModel) View(st *styles.Styles, w, h int) string {
	box := st.Dialog.Width(min(60, max(20, w-4))).Render(
		st.Title.Render(c.question) + "\n\n" + st.Help.Render("y yes · n/esc no"))
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, box)
}
