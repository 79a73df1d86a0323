// Package review is the rotation review: a queue of the secrets that need
// attention, most urgent first, worked through one at a time. For each the
// user rotates it now (typing or generating the new value), snoozes it
// until a date with a note, changes its rotate-every, disables it, or
// skips it. Every decision is written to the audit log with its note, and
// a summary closes the session.
//
// The model is a Bubble Tea sub-model: the main TUI embeds it behind `R`,
// and `locket review` runs it as a program of its own. Vault calls run as
// tea.Cmds, so the screen never blocks on Badger.
package review

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"locket/tui/field"
	"locket/tui/keys"
	"locket/tui/styles"
	"locket/vault"
)

// DoneMsg is sent when the user closes the summary: Status is a one-line
// account for a status bar, Decisions every decision taken.
type DoneMsg struct {
	Status    string
	Decisions []Decision
}

// Decision is what was done with one secret.
type Decision struct {
	Name string
	// Op is vault.OpRotate, OpSnooze, OpPolicy, OpDisable or OpSkip.
	Op   vault.Op
	Note string
}

type screen int

const (
	screenLoading screen = iota
	screenQueue
	screenForm
	screenSummary
)

// form is the action being filled in for the current secret.
type form struct {
	op     vault.Op
	inputs []field.Field
	labels []string
	focus  int
	// generated holds a generated value until it is saved; the value
	// input is then not used.
	generated []byte
	// revealed shows the generated value, on request (space), so that
	// it can be typed or pasted into a provider's console.
	revealed bool
	busy     bool
}

// OpSkip is the decision to leave a secret as it is. It is recorded as a
// review note, not as an operation of its own.
const OpSkip vault.Op = "skip"

// Model is the review screen. Use New; *Model implements tea.Model.
type Model struct {
	ctx      context.Context
	v        vault.Service
	now      func() time.Time
	readOnly bool
	keys     keys.KeyMap
	st       styles.Styles

	width, height int
	screen        screen
	queue         []vault.Finding
	pos           int
	form          *form
	decisions     []Decision
	err           string
	info          string
	// copy puts a generated value on the clipboard; the TUI gives its
	// own (SetCopy), and without it `c` says copying is not available.
	copy func(name string, value []byte) tea.Cmd
	// OnDone, when set, turns the closing DoneMsg into the message the
	// embedding program expects (the main TUI's own done message).
	OnDone func(DoneMsg) tea.Msg
}

// New builds a review of v's findings at now(), drawn with the TUI's
// styles and keys. A read-only review shows the queue and lets the user
// skip through it, but changes nothing.
func New(ctx context.Context, v vault.Service, now func() time.Time, readOnly bool, st styles.Styles, km keys.KeyMap) *Model {
	if now == nil {
		now = time.Now
	}
	return &Model{ctx: ctx, v: v, now: now, readOnly: readOnly, keys: km, st: st, width: 80, height: 24}
}

// SetCopy gives the review the embedding program's clipboard, which `c`
// uses for a generated value before it is saved. The command it returns
// reports back to the review as a CopiedMsg.
func (m *Model) SetCopy(copy func(name string, value []byte) tea.Cmd) { m.copy = copy }

// CopiedMsg is the outcome of a copy made through SetCopy's function:
// the clipboard clears itself at Until.
type CopiedMsg struct {
	Until time.Time
	Err   error
}

// Forget clears a generated value that was not saved, as when the TUI
// locks with the review open.
func (m *Model) Forget() {
	if m.form != nil {
		clear(m.form.generated)
		m.form = nil
	}
	if m.screen == screenForm {
		m.screen = screenQueue
	}
}

// SetSize tells the model the space it has.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// Messages of the review's own commands.
type (
	loadedMsg struct {
		findings []vault.Finding
		err      error
	}
	decidedMsg struct {
		d   Decision
		err error
	}
)

