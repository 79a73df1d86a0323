package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"locket/tui/keys"
	"locket/vault"
)

// trashModel lists deleted secrets with the days left before purge.
type trashModel struct {
	*env
	outbox
	items  []vault.Secret
	cursor int
	width  int
	height int
}

func newTrash(e *env, items []vault.Secret) *trashModel {
	return &trashModel{env: e, items: items}
}

// loaded shows the trash after a recover or purge.
func (t *trashModel) loaded(_, trash []vault.Secret) {
	t.items = trash
	t.cursor = max(0, min(t.cursor, len(trash)-1))
}

// Init implements tea.Model.
func (t *trashModel) Init() tea.Cmd { return nil }

// Title implements screen.
func (t *trashModel) Title() string { return "trash" }

// SetSize sizes the list.
func (t *trashModel) SetSize(w, h int) { t.width, t.height = w, h }

func (t *trashModel) move(n int) { t.cursor = max(0, min(len(t.items)-1, t.cursor+n)) }

func (t *trashModel) selected() *vault.Secret {
	if t.cursor < len(t.items) {
		return &t.items[t.cursor]
	}
	return nil
}

// Update handles the trash's keys.
func (t *trashModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km := t.keys
	switch msg := msg.(type) {
	case tea.MouseMsg:
		switch msg.Button {
		case tea.MouseButtonWheelUp:
			t.move(-3)
		case tea.MouseButtonWheelDown:
			t.move(3)
		}
	case tea.KeyMsg:
		if r := t.refuse(msg, km.Recover, km.Purge); r != nil {
			t.send(r)
			return t, nil
		}
		switch {
		case key.Matches(msg, km.Back), key.Matches(msg, km.Trash), key.Matches(msg, km.Quit):
			t.send(BackMsg{})
			return t, nil
		case key.Matches(msg, km.Up):
			t.move(-1)
		case key.Matches(msg, km.Down):
			t.move(1)
		case key.Matches(msg, km.Recover):
			if s := t.selected(); s != nil {
				name := s.Name
				return t, t.act("recovered "+vault.Sanitize(name), name, func(ctx context.Context, v vault.Service) error {
					return v.Recover(ctx, name)
				})
			}
		case key.Matches(msg, km.Purge):
			return t, t.purge()
		}
	}
	return t, nil
}

// purge asks before destroying the selected secret; under purge
// protection it says from when that is possible instead.
func (t *trashModel) purge() tea.Cmd {
	s := t.selected()
	if s == nil {
		return nil
	}
	name := s.Name
	if at, protected := t.settings.Protected(s.Deleted, t.now()); protected {
		t.send(StatusMsg{Err: true, Text: fmt.Sprintf("purge protection is on: %s can be purged from %s; until then it can only be recovered",
			vault.Sanitize(name), at.Local().Format("2006-01-02"))})
		return nil
	}
	t.send(AskMsg{
		Question: fmt.Sprintf("Purge %s for good?\nAll its versions are destroyed. This cannot be undone.", vault.Sanitize(name)),
		Yes: t.act("purged "+vault.Sanitize(name), "", func(ctx context.Context, v vault.Service) error {
			return v.Purge(ctx, name)
		}),
	})
	return nil
}

// View draws the trash.
func (t *trashModel) View() string {
	st, now, set := t.styles, t.now(), t.settings
	b := []string{st.Title.Render("Trash") + st.Dim.Render(fmt.Sprintf(" · kept %s", vault.FormatDuration(set.Retention))), ""}
	if set.PurgeProtection {
		b[1] = st.Warning.Render("purge protection is on: secrets are purged only after the retention period")
	}
	if len(t.items) == 0 {
		b = append(b, st.Dim.Render("  the trash is empty"))
		return strings.Join(b, "\n")
	}
	nameW := max(10, min(48, t.width-42))
	b = append(b, st.Column.Render(pad("  "+pad("NAME", nameW)+" DELETED           PURGED IN  VERSIONS", t.width)))
	visible := max(1, t.height-4)
	top := max(0, t.cursor-visible+1)
	for i := top; i < len(t.items) && i < top+visible; i++ {
		s := &t.items[i]
		marker, style := "  ", st.Value
		if i == t.cursor {
			marker, style = "> ", st.Selected
		}
		left := set.PurgeAt(s.Deleted).Sub(now)
		days := int((left + vault.Day - 1) / vault.Day)
		leftStyle := st.Value
		if days <= 7 {
			leftStyle = st.Warning
		}
		b = append(b, st.Cursor.Render(marker)+style.Render(pad(vault.Sanitize(s.Name), nameW))+" "+
			s.Deleted.Local().Format("2006-01-02 15:04")+"  "+leftStyle.Render(pad(fmt.Sprintf("%d days", max(days, 0)), 10))+" "+
			fmt.Sprintf("%d", len(s.Versions)))
	}
	return strings.Join(b, "\n")
}

// Help implements screen.
func (t *trashModel) Help() keys.Bindings {
	km := t.keys
	return enabled(keys.Bindings{km.Up, km.Down, km.Recover, km.Purge, km.Back})
}
