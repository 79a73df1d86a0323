package tui

import (
	"context"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

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
	// weakWarned is set when a very weak new passphrase was refused once;
	// submitting it unchanged takes it.
	weakWarned bool
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
	u.weakWarned = false
}

// strength rates a new passphrase, as init does.
func strength(pass string) (int, string) { return vault.PassphraseStrength([]byte(pass)) }

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
	before := u.inputs[0].Value()
	u.inputs[u.active], cmd = u.inputs[u.active].Update(msg)
	if u.create && u.active == 0 && u.inputs[0].Value() != before {
		u.score, u.word = strength(u.inputs[0].Value())
		u.weakWarned = false
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
	if u.create && u.score >= 0 && u.score < vault.VeryWeakPassphrase && !u.weakWarned {
		// Asked once per passphrase: enter again takes it.
		u.weakWarned = true
		u.err = "this passphrase is " + u.word + ": enter again to use it anyway, esc for another"
		return nil
	}
	u.busy, u.err = true, ""
	open, agent := m.cfg.Open, m.cfg.Agent
	create := u.create
	u.reset()
	return func() tea.Msg {
		defer clear(pass)
		ctx := context.Background()
		if agent != nil {
			created := create
			if create {
				// A new vault is created here, then served by the agent
				// like any other: from the first run, the CLI in another
				// shell shares it instead of finding it busy.
				v, err := open(ctx, pass, true)
				if err == nil {
					err = v.Close()
				}
				if err != nil {
					return UnlockedMsg{Err: err}
				}
				create = false
			}
			// An agent that is off or fails to start after a create leaves
			// this process to open the vault, which now exists.
			if msg, ok := unlockAgent(ctx, agent, pass); ok && (msg.Err == nil || !created) {
				return msg
			}
		}
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

// View draws the unlock box in the middle of the screen. On a small
// terminal it leaves out, in turn, the spacing and the directory, then the
// banner and the hint, so that the box keeps its border rather than be cut.
func (u unlockModel) View(st *styles.Styles, w, h int, dir string) string {
	var box string
	for level := 0; level <= 2; level++ {
		content := u.box(st, w, dir, level)
		if level > 0 {
			// Long errors wrap inside the border instead of pushing it out.
			inner := w - st.Dialog.GetHorizontalFrameSize()
			if lipgloss.Width(content) > inner {
				content = lipgloss.NewStyle().Width(max(1, inner)).Render(content)
			}
		}
		box = st.Dialog.Render(content)
		if lipgloss.Height(box) <= h && lipgloss.Width(box) <= w {
			break
		}
	}
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, box)
}

// box is the dialog's content; level 1 drops spacing and the directory,
// level 2 also the banner and the key hint.
func (u unlockModel) box(st *styles.Styles, w int, dir string, level int) string {
	gap := "\n"
	if level > 0 {
		gap = ""
	}
	var b strings.Builder
	if level == 0 {
		b.WriteString(st.Header.Render("locket") + "\n\n")
	}
	if u.create {
		b.WriteString(st.Title.Render("Create a new vault") + "\n")
		if level == 0 {
			b.WriteString(st.Dim.Render(fit(dir, max(10, min(w-8, 60)))) + "\n\n")
		}
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
			b.WriteString(gap + st.Label.Render("strength: ") + style.Render(word))
			if score < 3 && level < 2 {
				b.WriteString(st.Dim.Render(" · try four or more random words"))
			}
			b.WriteString("\n")
		}
	} else {
		b.WriteString(st.Title.Render("Unlock vault") + "\n")
		if level == 0 {
			b.WriteString(st.Dim.Render(fit(dir, max(10, min(w-8, 60)))) + "\n\n")
		}
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
		b.WriteString(gap + st.Dim.Render("unlocking… (deriving the key)"))
	case u.err != "":
		b.WriteString(gap + st.Error.Render("locket: "+u.err))
	case u.note != "":
		b.WriteString(gap + st.Warning.Render(u.note))
	}
	if level == 2 {
		return strings.TrimRight(b.String(), "\n")
	}
	if u.banner != "" {
		b.WriteString("\n" + gap + st.Dim.Render(u.banner))
	}
	hint := "enter unlock · esc clear · ctrl+c quit"
	if u.create {
		hint = "enter next · tab switch · esc clear · ctrl+c quit"
	}
	b.WriteString("\n" + gap + st.Help.Render(hint))
	return b.String()
}