// Init loads the queue.
func (m *Model) Init() tea.Cmd {
	v, at := m.v, m.now()
	return func() tea.Msg {
		fs, err := v.Check(m.ctx, at)
		return loadedMsg{fs, err}
	}
}

// Update handles keys and the results of vault calls.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.SetSize(msg.Width, msg.Height)
		return m, nil
	case loadedMsg:
		if msg.err != nil {
			m.err = msg.err.Error()
		}
		m.queue = msg.findings
		m.screen = screenQueue
		if len(m.queue) == 0 {
			m.screen = screenSummary
		}
		return m, nil
	case decidedMsg:
		if m.form != nil {
			m.form.busy = false
		}
		if msg.err != nil {
			m.err = msg.err.Error()
			return m, nil
		}
		if m.form != nil {
			clear(m.form.generated)
		}
		m.decisions = append(m.decisions, msg.d)
		return m, m.advance()
	case CopiedMsg:
		if msg.Err != nil {
			m.err, m.info = msg.Err.Error(), ""
			return m, nil
		}
		m.err = ""
		m.info = "the new value is on the clipboard"
		if left := msg.Until.Sub(m.now()).Round(time.Second); left > 0 {
			m.info += fmt.Sprintf("; it clears in %s", left)
		}
		return m, nil
	case tea.KeyMsg:
		m.info = ""
		return m, m.key(msg)
	}
	if m.screen == screenForm && m.form != nil {
		return m, m.form.inputs[m.form.focus].Update(msg)
	}
	return m, nil
}

func (m *Model) key(k tea.KeyMsg) tea.Cmd {
	switch m.screen {
	case screenQueue:
		return m.queueKey(k)
	case screenForm:
		return m.formKey(k)
	case screenSummary:
		if key.Matches(k, m.keys.Finish, m.keys.Submit) {
			return m.done()
		}
	}
	return nil
}

func (m *Model) queueKey(k tea.KeyMsg) tea.Cmd {
	m.err = ""
	write := func(op vault.Op) tea.Cmd {
		if m.readOnly {
			m.err = "the vault is open read-only: skip (n) or finish (q)"
			return nil
		}
		m.openForm(op)
		return textinput.Blink
	}
	switch {
	case key.Matches(k, m.keys.Rotate):
		return write(vault.OpRotate)
	case key.Matches(k, m.keys.Snooze):
		if m.current().Status == vault.StatusExpired {
			// Said before the form, not after it (docs/decisions/0100).
			m.err = vault.ErrExpiredSnooze.Error()
			return nil
		}
		return write(vault.OpSnooze)
	case key.Matches(k, m.keys.Policy):
		return write(vault.OpPolicy)
	case key.Matches(k, m.keys.Disable):
		return write(vault.OpDisable)
	case key.Matches(k, m.keys.Skip):
		d := Decision{Name: m.current().Name, Op: OpSkip, Note: "skipped"}
		if m.readOnly {
			m.decisions = append(m.decisions, d)
			return m.advance()
		}
		v := m.v
		return func() tea.Msg {
			return decidedMsg{d, v.Review(m.ctx, d.Name, d.Note)}
		}
	case key.Matches(k, m.keys.Finish):
		return m.summary()
	}
	return nil
}

// openForm prepares the inputs of op for the current secret.
func (m *Model) openForm(op vault.Op) {
	input := func(placeholder string) *field.Input {
		in := field.New("", placeholder)
		in.CharLimit = 512
		return &in
	}
	f := &form{op: op}
	switch op {
	case vault.OpRotate:
		// A multi-line value, like the edit form's: PEM keys and JSON
		// documents keep their lines.
		value := field.NewArea("type or paste it, or ctrl+g to generate", vault.MaxValueLen)
		value.SetWidth(max(10, m.width-18))
		value.SetHeight(max(1, min(6, m.height-16)))
		f.labels = []string{"new value", "expires", "note"}
		f.inputs = []field.Field{value, input("optional: 90d or 2027-01-31"), input("optional")}
	case vault.OpSnooze:
		f.labels = []string{"until", "note"}
		f.inputs = []field.Field{input("14d or 2027-01-31"), input("why it waits (required)")}
	case vault.OpPolicy:
		every := input("e.g. 30d, 12w; empty for the vault default")
		// Shown selected: typing replaces it rather than appending.
		every.Prefill(vault.FormatDuration(m.current().RotateEvery))
		f.labels = []string{"rotate every", "note"}
		f.inputs = []field.Field{every, input("optional")}
	case vault.OpDisable:
		f.labels = []string{"note"}
		f.inputs = []field.Field{input("why it is disabled (required)")}
	}
	f.inputs[0].Focus()
	m.form = f
	m.screen = screenForm
}

