package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"locket/internal/clip"
	"locket/internal/ref"
	"locket/tui/keys"
	"locket/vault"
)

// updateMain handles the list and detail screen.
func (m *Model) updateMain(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		if m.filtering {
			var cmd tea.Cmd
			m.filter, cmd = m.filter.Update(msg)
			return cmd
		}
		return nil
	}
	if m.filtering {
		return m.updateFilter(k)
	}
	km := &m.km
	if r := m.refuse(k, km.New, km.Edit, km.Tags, km.Delete, km.Toggle, km.Export, km.Import); r != nil {
		_, cmd := m.update(r)
		return cmd
	}
	switch {
	case key.Matches(k, km.Quit):
		return m.quit()
	case key.Matches(k, km.Help):
		m.clearStatus()
		m.back, m.state = stateMain, stateHelp
	case key.Matches(k, km.Filter):
		m.filtering = true
		m.detailFocus = false
		m.resize()
		return m.filter.Focus()
	case m.detailFocus && key.Matches(k, km.Up):
		m.scrollDetail(-1)
	case m.detailFocus && key.Matches(k, km.Down):
		m.scrollDetail(1)
	case key.Matches(k, km.Up):
		m.moveBy(-1)
	case key.Matches(k, km.Down):
		m.moveBy(1)
	case key.Matches(k, km.PageUp):
		m.moveBy(-max(1, m.list.height-2))
	case key.Matches(k, km.PageDown):
		m.moveBy(max(1, m.list.height-2))
	case key.Matches(k, km.Home):
		m.moveBy(-len(m.list.rows))
	case key.Matches(k, km.End):
		m.moveBy(len(m.list.rows))
	case key.Matches(k, km.Open):
		if m.list.selected() != nil {
			m.detailFocus = true
			m.list.focus = false
			m.resize()
		}
	case key.Matches(k, km.Back):
		m.hide()
		switch {
		case m.detailFocus:
			m.detailFocus = false
			m.list.focus = true
			m.resize()
		case m.filter.Value() != "":
			m.filter.Reset()
			m.resize()
			return m.runFilter()
		}
	case key.Matches(k, km.Sort):
		m.sortBy = (m.sortBy + 1) % 3
		if m.ix != nil {
			// A new index, not a sorted one in place: a filter command
			// may still be reading the old one.
			ix := &index{entries: slices.Clone(m.ix.entries), statusW: m.ix.statusW, nameW: m.ix.nameW}
			ix.sort(m.sortBy)
			m.ix = ix
			m.result = filterResult{}
			m.list.setRows(m.ix, m.ix.all())
			m.setStatus("sorted by "+m.sortBy.String(), false)
			return m.runFilter()
		}
	case key.Matches(k, km.Reveal):
		return m.toggleReveal()
	case key.Matches(k, km.Copy):
		return m.copySelected()
	case key.Matches(k, km.CopyRef):
		return m.copyReference()
	case key.Matches(k, km.New):
		return m.open(stateForm, newForm(m.env, nil, m.cfg.Generate))
	case key.Matches(k, km.Edit):
		if s := m.list.selected(); s != nil {
			return m.open(stateForm, newForm(m.env, s, m.cfg.Generate))
		}
	case key.Matches(k, km.Tags):
		if s := m.list.selected(); s != nil {
			return m.open(stateTags, newTags(m.env, s))
		}
	case key.Matches(k, km.History):
		if s := m.list.selected(); s != nil {
			return m.open(stateHistory, newHistory(m.env, s))
		}
	case key.Matches(k, km.Delete):
		if s := m.list.selected(); s != nil {
			name := s.Name
			return m.ask(fmt.Sprintf("Delete %s?\nIt goes to the trash and can be recovered for %s.", vault.Sanitize(name), vault.FormatWords(m.settings.Retention)),
				m.act("deleted "+vault.Sanitize(name)+" (in the trash; T to see it)", "", func(ctx context.Context, v vault.Service) error {
					return v.Delete(ctx, name)
				}))
		}
	case key.Matches(k, km.Toggle):
		if s := m.list.selected(); s != nil {
			name, enable := s.Name, !s.Enabled
			word := map[bool]string{true: "enabled ", false: "disabled "}[enable]
			m.hide()
			return m.act(word+vault.Sanitize(name), name, func(ctx context.Context, v vault.Service) error {
				return v.Update(ctx, name, vault.Attributes{Enabled: &enable})
			})
		}
	case key.Matches(k, km.Trash):
		return m.open(stateTrash, newTrash(m.env, m.trashed))
	case key.Matches(k, km.Export):
		return m.open(stateBackup, newBackupScreen(m.env, true, m.now().Format("2006-01-02")))
	case key.Matches(k, km.Import):
		return m.open(stateBackup, newBackupScreen(m.env, false, ""))
	case key.Matches(k, km.Review):
		if m.cfg.Review != nil && m.v != nil {
			m.hide()
			m.clearStatus()
			m.review = m.cfg.Review(m.ctx, m.v, m.cfg.Now, m.readOnly, m.st, m.km)
			if c, ok := m.review.(copyTaker); ok {
				c.SetCopy(m.copyGenerated)
			}
			m.review.SetSize(m.width, m.height)
			m.state = stateReview
			return m.review.Init()
		}
	default:
		if !m.km.Copy.Enabled() && k.String() == "c" {
			m.setStatus("copy is not available in this build", true)
		}
	}
	return nil
}

