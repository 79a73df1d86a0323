// Package styles holds the TUI's one Styles value, built in one place so
// that every screen draws with the same colours and the same words.
package styles

import (
	"github.com/charmbracelet/lipgloss"

	"locket/vault"
)

// Styles are the lipgloss styles of every screen. Colour only ever
// repeats what a word already says, so NO_COLOR (honoured by lipgloss
// through termenv) loses no meaning.
type Styles struct {
	Header   lipgloss.Style
	Title    lipgloss.Style
	Dim      lipgloss.Style
	Label    lipgloss.Style
	Value    lipgloss.Style
	Selected lipgloss.Style
	Cursor   lipgloss.Style
	Error    lipgloss.Style
	Success  lipgloss.Style
	Warning  lipgloss.Style
	Masked   lipgloss.Style
	Revealed lipgloss.Style
	Dialog   lipgloss.Style
	Help     lipgloss.Style
	Tag      lipgloss.Style
	Column   lipgloss.Style

	statuses map[vault.Status]lipgloss.Style
}

// Default returns locket's styles, adapting to light and dark terminals.
func Default() Styles {
	subtle := lipgloss.AdaptiveColor{Light: "#6B6B6B", Dark: "#8A8A8A"}
	accent := lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#A48BFF"}
	red := lipgloss.AdaptiveColor{Light: "#C0152F", Dark: "#FF5F6D"}
	orange := lipgloss.AdaptiveColor{Light: "#B25D00", Dark: "#FFA94D"}
	yellow := lipgloss.AdaptiveColor{Light: "#8A6D00", Dark: "#F2D35B"}
	green := lipgloss.AdaptiveColor{Light: "#1F7A3A", Dark: "#6BD68B"}
	blue := lipgloss.AdaptiveColor{Light: "#1F5FA8", Dark: "#6CB6FF"}

	s := Styles{
		Header:   lipgloss.NewStyle().Bold(true).Foreground(accent),
		Title:    lipgloss.NewStyle().Bold(true),
		Dim:      lipgloss.NewStyle().Foreground(subtle),
		Label:    lipgloss.NewStyle().Foreground(subtle),
		Value:    lipgloss.NewStyle(),
		Selected: lipgloss.NewStyle().Bold(true).Foreground(accent),
		Cursor:   lipgloss.NewStyle().Bold(true).Foreground(accent),
		Error:    lipgloss.NewStyle().Bold(true).Foreground(red),
		Success:  lipgloss.NewStyle().Foreground(green),
		Warning:  lipgloss.NewStyle().Foreground(orange),
		Masked:   lipgloss.NewStyle().Foreground(subtle),
		Revealed: lipgloss.NewStyle().Foreground(yellow),
		Dialog:   lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(0, 1),
		Help:     lipgloss.NewStyle().Foreground(subtle),
		Tag:      lipgloss.NewStyle().Foreground(blue),
		Column:   lipgloss.NewStyle().Bold(true).Foreground(subtle),
	}
	s.statuses = map[vault.Status]lipgloss.Style{
		vault.StatusExpired:     lipgloss.NewStyle().Bold(true).Foreground(red),
		vault.StatusStale:       lipgloss.NewStyle().Bold(true).Foreground(orange),
		vault.StatusDue:         lipgloss.NewStyle().Foreground(yellow),
		vault.StatusNotYetValid: lipgloss.NewStyle().Foreground(blue),
		vault.StatusDisabled:    lipgloss.NewStyle().Foreground(subtle).Strikethrough(false),
		vault.StatusSnoozed:     lipgloss.NewStyle().Foreground(subtle).Italic(true),
		vault.StatusOK:          lipgloss.NewStyle().Foreground(green),
	}
	return s
}

// StatusStyle is the style of a status word.
func (s Styles) StatusStyle(st vault.Status) lipgloss.Style {
	if style, ok := s.statuses[st]; ok {
		return style
	}
	return s.Value
}

// StatusWord renders a status as its word in its colour.
func (s Styles) StatusWord(st vault.Status) string {
	return s.StatusStyle(st).Render(string(st))
}