func (m *Model) formKey(k tea.KeyMsg) tea.Cmd {
	f := m.form
	if f.busy {
		return nil
	}
	switch {
	case key.Matches(k, m.keys.Back):
		clear(f.generated)
		m.form, m.screen, m.err = nil, screenQueue, ""
		return nil
	case key.Matches(k, m.keys.Generate) && f.op == vault.OpRotate:
		g, err := vault.Generate(vault.DefaultGenerateOptions())
		if err != nil {
			m.err = err.Error()
			return nil
		}
		clear(f.generated)
		f.generated, f.revealed = g, false
		f.inputs[0].(*field.Area).Reset()
		// Focus stays where it was: the next keys are the user's to
		// direct, not an expiry typed by surprise.
		return nil
	case m.onGenerated() && bound(k, m.keys.Reveal):
		f.revealed = !f.revealed
		return nil
	case m.onGenerated() && bound(k, m.keys.Copy):
		if m.copy == nil {
			m.err = "copy is not available here: open the review in locket ui"
			return nil
		}
		return m.copy(m.current().Name, f.generated)
	case key.Matches(k, m.keys.NextField), k.Type == tea.KeyDown && !m.inArea():
		m.focus((f.focus + 1) % len(f.inputs))
		return nil
	case k.Type == tea.KeyShiftTab, k.Type == tea.KeyUp && !m.inArea():
		m.focus((f.focus + len(f.inputs) - 1) % len(f.inputs))
		return nil
	case key.Matches(k, m.keys.Submit) && !m.inArea() && m.missingAfter():
		// Enter on a form that still misses a field moves on to the next
		// one rather than refusing: a snooze's date is not yet a whole
		// answer, its note comes next.
		m.focus(f.focus + 1)
		return nil
	case key.Matches(k, m.keys.Save), key.Matches(k, m.keys.Submit) && (!m.inArea() || f.generated != nil && f.inputs[0].Value() == ""):
		cmd, err := m.submit()
		if err != nil {
			m.err = err.Error()
			return nil
		}
		m.err = ""
		f.busy = true
		return cmd
	}
	cmd := f.inputs[f.focus].Update(k)
	if f.op == vault.OpRotate && f.focus == 0 && f.inputs[0].Value() != "" {
		// Typing a value replaces a generated one.
		clear(f.generated)
		f.generated, f.revealed = nil, false
	}
	return cmd
}

// onGenerated reports whether the focus is on a generated value, where
// space reveals or hides it and c copies it instead of typing.
func (m *Model) onGenerated() bool {
	f := m.form
	return f.op == vault.OpRotate && f.generated != nil && f.focus == 0
}

// bound reports whether k is one of b's keys, even when the TUI turned b
// off (it turns Copy off without a clipboard): on a generated value the
// key must not fall through and be typed, replacing the value.
func bound(k tea.KeyMsg, b key.Binding) bool { return slices.Contains(b.Keys(), k.String()) }

// missingAfter reports whether a field the form needs, after the focused
// one, is still empty: then enter moves on instead of refusing.
func (m *Model) missingAfter() bool {
	f := m.form
	// Only a snooze has a required field after its first: its note.
	if f.op != vault.OpSnooze {
		return false
	}
	for i := f.focus + 1; i < len(f.inputs); i++ {
		if strings.TrimSpace(f.inputs[i].Value()) == "" {
			return true
		}
	}
	return false
}