// updateFilter handles keys while the filter line has focus: the query
// is applied as it is typed.
func (m *Model) updateFilter(k tea.KeyMsg) tea.Cmd {
	switch {
	case k.Type == tea.KeyEsc:
		m.filtering = false
		m.filter.Blur()
		m.filter.Reset()
		m.resize()
		return m.runFilter()
	case k.Type == tea.KeyEnter:
		m.filtering = false
		m.filter.Blur()
		m.resize()
		return nil
	case k.Type == tea.KeyUp:
		m.moveBy(-1)
		return nil
	case k.Type == tea.KeyDown:
		m.moveBy(1)
		return nil
	}
	before := m.filter.Value()
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(k)
	if m.filter.Value() != before {
		return tea.Batch(cmd, m.runFilter())
	}
	return cmd
}

// moveBy moves the cursor and hides a value revealed for another secret.
func (m *Model) moveBy(n int) {
	prev := m.list.selected()
	m.list.move(n)
	m.afterMove(prev)
}

func (m *Model) afterMove(prev *vault.Secret) {
	cur := m.list.selected()
	if m.revealedName != "" && (cur == nil || cur.Name != m.revealedName) {
		m.hide()
	}
	if prev != cur {
		m.detailTop = 0
	}
}

// toggleReveal shows or hides the selected secret's current value. The
// value is fetched only now, through the audited Get.
func (m *Model) toggleReveal() tea.Cmd {
	s := m.list.selected()
	if s == nil {
		return nil
	}
	if m.revealedName == s.Name {
		m.hide()
		return nil
	}
	if !s.Enabled {
		m.setStatus("the secret is disabled; x enables it", true)
		return nil
	}
	v, ctx, name := m.v, m.ctx, s.Name
	return func() tea.Msg {
		val, ver, err := v.Get(ctx, name, 0, vault.OpReveal)
		return RevealedMsg{Name: name, Version: ver.Number, Value: val, Err: err}
	}
}

func (m *Model) onRevealed(msg RevealedMsg) {
	if msg.Err != nil {
		m.setErr(msg.Err)
		return
	}
	if m.state == stateHistory && m.child != nil {
		m.updateChild(msg)
		return
	}
	cur := m.list.selected()
	if m.state != stateMain || cur == nil || cur.Name != msg.Name {
		clear(msg.Value) // the user moved on meanwhile
		return
	}
	m.hide()
	m.revealed, m.revealedName = msg.Value, msg.Name
}

// errNoClipboard is why `c` cannot copy: no clipboard tool was given and
// the terminal's clipboard (OSC 52) is off.
var errNoClipboard = errors.New("copy is not available: no clipboard, and clipboard-osc52 is off")

