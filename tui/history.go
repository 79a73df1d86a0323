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

// keyHelp is a binding used only to label help.
func keyHelp(k, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(k), key.WithHelp(k, desc))
}

// historyModel lists a secret's versions, newest first, reveals any of
// them and rolls back to one.
type historyModel struct {
	*env
	outbox
	name     string
	versions []vault.Version // newest first
	current  int
	cursor   int
	width    int
	height   int

	shown    []byte
	shownVer int
}

func newHistory(e *env, s *vault.Secret) *historyModel {
	h := &historyModel{env: e}
	h.set(s)
	return h
}

func (h *historyModel) set(s *vault.Secret) {
	h.name = s.Name
	h.versions = h.versions[:0]
	for i := len(s.Versions) - 1; i >= 0; i-- {
		h.versions = append(h.versions, s.Versions[i])
	}
	h.current = s.Current().Number
	h.cursor = min(h.cursor, max(0, len(h.versions)-1))
}

// loaded shows the versions after a rollback.
func (h *historyModel) loaded(live, _ []vault.Secret) {
	for i := range live {
		if live[i].Name == h.name {
			h.set(&live[i])
		}
	}
}

// Init implements tea.Model.
func (h *historyModel) Init() tea.Cmd { return nil }

// Title implements screen.
func (h *historyModel) Title() string { return "history" }

// SetSize sizes the list.
func (h *historyModel) SetSize(w, ht int) { h.width, h.height = w, ht }

func (h *historyModel) move(n int) {
	h.cursor = max(0, min(len(h.versions)-1, h.cursor+n))
	h.hide()
}

func (h *historyModel) hide() {
	clear(h.shown)
	h.shown, h.shownVer = nil, 0
}

func (h *historyModel) selected() (vault.Version, bool) {
	if h.cursor < len(h.versions) {
		return h.versions[h.cursor], true
	}
	return vault.Version{}, false
}

// Update handles the history's keys and revealed values.
func (h *historyModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km := h.keys
	switch msg := msg.(type) {
	case RevealedMsg:
		h.hide()
		if msg.Err != nil {
			h.send(StatusMsg{Text: vault.Sanitize(msg.Err.Error()), Err: true})
			return h, nil
		}
		h.shown, h.shownVer = msg.Value, msg.Version
		return h, nil
	case tea.MouseMsg:
		switch msg.Button {
		case tea.MouseButtonWheelUp:
			h.move(-3)
		case tea.MouseButtonWheelDown:
			h.move(3)
		}
		return h, nil
	case tea.KeyMsg:
		if r := h.refuse(msg, km.Rollback); r != nil {
			h.send(r)
			return h, nil
		}
		switch {
		case key.Matches(msg, km.Back), key.Matches(msg, km.History), key.Matches(msg, km.Quit):
			h.hide()
			h.send(BackMsg{})
			return h, nil
		case key.Matches(msg, km.Up):
			h.move(-1)
		case key.Matches(msg, km.Down):
			h.move(1)
		case key.Matches(msg, km.Home):
			h.move(-len(h.versions))
		case key.Matches(msg, km.End):
			h.move(len(h.versions))
		case key.Matches(msg, km.Reveal):
			return h, h.reveal()
		case key.Matches(msg, km.Rollback):
			return h, h.rollback()
		}
	}
	return h, nil
}

// reveal fetches the selected version's value, or hides it.
func (h *historyModel) reveal() tea.Cmd {
	ver, ok := h.selected()
	if !ok || h.v == nil {
		return nil
	}
	if h.shownVer == ver.Number {
		h.hide()
		return nil
	}
	v, ctx, name := h.v, h.ctx, h.name
	return func() tea.Msg {
		val, got, err := v.Get(ctx, name, ver.Number, vault.OpReveal)
		return RevealedMsg{Name: name, Version: got.Number, Value: val, Err: err}
	}
}

// rollback asks, then adds a version with the selected one's value.
func (h *historyModel) rollback() tea.Cmd {
	ver, ok := h.selected()
	if !ok {
		return nil
	}
	if ver.Number == h.current {
		h.send(StatusMsg{Text: fmt.Sprintf("v%d is already the current version", ver.Number), Err: true})
		return nil
	}
	name, n := h.name, ver.Number
	h.hide()
	h.send(AskMsg{
		Question: fmt.Sprintf("Roll %s back to v%d?\nThis adds a new version with v%d's value; no version is lost.", vault.Sanitize(name), n, n),
		Yes: h.act(fmt.Sprintf("rolled %s back to v%d", vault.Sanitize(name), n), name, func(ctx context.Context, v vault.Service) error {
			_, err := v.Rollback(ctx, name, n)
			return err
		}),
	})
	return nil
}

// View draws the versions table.
func (h *historyModel) View() string {
	st, now := h.styles, h.now()
	b := []string{st.Title.Render("History of " + fit(h.name, h.width-12)), ""}
	b = append(b, st.Column.Render(pad("  VERSION  CREATED           AGE    SIZE    TYPE", h.width)))
	visible := max(1, h.height-6)
	top := max(0, h.cursor-visible+1)
	for i := top; i < len(h.versions) && i < top+visible; i++ {
		v := h.versions[i]
		marker, style := "  ", st.Value
		if i == h.cursor {
			marker, style = "> ", st.Selected
		}
		ct := v.ContentType
		if ct == "" {
			ct = "-"
		}
		cur := ""
		if v.Number == h.current {
			cur = st.Success.Render(" current")
		}
		line := fmt.Sprintf("v%-7d %s  %-6s %-7s %s", v.Number, v.Created.Local().Format("2006-01-02 15:04"), age(now, v.Created), fmt.Sprintf("%dB", v.Size), fit(ct, 20))
		b = append(b, st.Cursor.Render(marker)+style.Render(line)+cur+st.Dim.Render("  "+fit(v.Actor, 30)))
	}
	if h.shown != nil {
		b = append(b, "", st.Label.Render(fmt.Sprintf("value of v%d (space hides):", h.shownVer)))
		for _, l := range strings.Split(vault.SanitizeMultiline(string(h.shown)), "\n") {
			b = append(b, "  "+st.Revealed.Render(strings.ReplaceAll(l, "\t", "    ")))
		}
	}
	return strings.Join(b, "\n")
}

// Help implements screen.
func (h *historyModel) Help() keys.Bindings {
	km := h.keys
	return enabled(keys.Bindings{km.Up, km.Down, km.Reveal, km.Rollback, km.Back})
}
