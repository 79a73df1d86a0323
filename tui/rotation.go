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