// copier is the one way the TUI puts a value on the clipboard: through
// the terminal when clipboard-osc52 is on, and through Config.Copy, which
// clears it after ClearAfter. It returns errNoClipboard when there is
// neither, or Config.CopyUnavailable when only the tool could carry it
// and it cannot work here. put never keeps val; the caller clears it.
func (m *Model) copier() (put func(ctx context.Context, name string, val []byte) CopiedMsg, err error) {
	osc := m.osc52On()
	if m.cfg.Copy == nil && !osc {
		return nil, errNoClipboard
	}
	copyFn, after, now, term := m.cfg.Copy, m.cfg.ClearAfter, m.now, m.cfg.OSC52
	if unavailable := m.cfg.CopyUnavailable; unavailable != nil {
		if !osc {
			return nil, unavailable
		}
		copyFn = nil // the terminal's clipboard alone
	}
	return func(ctx context.Context, name string, val []byte) CopiedMsg {
		if osc {
			if _, err := io.WriteString(term, clip.OSC52(val)); err != nil {
				return CopiedMsg{Name: name, Err: fmt.Errorf("copy through the terminal: %w", err)}
			}
		}
		if copyFn != nil {
			if err := copyFn(ctx, val, after); err != nil && !osc {
				return CopiedMsg{Name: name, Err: err}
			}
		}
		return CopiedMsg{Name: name, Until: now().Add(after), OSC52: osc}
	}, nil
}

// copySelected copies the current value; the clipboard clears itself.
// With clipboard-osc52 on, the value also goes through the terminal,
// which is enough on its own over SSH, where there is no clipboard.
func (m *Model) copySelected() tea.Cmd {
	s := m.list.selected()
	if s == nil {
		return nil
	}
	put, err := m.copier()
	if errors.Is(err, errNoClipboard) {
		m.setStatus(err.Error(), true)
		return nil
	}
	if !s.Enabled {
		m.setStatus("the secret is disabled; x enables it", true)
		return nil
	}
	v, ctx, name := m.v, m.ctx, s.Name
	if err != nil {
		// The value never leaves the vault, so no copy is audited.
		return func() tea.Msg { return CopiedMsg{Name: name, Err: err} }
	}
	return func() tea.Msg {
		val, _, err := v.Get(ctx, name, 0, vault.OpCopy)
		if err != nil {
			return CopiedMsg{Name: name, Err: err}
		}
		defer clear(val)
		return put(ctx, name, val)
	}
}

// copyGenerated is the rotation review's `c`: it copies the value the
// review generated for name, before it is saved, the way `c` copies a
// stored value (and the clipboard clears itself the same way). Nothing
// is read from the vault, so nothing is audited; val is the caller's.
func (m *Model) copyGenerated(name string, val []byte) tea.Cmd {
	put, err := m.copier()
	label := name + " (new value)"
	if err != nil {
		return func() tea.Msg { return CopiedMsg{Name: label, Err: err} }
	}
	val = bytes.Clone(val)
	ctx := m.ctx
	return func() tea.Msg {
		defer clear(val)
		return put(ctx, label, val)
	}
}

// copyReference copies the selected secret's locket:// reference, for an
// env file or a template. A reference is not a secret: it is neither
// audited nor read from the vault, and works on a disabled secret too.
// It goes the way a value does, so it is cleared after the same delay.
func (m *Model) copyReference() tea.Cmd {
	s := m.list.selected()
	osc := m.osc52On()
	if s == nil {
		return nil
	}
	if m.cfg.Copy == nil && !osc || m.cfg.CopyUnavailable != nil && !osc {
		m.setStatus("copy is not available: no clipboard, and clipboard-osc52 is off", true)
		return nil
	}
	r := ref.ForName(s.Name)
	copyFn, after, term := m.cfg.Copy, m.cfg.ClearAfter, m.cfg.OSC52
	if m.cfg.CopyUnavailable != nil {
		copyFn = nil
	}
	return func() tea.Msg {
		if osc {
			if _, err := io.WriteString(term, clip.OSC52([]byte(r))); err != nil {
				return RefCopiedMsg{Err: fmt.Errorf("copy through the terminal: %w", err)}
			}
		}
		if copyFn != nil {
			if err := copyFn(context.Background(), []byte(r), after); err != nil && !osc {
				return RefCopiedMsg{Err: err}
			}
		}
		return RefCopiedMsg{Ref: r}
	}
}

