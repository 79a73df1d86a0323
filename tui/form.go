package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"locket/tui/keys"
	"locket/vault"
)

// Form fields, in tab order.
const (
	fieldName = iota
	fieldValue
	fieldType
	fieldExpires
	fieldTags
	fieldCount
)

// formModel creates a secret (n) or adds a version to one (e). The value
// is a textarea so that JSON documents and PEM keys keep their lines.
type formModel struct {
	*env
	outbox
	generate func() ([]byte, error)

	create  bool
	name    textinput.Model
	value   textarea.Model
	ctype   textinput.Model
	expires textinput.Model
	tagsIn  textinput.Model
	focus   int
	err     string
	width   int
	height  int
}

// newForm builds the create form (s == nil) or the edit form for s.
func newForm(e *env, s *vault.Secret, generate func() ([]byte, error)) *formModel {
	f := &formModel{env: e, generate: generate, create: s == nil}
	f.name = newInput("", "e.g. prod/db/password")
	f.name.CharLimit = 256
	f.value = textarea.New()
	f.value.ShowLineNumbers = false
	f.value.Prompt = "│ "
	f.value.MaxHeight = 0
	f.value.CharLimit = 64 * 1024
	f.value.Placeholder = "the secret value; multi-line is fine (JSON, PEM)"
	f.value.Cursor.SetMode(cursor.CursorStatic)
	f.value.FocusedStyle.CursorLine = e.styles.Value
	f.ctype = newInput("", "e.g. text/plain, application/json")
	f.expires = newInput("", "never; or e.g. 90d, 2027-01-31")
	f.tagsIn = newInput("", "e.g. env=prod team=platform")
	f.focus = fieldName
	if s != nil {
		f.name.SetValue(s.Name)
		f.ctype.SetValue(s.Current().ContentType)
		f.focus = fieldValue
	}
	return f
}

// Init focuses the first field.
func (f *formModel) Init() tea.Cmd { return f.focusField() }

// Title implements screen.
func (f *formModel) Title() string {
	if f.create {
		return "new secret"
	}
	return "edit"
}

// SetSize sizes the form to the screen.
func (f *formModel) SetSize(w, h int) {
	f.width, f.height = w, h
	inW := max(10, w-18)
	f.name.Width, f.ctype.Width, f.expires.Width, f.tagsIn.Width = inW, inW, inW, inW
	f.value.SetWidth(max(10, w-16))
	f.value.SetHeight(max(2, min(16, h-12)))
}

func (f *formModel) fields() int {
	if f.create {
		return fieldCount
	}
	return fieldTags // no tag field when editing: t edits tags
}

func (f *formModel) focusField() tea.Cmd {
	f.name.Blur()
	f.value.Blur()
	f.ctype.Blur()
	f.expires.Blur()
	f.tagsIn.Blur()
	switch f.focus {
	case fieldName:
		return f.name.Focus()
	case fieldValue:
		return f.value.Focus()
	case fieldType:
		return f.ctype.Focus()
	case fieldExpires:
		return f.expires.Focus()
	case fieldTags:
		return f.tagsIn.Focus()
	}
	return nil
}

// Update handles the form's keys; ActionMsg reports a failed save.
func (f *formModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km := f.keys
	switch msg := msg.(type) {
	case ActionMsg:
		if msg.Err != nil {
			f.err = vault.Sanitize(msg.Err.Error())
		}
		return f, nil
	case tea.KeyMsg:
		switch {
		case msg.Type == tea.KeyEsc:
			f.send(BackMsg{Status: "cancelled"})
			return f, nil
		case key.Matches(msg, km.Save):
			return f, f.save()
		case key.Matches(msg, km.Generate):
			f.fill()
			return f, nil
		case key.Matches(msg, km.NextField), msg.Type == tea.KeyEnter && f.focus != fieldValue:
			if msg.Type == tea.KeyEnter && f.focus == f.fields()-1 {
				return f, f.save()
			}
			f.focus = (f.focus + 1) % f.fields()
			if !f.create && f.focus == fieldName {
				f.focus = fieldValue
			}
			return f, f.focusField()
		case key.Matches(msg, km.PrevField):
			f.focus = (f.focus + f.fields() - 1) % f.fields()
			if !f.create && f.focus == fieldName {
				f.focus = f.fields() - 1
			}
			return f, f.focusField()
		}
	}
	var cmd tea.Cmd
	switch f.focus {
	case fieldName:
		f.name, cmd = f.name.Update(msg)
	case fieldValue:
		f.value, cmd = f.value.Update(msg)
	case fieldType:
		f.ctype, cmd = f.ctype.Update(msg)
	case fieldExpires:
		f.expires, cmd = f.expires.Update(msg)
	case fieldTags:
		f.tagsIn, cmd = f.tagsIn.Update(msg)
	}
	return f, cmd
}