// inArea reports whether the focus is in the multi-line value, where
// enter, up and down edit the text.
func (m *Model) inArea() bool {
	_, ok := m.form.inputs[m.form.focus].(*field.Area)
	return ok
}

func (m *Model) focus(i int) {
	m.form.inputs[m.form.focus].Blur()
	m.form.focus = i
	m.form.inputs[i].Focus()
}

// submit validates the form and returns the vault call that applies it.
func (m *Model) submit() (tea.Cmd, error) {
	f, v, name, now := m.form, m.v, m.current().Name, m.now()
	val := func(i int) string { return strings.TrimSpace(f.inputs[i].Value()) }
	ctx := m.ctx
	switch f.op {
	case vault.OpRotate:
		value := f.generated
		note := val(2)
		if value == nil {
			if f.inputs[0].Value() == "" {
				return nil, fmt.Errorf("type a new value or press ctrl+g to generate one")
			}
			value = []byte(f.inputs[0].Value())
		} else if note == "" {
			note = "generated"
		}
		o := vault.PutOptions{Op: vault.OpRotate, Note: note}
		if val(1) != "" {
			t, err := vault.ParseWhen(val(1), now)
			if err != nil {
				return nil, err
			}
			if !t.After(now) {
				return nil, fmt.Errorf("the new expiry must be in the future")
			}
			o.Expires = t
		}
		value = append([]byte(nil), value...)
		return func() tea.Msg {
			defer clear(value)
			_, err := v.Put(ctx, name, value, o)
			return decidedMsg{Decision{name, vault.OpRotate, o.Note}, err}
		}, nil
	case vault.OpSnooze:
		if val(0) == "" || val(1) == "" {
			return nil, fmt.Errorf("a snooze needs a date and a note")
		}
		until, err := vault.ParseWhen(val(0), now)
		if err != nil {
			return nil, err
		}
		if !until.After(now) {
			return nil, fmt.Errorf("snooze until a moment in the future")
		}
		note := val(1)
		return func() tea.Msg {
			return decidedMsg{Decision{name, vault.OpSnooze, note}, v.Tag(ctx, name, vault.Snooze(until, note))}
		}, nil
	case vault.OpPolicy:
		var every time.Duration
		if val(0) != "" {
			d, err := vault.ParseInterval(val(0))
			if err != nil {
				return nil, err
			}
			every = d
		}
		note := val(1)
		return func() tea.Msg {
			return decidedMsg{Decision{name, vault.OpPolicy, note}, v.Tag(ctx, name, vault.RotateEvery(every, note))}
		}, nil
	case vault.OpDisable:
		note := val(0)
		if note == "" {
			return nil, fmt.Errorf("say why it is disabled")
		}
		return func() tea.Msg {
			off := false
			return decidedMsg{Decision{name, vault.OpDisable, note}, v.Update(ctx, name, vault.Attributes{Enabled: &off, Note: note})}
		}, nil
	}
	return nil, nil
}

func (m *Model) current() vault.Finding {
	if m.pos < len(m.queue) {
		return m.queue[m.pos]
	}
	return vault.Finding{}
}

// advance moves to the next secret, or to the summary after the last.
func (m *Model) advance() tea.Cmd {
	m.form = nil
	m.pos++
	if m.pos >= len(m.queue) {
		return m.summary()
	}
	m.screen = screenQueue
	return nil
}

// summary shows what was done.
func (m *Model) summary() tea.Cmd {
	m.screen = screenSummary
	m.form = nil
	return nil
}

