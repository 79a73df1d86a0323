package tui

import (
	"context"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"locket/tui/keys"
	"locket/tui/review"
	"locket/tui/styles"
	"locket/vault"
)

// RotationReview is the ReviewFunc of package review: the review screen
// inside the TUI, whose end returns to the list.
func RotationReview(ctx context.Context, v vault.Service, now func() time.Time, readOnly bool, st styles.Styles, km keys.KeyMap) SubModel {
	m := review.New(ctx, v, now, readOnly, st, km)
	m.OnDone = func(d review.DoneMsg) tea.Msg { return ReviewDoneMsg{Status: d.Status} }
	return m
}

// copyTaker is a review that can copy the value it generated: the TUI
// gives it its own clipboard path (Model.copyGenerated).
type copyTaker interface {
	SetCopy(func(name string, value []byte) tea.Cmd)
}

// tellReview passes the outcome of a copy the review asked for back to
// it: the review fills the screen, so the status line is not shown.
func (m *Model) tellReview(msg CopiedMsg) {
	if m.state != stateReview || m.review == nil {
		return
	}
	nm, _ := m.review.Update(review.CopiedMsg{Until: msg.Until, Err: msg.Err})
	if sm, ok := nm.(SubModel); ok {
		m.review = sm
	}
}