// onMouse scrolls the active list with the wheel.
func (m *Model) onMouse(msg tea.MouseMsg) tea.Cmd {
	step := 0
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		step = -3
	case tea.MouseButtonWheelDown:
		step = 3
	default:
		return nil
	}
	switch m.state {
	case stateMain:
		if m.detailFocus {
			m.scrollDetail(step)
		} else {
			m.moveBy(step)
		}
	case stateHistory, stateTrash:
		if m.child != nil {
			return m.updateChild(msg)
		}
	case stateReview:
		if m.review != nil {
			nm, cmd := m.review.Update(msg)
			if sm, ok := nm.(SubModel); ok {
				m.review = sm
			}
			return cmd
		}
	}
	return nil
}

// mainView draws the list and the detail pane.
func (m *Model) mainView() string {
	count := plural(len(m.secrets), "secret")
	if m.ix != nil && len(m.list.rows) != len(m.ix.entries) {
		count = fmt.Sprintf("%d of %s", len(m.list.rows), plural(len(m.ix.entries), "secret"))
	}
	if n := len(m.trashed); n > 0 {
		count += fmt.Sprintf(" · %d in trash", n)
	}
	head := m.header(count + " · sort: " + m.sortBy.String())
	lw, lh, dw, dh := m.layout()
	// A status that wraps onto a second line takes one from the body.
	m.list.SetSize(lw, lh)
	detail := m.detailView(dw, dh)
	var body string
	switch {
	case m.detailFocus:
		body = detail
	case m.wide():
		sep := strings.TrimSuffix(strings.Repeat(m.st.Dim.Render(" │ ")+"\n", lh), "\n")
		body = joinColumns(m.list.View(&m.st, m.now(), m.sortBy), sep, detail)
	default:
		body = m.list.View(&m.st, m.now(), m.sortBy) + "\n" + m.st.Dim.Render(strings.Repeat("─", lw)) + "\n" + detail
	}
	var foot []string
	if m.filtering || m.filter.Value() != "" {
		foot = append(foot, pad(m.filter.View(), m.width))
	}
	foot = append(foot, m.statusLine(), m.help.ShortHelpView(m.mainHelp()))
	return head + "\n" + body + "\n" + strings.Join(foot, "\n")
}

// mainHelp is the one-line help of the main screen, by focus.
func (m *Model) mainHelp() keys.Bindings {
	km := m.km
	if m.filtering {
		return keys.Bindings{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear")),
			key.NewBinding(key.WithKeys("up"), key.WithHelp("↑/↓", "move")),
		}
	}
	b := keys.Bindings{km.Filter, km.Open, km.Reveal, km.Copy, km.New, km.Edit, km.History, km.Delete, km.Trash, km.Lock, km.Help, km.Quit}
	if m.detailFocus {
		b = keys.Bindings{km.Back, keyHelp("↑/↓", "scroll"), km.Reveal, km.Copy, km.CopyRef, km.Edit, km.Tags, km.History, km.Toggle, km.Delete, km.Help}
	}
	return enabled(b)
}

// enabled drops disabled bindings (read-only hides changing actions).
func enabled(b keys.Bindings) keys.Bindings {
	out := b[:0:0]
	for _, k := range b {
		if k.Enabled() {
			out = append(out, k)
		}
	}
	return out
}

// joinColumns places blocks of equal height side by side.
func joinColumns(blocks ...string) string {
	split := make([][]string, len(blocks))
	n := 0
	for i, b := range blocks {
		split[i] = strings.Split(b, "\n")
		n = max(n, len(split[i]))
	}
	var out strings.Builder
	for r := 0; r < n; r++ {
		if r > 0 {
			out.WriteByte('\n')
		}
		for _, ls := range split {
			if r < len(ls) {
				out.WriteString(ls[r])
			}
		}
	}
	return out.String()
}