// counts says how many of each decision were taken.
func (m *Model) counts() string {
	n := map[vault.Op]int{}
	for _, d := range m.decisions {
		n[d.Op]++
	}
	var parts []string
	for _, op := range []struct {
		op   vault.Op
		word string
	}{
		{vault.OpRotate, "rotated"}, {vault.OpSnooze, "snoozed"}, {vault.OpPolicy, "policy changed"},
		{vault.OpDisable, "disabled"}, {OpSkip, "skipped"},
	} {
		if n[op.op] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[op.op], op.word))
		}
	}
	if len(parts) == 0 {
		return "nothing decided"
	}
	return strings.Join(parts, ", ")
}

// done closes the session: it records the session in the audit log when
// anything was decided, then reports DoneMsg (through OnDone when set).
func (m *Model) done() tea.Cmd {
	msg := DoneMsg{Status: "review: " + m.counts(), Decisions: m.decisions}
	if len(m.queue) == 0 {
		msg.Status = "review: nothing needs attention"
	}
	record := !m.readOnly && len(m.decisions) > 0
	v, note, onDone := m.v, "review session: "+m.counts(), m.OnDone
	return func() tea.Msg {
		if record {
			if err := v.Review(m.ctx, "", note); err != nil {
				msg.Status += " (not recorded in the audit log: " + err.Error() + ")"
			}
		}
		if onDone != nil {
			return onDone(msg)
		}
		return msg
	}
}

// View draws the current screen. Every name, reason and note is
// sanitised: they come from the vault and may hold escape sequences.
func (m *Model) View() string {
	var b strings.Builder
	w := max(20, m.width)
	switch m.screen {
	case screenLoading:
		b.WriteString(m.st.Title.Render("Rotation review") + "\n\n" + m.st.Dim.Render("checking every secret…"))
	case screenQueue, screenForm:
		m.viewItem(&b, w)
	case screenSummary:
		m.viewSummary(&b)
	}
	if m.err != "" {
		b.WriteString("\n" + m.st.Error.Render("error: "+vault.Sanitize(m.err)))
	} else if m.info != "" {
		b.WriteString("\n" + m.st.Success.Render(m.info))
	}
	return lipgloss.NewStyle().MaxWidth(w).MaxHeight(max(5, m.height)).Render(b.String())
}

func (m *Model) viewItem(b *strings.Builder, w int) {
	f := m.current()
	title := "Rotation review"
	if m.readOnly {
		title += " (read-only)"
	}
	fmt.Fprintf(b, "%s  %s\n\n", m.st.Title.Render(title), m.st.Dim.Render(fmt.Sprintf("%d of %d", m.pos+1, len(m.queue))))
	fmt.Fprintf(b, "%s  %s\n", m.st.StatusStyle(f.Status).Render(strings.ToUpper(string(f.Status))), m.st.Title.Render(vault.Sanitize(f.Name)))
	fmt.Fprintf(b, "%s\n", wrap(vault.Sanitize(f.Reason), w))
	for _, h := range f.Health {
		if !strings.Contains(f.Reason, h.Reason) {
			fmt.Fprintf(b, "%s\n", wrap(vault.Sanitize(h.Reason), w))
		}
	}
	b.WriteString("\n")
	line := func(label, value string) {
		fmt.Fprintf(b, "%s %s\n", m.st.Label.Render(fmt.Sprintf("%-13s", label)), vault.Sanitize(value))
	}
	line("version", fmt.Sprint(f.Version))
	line("current since", day(f.Rotated))
	line("rotate every", vault.FormatDuration(f.RotateEvery))
	if !f.Expires.IsZero() {
		line("expires", day(f.Expires))
	}
	if !f.SnoozedUntil.IsZero() {
		line("snoozed until", day(f.SnoozedUntil))
	}
	b.WriteString("\n")
	if m.screen == screenForm && m.form != nil {
		m.viewForm(b)
		return
	}
	var help []string
	for _, k := range m.keys.ReviewHelp() {
		if m.readOnly && k.Help().Key != "n" && k.Help().Key != "q" {
			continue
		}
		help = append(help, k.Help().Key+" "+k.Help().Desc)
	}
	b.WriteString(m.st.Dim.Render(wrap(strings.Join(help, " · "), w)))
}

