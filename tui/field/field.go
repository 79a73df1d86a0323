// Package field is the single-line text input every TUI form uses. It is
// a textinput that can hold a pre-filled value the way a selected field
// of a desktop form does: the first key that types replaces it, instead
// of appending to it ("60d" + "180d" was "60d180d").
package field

import (
	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textarea"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// Input is a textinput with an optional pre-filled value.
type Input struct {
	textinput.Model
	// fresh is true while the pre-filled value is untouched: typing
	// replaces it, deleting removes it, moving the cursor keeps it for
	// editing.
	fresh bool
	plain lipgloss.Style
}

// New is an empty input with a steady cursor.
func New(prompt, placeholder string) Input {
	ti := textinput.New()
	ti.Prompt = prompt
	ti.Placeholder = placeholder
	ti.Cursor.SetMode(cursor.CursorStatic)
	return Input{Model: ti}
}

// Prefill puts value in the input, shown selected, for the first
// keystroke to replace.
func (in *Input) Prefill(value string) {
	in.SetValue(value)
	in.CursorEnd()
	in.fresh = value != ""
	if in.fresh {
		in.plain = in.TextStyle
		in.TextStyle = in.TextStyle.Reverse(true)
	}
}

// Fresh reports whether the pre-filled value is still untouched.
func (in *Input) Fresh() bool { return in.fresh }

// settle ends the selection: the value is now the user's.
func (in *Input) settle() {
	if in.fresh {
		in.fresh = false
		in.TextStyle = in.plain
	}
}

// Update handles a message; the first key decides what happens to a
// pre-filled value.
func (in *Input) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyMsg); ok && in.fresh {
		in.settle()
		switch k.Type {
		case tea.KeyRunes, tea.KeySpace:
			in.SetValue("")
		case tea.KeyBackspace, tea.KeyDelete, tea.KeyCtrlH:
			in.SetValue("")
			return nil
		}
	}
	var cmd tea.Cmd
	in.Model, cmd = in.Model.Update(msg)
	return cmd
}

// Field is what a form holds: an *Input or an *Area.
type Field interface {
	Focus() tea.Cmd
	Blur()
	Value() string
	View() string
	Update(tea.Msg) tea.Cmd
}

// Area is the multi-line value field of the edit form and the review's
// rotation, so that JSON documents and PEM keys keep their lines.
type Area struct{ textarea.Model }

// NewArea is an empty value area with a steady cursor, as long as a
// value may be.
func NewArea(placeholder string, limit int) *Area {
	ta := textarea.New()
	ta.ShowLineNumbers = false
	ta.Prompt = "│ "
	ta.MaxHeight = 0
	ta.CharLimit = limit
	ta.Placeholder = placeholder
	ta.Cursor.SetMode(cursor.CursorStatic)
	return &Area{Model: ta}
}

// Update handles a message.
func (a *Area) Update(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	a.Model, cmd = a.Model.Update(msg)
	return cmd
}