// detailView draws the selected secret: metadata, tags, the masked or
// revealed value and the versions.
func (m *Model) detailView(w, h int) string {
	if h <= 0 || w <= 0 {
		return ""
	}
	b := m.detailLines(w)
	// Update keeps detailTop in range; a resize since may have shortened
	// the content, so the view clamps a copy (views change nothing).
	top := max(0, min(m.detailTop, len(b)-h))
	return lines(strings.Join(b[top:], "\n"), w, h)
}

// scrollDetail moves the detail pane by n lines, within its content.
func (m *Model) scrollDetail(n int) {
	_, _, dw, dh := m.layout()
	m.detailTop = max(0, min(m.detailTop+n, len(m.detailLines(dw))-dh))
}

// detailLines are the detail pane's lines at width w, unscrolled.
func (m *Model) detailLines(w int) []string {
	e := m.list.selectedEntry()
	if e == nil {
		msg := "no secret selected"
		if m.ix != nil && len(m.ix.entries) == 0 {
			msg = "the vault is empty; n creates a secret"
		}
		if m.ix == nil {
			msg = "loading…"
		}
		return []string{m.st.Dim.Render(msg)}
	}
	s, now, st := e.s, m.now(), &m.st
	cur := s.Current()
	row := func(label, value string) string {
		return st.Label.Render(pad(label, 12)) + value
	}
	var b []string
	b = append(b, st.Title.Render(fit(s.Name, w)))
	b = append(b, row("status", st.StatusWord(e.status)+st.Dim.Render(statusReason(s, e.status, now, m.settings))))
	if at, ok := s.Tags[vault.TagGitRejected]; ok {
		// git refused this credential: say so where the eye lands, since
		// the helper keeps it rather than throwing it away.
		refused := "refused by a git server"
		if t, err := time.Parse(time.RFC3339, at); err == nil {
			refused += " " + when(now, t)
		}
		b = append(b, row("git", st.Error.Render(fit(refused, w-12))))
	}
	// The value comes first, so that it shows on the smallest screen.
	switch {
	case !s.Enabled:
		b = append(b, row("value", st.Dim.Render("withheld: the secret is disabled")))
	case m.revealedName == s.Name && vault.IsOTP(cur.ContentType):
		// A TOTP seed shows its current code, not the seed. The TUI's
		// one-second tick redraws it; nothing ticks for it otherwise.
		code, err := vault.TOTP(m.revealed, now)
		if err != nil {
			b = append(b, row("code", st.Error.Render(err.Error())))
			break
		}
		b = append(b, row("code", st.Revealed.Render(code.Code)+st.Dim.Render(fmt.Sprintf(" · %ds left · space hides", int(code.Remaining.Seconds())))))
	case m.revealedName == s.Name:
		b = append(b, row("value", st.Dim.Render(fmt.Sprintf("space hides · %d bytes", len(m.revealed)))))
		for _, l := range strings.Split(vault.SanitizeMultiline(string(m.revealed)), "\n") {
			b = append(b, "  "+st.Revealed.Render(pad(strings.ReplaceAll(l, "\t", "    "), w-2)))
		}
	case vault.IsOTP(cur.ContentType):
		b = append(b, row("code", st.Masked.Render("••••••")+st.Dim.Render(" space shows the one-time code")))
	default:
		b = append(b, row("value", st.Masked.Render("••••••••")+st.Dim.Render(fmt.Sprintf(" space reveals · %d bytes", cur.Size))))
	}
	b = append(b, "")
	b = append(b, row("version", fmt.Sprintf("%d of %d", cur.Number, len(s.Versions))))
	ct := cur.ContentType
	if ct == "" {
		ct = "-"
	}
	b = append(b, row("type", fit(ct, w-12)))
	b = append(b, row("reference", fit(ref.ForName(s.Name), w-12)))
	b = append(b, row("updated", when(now, cur.Created)))
	b = append(b, row("by", fit(cur.Actor, w-12)))
	b = append(b, row("created", when(now, s.Created)))
	if !cur.Expires.IsZero() {
		b = append(b, row("expires", when(now, cur.Expires)))
	}
	if !cur.NotBefore.IsZero() {
		b = append(b, row("not before", when(now, cur.NotBefore)))
	}
	b = append(b, row("rotate", "every "+vault.FormatDuration(s.RotateEvery(m.settings))+", stale "+relative(now, s.StaleAt(m.settings))))
	if len(s.Tags) == 0 {
		b = append(b, row("tags", st.Dim.Render("none")))
	}
	for i, k := range sortedKeys(s.Tags) {
		label := ""
		if i == 0 {
			label = "tags"
		}
		b = append(b, row(label, st.Tag.Render(fit(k+"="+s.Tags[k], w-12))))
	}
	b = append(b, m.healthLines(s, w, row)...)
	if m.detailFocus || m.wide() {
		b = append(b, m.timelineLines(s, w)...)
	}
	return b
}

