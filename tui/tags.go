package tui

import (
	"context"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"locket/tui/keys"
	"locket/vault"
)

// tagsModel edits a secret's tags: "k=v" adds or changes a tag, "-k"
// removes one. Tags add no version.
type tagsModel struct {
	*env
	outbox
	name   string
	tags   map[string]string
	input  textinput.Model
	err    string
	width  int
	height int
}

func newTags(e *env, s *vault.Secret) *tagsModel {
	t := &tagsModel{env: e, name: s.Name, tags: s.Tags}
	t.input = newInput("tag> ", "env=prod to add · -env to remove")
	return t
}

// Init focuses the input.
func (t *tagsModel) Init() tea.Cmd { return t.input.Focus() }

// Title implements screen.
func (t *tagsModel) Title() string { return "tags" }

// SetSize sizes the editor.
func (t *tagsModel) SetSize(w, h int) {
	t.width, t.height = w, h
	t.input.Width = max(10, w-8)
}

// loaded shows the tags as saved.
func (t *tagsModel) loaded(live, _ []vault.Secret) {
	for i := range live {
		if live[i].Name == t.name {
			t.tags = live[i].Tags
		}
	}
}

// Update handles the editor's keys and the outcome of applying.
func (t *tagsModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case ActionMsg:
		if msg.Err != nil {
			t.err = vault.Sanitize(msg.Err.Error())
		} else {
			t.input.Reset()
			t.err = ""
		}
		return t, nil
	case tea.KeyMsg:
		switch msg.Type {
		case tea.KeyEsc:
			t.send(BackMsg{})
			return t, nil
		case tea.KeyEnter:
			return t, t.apply()
		}
	}
	var cmd tea.Cmd
	t.input, cmd = t.input.Update(msg)
	return t, cmd
}

// apply runs the typed additions and removals.
func (t *tagsModel) apply() tea.Cmd {
	var remove, addWords []string
	for _, w := range strings.Fields(t.input.Value()) {
		if strings.HasPrefix(w, "-") {
			remove = append(remove, w[1:])
		} else {
			addWords = append(addWords, w)
		}
	}
	add, err := vault.ParseTags(addWords)
	if err != nil {
		t.err = err.Error()
		return nil
	}
	if len(add) == 0 && len(remove) == 0 {
		t.err = "type k=v to add a tag or -k to remove one"
		return nil
	}
	name := t.name
	return t.act("tags of "+vault.Sanitize(name)+" saved", name, func(ctx context.Context, v vault.Service) error {
		if len(add) > 0 {
			if err := v.Tag(ctx, name, vault.TagChange{Set: add}); err != nil {
				return err
			}
		}
		if len(remove) > 0 {
			return v.Tag(ctx, name, vault.TagChange{Remove: remove})
		}
		return nil
	})
}

// View lists the tags above the input.
func (t *tagsModel) View() string {
	st := t.styles
	b := []string{st.Title.Render("Tags of " + fit(t.name, t.width-10)), ""}
	if len(t.tags) == 0 {
		b = append(b, st.Dim.Render("  no tags"))
	}
	for _, k := range sortedKeys(t.tags) {
		b = append(b, "  "+st.Tag.Render(fit(k+"="+t.tags[k], t.width-4)))
	}
	b = append(b, "", t.input.View(), "")
	if t.err != "" {
		b = append(b, st.Error.Render("locket: "+t.err))
	} else {
		b = append(b, st.Dim.Render("rotate-every=30d sets this secret's rotation; words are applied together"))
	}
	return strings.Join(b, "\n")
}

// Help implements screen.
func (t *tagsModel) Help() keys.Bindings {
	return keys.Bindings{keyHelp("enter", "apply"), t.keys.Back}
}