func (m *Model) viewForm(b *strings.Builder) {
	f := m.form
	heading := map[vault.Op]string{vault.OpRotate: "Rotate now", vault.OpSnooze: "Snooze", vault.OpPolicy: "Change rotate-every", vault.OpDisable: "Disable"}[f.op]
	b.WriteString(m.st.Title.Render(heading) + "\n")
	for i, in := range f.inputs {
		cursor := "  "
		if i == f.focus {
			cursor = "> "
		}
		view := in.View()
		if i == 0 && f.op == vault.OpRotate && f.generated != nil {
			view = m.st.Success.Render(fmt.Sprintf("generated (%d characters, hidden)", len(f.generated)))
			if f.revealed {
				view = m.st.Success.Render(vault.Sanitize(string(f.generated)))
			}
		}
		// A multi-line value continues under its first line.
		view = strings.ReplaceAll(view, "\n", "\n"+strings.Repeat(" ", 16))
		fmt.Fprintf(b, "%s%s %s\n", cursor, m.st.Label.Render(fmt.Sprintf("%-13s", f.labels[i])), view)
	}
	// Enter saves (or moves on while a field is missing) on a one-line
	// field; in the multi-line value it is a new line, and ctrl+s saves.
	hint := "enter save · tab next field · esc cancel"
	if f.op == vault.OpRotate && m.inArea() {
		hint = "ctrl+g generate · ctrl+s save · tab next field · esc cancel"
	}
	if m.onGenerated() {
		// Enter saves a generated value: the field holds nothing to edit.
		reveal := "space reveal"
		if f.revealed {
			reveal = "space hide"
		}
		hint = reveal + " · c copy · ctrl+g again · enter save · tab next field · esc cancel"
		if m.copy == nil {
			hint = reveal + " · ctrl+g again · enter save · tab next field · esc cancel"
		}
	}
	if f.busy {
		hint = "saving…"
	}
	b.WriteString("\n" + m.st.Dim.Render(hint))
}

func (m *Model) viewSummary(b *strings.Builder) {
	b.WriteString(m.st.Title.Render("Rotation review finished") + "\n\n")
	if len(m.queue) == 0 {
		b.WriteString("Nothing needs attention.\n")
	} else {
		fmt.Fprintf(b, "%d of %d secrets reviewed: %s\n\n", len(m.decisions), len(m.queue), m.counts())
		// Three columns: the outcome, the name padded to the longest
		// (at most half the screen), the note in what is left, so that
		// the notes line up and nothing runs past the edge.
		w := max(20, m.width)
		nameW := 0
		for _, d := range m.decisions {
			nameW = max(nameW, ansi.StringWidth(vault.Sanitize(d.Name)))
		}
		nameW = min(nameW, max(10, w/2))
		for _, d := range m.decisions {
			name := ansi.Truncate(vault.Sanitize(d.Name), nameW, "…")
			line := fmt.Sprintf("  %-8s %s", word(d.Op), name)
			if d.Note != "" && d.Op != "skip" {
				line += strings.Repeat(" ", nameW-ansi.StringWidth(name))
				if rest := w - 2 - 8 - 1 - nameW - 2; rest >= 4 {
					line += m.st.Dim.Render("  " + ansi.Truncate(vault.Sanitize(d.Note), rest, "…"))
				}
			}
			b.WriteString(line + "\n")
		}
	}
	b.WriteString("\n" + m.st.Dim.Render("enter or q to close"))
}

func word(op vault.Op) string {
	switch op {
	case vault.OpRotate:
		return "rotated"
	case vault.OpSnooze:
		return "snoozed"
	case vault.OpPolicy:
		return "policy"
	case vault.OpDisable:
		return "disabled"
	}
	return "skipped"
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.DateOnly)
}

func wrap(s string, w int) string { return lipgloss.NewStyle().Width(w).Render(s) }
