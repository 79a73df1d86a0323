package tui

import (
	"context"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/trustelem/zxcvbn"

	"locket/tui/styles"
	"locket/vault"
)

// unlockModel asks for the passphrase with echo off; on first run it asks
// for a new one twice and rates its strength.
type unlockModel struct {
	create bool
	inputs []textinput.Model
	active int
	err    string
	note   string
	banner string
	busy   bool
	// score and word rate the new passphrase (score -1: nothing typed).
	// They are computed when it changes, not per frame: zxcvbn is slow.
	score int
	word  string
}

func newUnlock(create bool, banner string) unlockModel {
	u := unlockModel{create: create, banner: banner, score: -1}
	n := 1
	if create {
		n = 2
	}
	for i := 0; i < n; i++ {
		ti := newInput("", "")
		ti.EchoMode = textinput.EchoNone
		ti.Prompt = ""
		u.inputs = append(u.inputs, ti)
	}
	return u
}

func (u *unlockModel) focus() tea.Cmd {
	if len(u.inputs) == 0 {
		return nil
	}
	for i := range u.inputs {
		u.inputs[i].Blur()
	}
	return u.inputs[u.active].Focus()
}

// reset clears what was typed.
func (u *unlockModel) reset() {
	for i := range u.inputs {
		u.inputs[i].Reset()
	}
	u.active = 0
	u.score, u.word = -1, ""
}

// strength rates a new passphrase with zxcvbn.
func strength(pass string) (int, string) {
	if pass == "" {
		return -1, ""
	}
	score := zxcvbn.PasswordStrength(pass, []string{"locket"}).Score
	return score, [...]string{"very weak", "weak", "fair", "good", "strong"}[score]
}

func (m *Model) updateUnlock(msg tea.Msg) tea.Cmd {
	u := &m.unlock
	k, ok := msg.(tea.KeyMsg)
	if !ok || u.busy || len(u.inputs) == 0 {
		return nil
	}
	switch {
	case k.Type == tea.KeyEnter:
		if u.inputs[u.active].Value() == "" {
			u.err = "type the passphrase, then enter"
			return nil
		}
		if u.create && u.active == 0 {
			u.active = 1
			u.err = ""
			return u.focus()
		}
		return m.submitUnlock()
	case k.Type == tea.KeyEsc:
		u.reset()
		u.err = ""
		return u.focus()
	case key.Matches(k, m.km.NextField) && u.create:
		u.active = (u.active + 1) % 2
		return u.focus()
	}
	var cmd tea.Cmd
	u.inputs[u.active], cmd = u.inputs[u.active].Update(msg)
	if u.create && u.active == 0 {
		u.score, u.word = strength(u.inputs[0].Value())
	}
	return cmd
}

// submitUnlock opens or creates the vault in a command: Argon2 takes a
// good part of a second and must not freeze the screen.
func (m *Model) submitUnlock() tea.Cmd {
	u := &m.unlock
	pass := []byte(u.inputs[0].Value())
	if u.create && u.inputs[1].Value() != u.inputs[0].Value() {
		u.err = "the two passphrases differ; type them again"
		u.reset()
		return u.focus()
	}
	u.busy, u.err = true, ""
	open := m.cfg.Open
	create := u.create
	u.reset()
	return func() tea.Msg {
		defer clear(pass)
		ctx := context.Background()
		v, err := open(ctx, pass, create)
		if err != nil {
			return UnlockedMsg{Err: err}
		}
		set, err := v.Settings(ctx)
		if err != nil {
			v.Close()
			return UnlockedMsg{Err: err}
		}
		return UnlockedMsg{Vault: v, Settings: set}
	}
}

// openLocal is the default Config.Open: the vault in cfg.Dir, in this
// process.
func openLocal(cfg Config) func(ctx context.Context, passphrase []byte, create bool) (vault.Service, error) {
	opts := vault.Options{ReadOnly: cfg.ReadOnly, Now: cfg.Now, Actor: cfg.Actor, Log: cfg.Log.Writer()}
	return func(ctx context.Context, passphrase []byte, create bool) (vault.Service, error) {
		open := vault.Open
		if create {
			open = func(ctx context.Context, dir string, passphrase []byte, opts vault.Options) (*vault.Vault, error) {
				return vault.Create(ctx, dir, passphrase, cfg.KDF, vault.DefaultSettings(), opts)
			}
		}
		v, err := open(ctx, cfg.Dir, passphrase, opts)
		if err != nil {
			return nil, err // not a nil *Vault inside a non-nil Service
		}
		return v, nil
	}
}

// View draws the unlock box in the middle of the screen.
func (u unlockModel) View(st *styles.Styles, w, h int, dir string) string {
	var b strings.Builder
	b.WriteString(st.Header.Render("locket") + "\n\n")
	if u.create {
		b.WriteString(st.Title.Render("Create a new vault") + "\n")
		b.WriteString(st.Dim.Render(fit(dir, max(10, min(w-8, 60)))) + "\n\n")
		labels := []string{"New passphrase:   ", "Repeat passphrase:"}
		for i, in := range u.inputs {
			marker := "  "
			if i == u.active {
				marker = st.Cursor.Render("> ")
			}
			typed := st.Dim.Render("(nothing typed)")
			if n := len([]rune(in.Value())); n > 0 {
				typed = st.Dim.Render("(" + strconv.Itoa(n) + " characters, hidden)")
			}
			b.WriteString(marker + st.Label.Render(labels[i]) + " " + typed + in.View() + "\n")
		}
		if score, word := u.score, u.word; score >= 0 {
			style := st.Error
			switch {
			case score >= 4:
				style = st.Success
			case score >= 3:
				style = st.Value
			case score >= 2:
				style = st.Warning
			}
			b.WriteString("\n" + st.Label.Render("strength: ") + style.Render(word))
			if score < 3 {
				b.WriteString(st.Dim.Render(" · try four or more random words"))
			}
			b.WriteString("\n")
		}
	} else {
		b.WriteString(st.Title.Render("Unlock vault") + "\n")
		b.WriteString(st.Dim.Render(fit(dir, max(10, min(w-8, 60)))) + "\n\n")
		typed := st.Dim.Render("(typing is hidden)")
		if n := len(u.inputs); n > 0 && u.inputs[0].Value() != "" {
			typed = st.Dim.Render("(" + strconv.Itoa(len([]rune(u.inputs[0].Value()))) + " characters)")
		}
		in := ""
		if len(u.inputs) > 0 {
			in = u.inputs[0].View()
		}
		b.WriteString(st.Label.Render("Passphrase: ") + typed + in + "\n")
	}
	switch {
	case u.busy:
		b.WriteString("\n" + st.Dim.Render("unlocking… (deriving the key)"))
	case u.err != "":
		b.WriteString("\n" + st.Error.Render("locket: "+u.err))
	case u.note != "":
		b.WriteString("\n" + st.Warning.Render(u.note))
	}
	if u.banner != "" {
		b.WriteString("\n\n" + st.Dim.Render(u.banner))
	}
	hint := "enter unlock · esc clear · ctrl+c quit"
	if u.create {
		hint = "enter next · tab switch · esc clear · ctrl+c quit"
	}
	b.WriteString("\n\n" + st.Help.Render(hint))
	box := st.Dialog.Render(b.String())
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, box)
}