func sortedKeys(tags map[string]string) []string {
	ks := make([]string, 0, len(tags))
	for k := range tags {
		ks = append(ks, k)
	}
	sortStrings(ks)
	return ks
}

// statusReason says why a secret has its status, in a few words.
func statusReason(s *vault.Secret, st vault.Status, now time.Time, set vault.Settings) string {
	cur := s.Current()
	switch st {
	case vault.StatusExpired:
		return " · expired " + vault.FormatShort(now.Sub(cur.Expires)) + " ago"
	case vault.StatusStale:
		return " · not rotated for " + vault.FormatShort(now.Sub(cur.Created))
	case vault.StatusDue:
		when, expiring := s.DueBy(now, set)
		if expiring {
			return " · expires in " + vault.FormatShort(when.Sub(now))
		}
		return " · stale in " + vault.FormatShort(when.Sub(now))
	case vault.StatusSnoozed:
		return " · until " + s.SnoozedUntil().Local().Format("2006-01-02")
	case vault.StatusNotYetValid:
		return " · valid from " + cur.NotBefore.Local().Format("2006-01-02")
	case vault.StatusDisabled:
		return " · value withheld"
	}
	return ""
}

// helpView is the full key map, in as many columns as fit, scrolled by
// helpTop.
func (m *Model) helpView() string {
	ls, h := m.helpLines(), m.helpHeight()
	top := max(0, min(m.helpTop, len(ls)-h))
	return m.header("help") + "\n" + lines(strings.Join(ls[top:], "\n"), m.width, h) + "\n" + m.statusLine() + "\n" +
		m.help.ShortHelpView(keys.Bindings{m.km.Back, keyHelp("↑/↓", "scroll")})
}

func (m *Model) helpHeight() int { return m.height - 2 - m.statusHeight() }

// scrollHelp moves the help screen by n lines, within its content.
func (m *Model) scrollHelp(n int) {
	m.helpTop = max(0, min(m.helpTop+n, len(m.helpLines())-m.helpHeight()))
}

// helpLines are the help screen's lines, unscrolled.
func (m *Model) helpLines() []string {
	// Columns go side by side while they fit and wrap to a new row when
	// they do not: help's own view cuts the last columns off instead.
	// help measures with no width limit, or it would cut rather than say.
	hm := m.help
	hm.Width = 0
	var parts []string
	var row [][]key.Binding
	for _, g := range m.km.FullHelp() {
		next := append(slices.Clone(row), g)
		if len(row) > 0 && lipgloss.Width(hm.FullHelpView(next)) > m.width {
			parts = append(parts, hm.FullHelpView(row))
			next = [][]key.Binding{g}
		}
		row = next
	}
	parts = append(parts, hm.FullHelpView(row))
	body := m.st.Title.Render("Keys") + "\n\n" + strings.Join(parts, "\n\n") + "\n\n" +
		m.st.Title.Render("Filter") + "\n" +
		"  words      fuzzy on names and tags\n" +
		"             (pdbpw finds prod/db/password)\n" +
		"  tag:k=v    tagged k with a value starting v (tag:env=prod)\n" +
		"  tag:k      a tag whose key starts with k (tag:owner)\n" +
		"  status:s   status starting s (status:stale, status:exp)\n"
	if m.cfg.ReadOnly {
		body += "\n" + m.st.Warning.Render("read-only: actions that change the vault are not offered")
	}
	return strings.Split(body, "\n")
}

var errNoGenerate = errors.New("generating values is not available in this build")