// fill puts a generated value in the value field.
func (f *formModel) fill() {
	if f.generate == nil {
		f.err = errNoGenerate.Error()
		return
	}
	val, err := f.generate()
	if err != nil {
		f.err = vault.Sanitize(err.Error())
		return
	}
	f.value.SetValue(string(val))
	clear(val)
	f.err = ""
}

// save checks the fields and writes a new version.
func (f *formModel) save() tea.Cmd {
	name := strings.TrimSpace(f.name.Value())
	if err := vault.ValidateName(name); err != nil {
		f.err = vault.Sanitize(err.Error())
		return nil
	}
	value := []byte(f.value.Value())
	if len(value) == 0 {
		f.err = "the value is empty; type one or ctrl+g to generate"
		return nil
	}
	opts := vault.PutOptions{ContentType: strings.TrimSpace(f.ctype.Value())}
	if exp := strings.TrimSpace(f.expires.Value()); exp != "" {
		t, err := vault.ParseWhen(exp, f.now())
		if err != nil {
			f.err = vault.Sanitize(err.Error())
			return nil
		}
		opts.Expires = t
	}
	if f.create {
		tags, err := vault.ParseTags(strings.Fields(f.tagsIn.Value()))
		if err != nil {
			f.err = err.Error()
			return nil
		}
		opts.Tags = tags
		// A new secret must be new, also when another writer took the
		// name since the form opened.
		opts.Mode = vault.PutCreate
	} else {
		opts.Mode = vault.PutExisting
	}
	f.err = ""
	what := "saved a new version of "
	if f.create {
		what = "created "
	}
	return f.act(what+vault.Sanitize(name), name, func(ctx context.Context, v vault.Service) error {
		defer clear(value)
		_, err := v.Put(ctx, name, value, opts)
		if errors.Is(err, vault.ErrExists) {
			return fmt.Errorf("a secret named %s exists; e on it adds a version", vault.Sanitize(name))
		}
		return err
	})
}

// View draws the form.
func (f *formModel) View() string {
	st := f.styles
	label := func(i int, s string) string {
		if f.focus == i {
			return st.Cursor.Render("> ") + st.Title.Render(pad(s, 14))
		}
		return "  " + st.Label.Render(pad(s, 14))
	}
	var b []string
	if f.create {
		b = append(b, label(fieldName, "name")+f.name.View())
	} else {
		b = append(b, label(fieldName, "name")+st.Title.Render(fit(f.name.Value(), f.width-16))+st.Dim.Render("  (adds a version)"))
	}
	b = append(b, label(fieldValue, "value"))
	for _, l := range strings.Split(f.value.View(), "\n") {
		b = append(b, "  "+strings.Repeat(" ", 12)+l)
	}
	b = append(b, label(fieldType, "content type")+f.ctype.View())
	b = append(b, label(fieldExpires, "expires")+f.expires.View())
	if f.create {
		b = append(b, label(fieldTags, "tags")+f.tagsIn.View())
	}
	b = append(b, "")
	if f.err != "" {
		b = append(b, st.Error.Render("locket: "+f.err))
	} else {
		b = append(b, st.Dim.Render(fmt.Sprintf("%d bytes", len(f.value.Value()))))
	}
	return strings.Join(b, "\n")
}

// Help implements screen.
func (f *formModel) Help() keys.Bindings {
	km := f.keys
	return enabled(keys.Bindings{km.Save, km.NextField, km.Generate, km.Back})
}
