package field

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

func typeText(in *Input, s string) {
	for _, r := range s {
		in.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// TestPrefilledReplaced: typing into a pre-filled field replaces the
// value (issue 12, bug 1: "60d" then "180d" gave "60d180d").
func TestPrefilledReplaced(t *testing.T) {
	t.Parallel()
	in := New("", "")
	in.Focus()
	in.Prefill("60d")
	typeText(&in, "180d")
	if got := in.Value(); got != "180d" {
		t.Errorf("typed over 60d: %q, want 180d", got)
	}
	typeText(&in, "x")
	if got := in.Value(); got != "180dx" {
		t.Errorf("later typing replaced again: %q", got)
	}
}

func TestPrefilledEditedAfterMove(t *testing.T) {
	t.Parallel()
	in := New("", "")
	in.Focus()
	in.Prefill("text/plain")
	in.Update(tea.KeyMsg{Type: tea.KeyLeft})
	typeText(&in, "X")
	if got := in.Value(); got != "text/plaiXn" {
		t.Errorf("after a cursor move: %q", got)
	}
	in.Prefill("60d")
	in.Update(tea.KeyMsg{Type: tea.KeyBackspace})
	if got := in.Value(); got != "" || in.Fresh() {
		t.Errorf("backspace on a pre-filled value: %q", got)
	}
}
