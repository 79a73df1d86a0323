package tui

import (
	"fmt"
	"github.com/charmbracelet/x/ansi"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"locket/vault"
)

// timelineDelay is how long the cursor must rest on a secret before its
// timeline is read: the timeline scans the audit log, which is too much
// work for every step of a held-down arrow key. Tests set it to zero.
var timelineDelay = 150 * time.Millisecond

// healthMsg carries the health findings of one load: the values are read
// once per load, by vault.Check, off the UI.
type healthMsg struct {
	load   uint64
	byName map[string][]vault.HealthIssue
	err    error
}

// timelineDueMsg says the cursor rested on name long enough.
type timelineDueMsg struct{ name string }

// timelineMsg carries one secret's lifecycle timeline.
type timelineMsg struct {
	load    uint64
	name    string
	entries []vault.TimelineEntry
	err     error
}

// lifecycle caches what the detail pane shows beside the metadata: the
// health findings of the last load and the selected secret's timeline.
type lifecycle struct {
	// load counts reads of the vault; results of an older one are dropped.
	load uint64
	// health is nil until Check has reported for this load.
	health map[string][]vault.HealthIssue
	// healthErr is why Check failed, shown instead of the findings.
	healthErr string

	name     string // the secret the timeline belongs to
	timeline []vault.TimelineEntry
	tlErr    string
	pending  string // the secret a timeline is being waited for
}

// reset forgets everything (on lock and after a change).
func (l *lifecycle) reset() {
	*l = lifecycle{load: l.load + 1}
}

// checkHealth runs vault.Check for the current load, off the UI.
func (m *Model) checkHealth() tea.Cmd {
	v, ctx, at, load := m.v, m.ctx, m.now(), m.life.load
	if v == nil {
		return nil
	}
	return func() tea.Msg {
		fs, err := v.Check(ctx, at)
		byName := make(map[string][]vault.HealthIssue)
		for _, f := range fs {
			if len(f.Health) > 0 {
				byName[f.Name] = f.Health
			}
		}
		return healthMsg{load: load, byName: byName, err: err}
	}
}

func (m *Model) onHealth(msg healthMsg) {
	if msg.load != m.life.load || m.v == nil {
		return
	}
	m.life.health, m.life.healthErr = msg.byName, ""
	if msg.err != nil {
		m.life.health, m.life.healthErr = map[string][]vault.HealthIssue{}, vault.Sanitize(msg.err.Error())
	}
	m.list.health = m.life.health
}

// wantTimeline asks for the selected secret's timeline when the detail
// pane shows it and it is not cached: after timelineDelay, not per frame.
func (m *Model) wantTimeline() tea.Cmd {
	if m.state != stateMain || m.v == nil || (!m.wide() && !m.detailFocus) {
		return nil
	}
	s := m.list.selected()
	if s == nil || s.Name == m.life.name || s.Name == m.life.pending {
		return nil
	}
	name := s.Name
	m.life.pending = name
	return tea.Tick(timelineDelay, func(time.Time) tea.Msg { return timelineDueMsg{name} })
}

// onTimelineDue reads the timeline if the cursor is still on the secret.
func (m *Model) onTimelineDue(msg timelineDueMsg) tea.Cmd {
	s := m.list.selected()
	if m.v == nil || m.life.pending != msg.name || s == nil || s.Name != msg.name {
		return nil
	}
	v, ctx, load, name := m.v, m.ctx, m.life.load, msg.name
	return func() tea.Msg {
		tl, err := v.Timeline(ctx, name)
		return timelineMsg{load: load, name: name, entries: tl, err: err}
	}
}

func (m *Model) onTimeline(msg timelineMsg) {
	if msg.load != m.life.load || msg.name != m.life.pending {
		return
	}
	m.life.pending = ""
	m.life.name, m.life.timeline, m.life.tlErr = msg.name, msg.entries, ""
	if msg.err != nil {
		m.life.timeline, m.life.tlErr = nil, vault.Sanitize(msg.err.Error())
	}
}

// healthWord is the list's one-word summary of a secret's health issues.
func healthWord(issues []vault.HealthIssue) string {
	if len(issues) == 0 {
		return ""
	}
	if issues[0].Kind == vault.HealthName {
		return "=name"
	}
	return issues[0].Kind
}

// healthLines are the detail pane's health rows.
func (m *Model) healthLines(s *vault.Secret, w int, row func(label, value string) string) []string {
	st := &m.st
	switch {
	case m.life.healthErr != "":
		return []string{row("health", st.Error.Render(fit("not checked: "+m.life.healthErr, w-12)))}
	case m.life.health == nil:
		return []string{row("health", st.Dim.Render("checking…"))}
	}
	issues := m.life.health[s.Name]
	if len(issues) == 0 {
		return []string{row("health", st.Dim.Render("no problem found"))}
	}
	var out []string
	for i, h := range issues {
		label := ""
		if i == 0 {
			label = "health"
		}
		out = append(out, row(label, st.Warning.Render(fit(h.Kind+": "+h.Reason, w-12))))
	}
	return out
}

// timelineLines are the detail pane's lifecycle section, newest first:
// the cached timeline of s, or its versions alone until that is read.
func (m *Model) timelineLines(s *vault.Secret, w int) []string {
	st, now := &m.st, m.now()
	out := []string{"", m.st.Label.Render("timeline") + st.Dim.Render(" (h for history)")}
	tl := m.life.timeline
	if m.life.name != s.Name {
		tl = versionsTimeline(s, now)
	}
	if m.life.name == s.Name && m.life.tlErr != "" {
		out = append(out, "  "+st.Error.Render(fit(m.life.tlErr, w-2)))
	}
	const most = 8
	// The "what" column is as wide as its widest entry shown, so that
	// "v12 rollback" is never cut to "v12 rollba…".
	whatW := 10
	for i, e := range tl {
		if i < most {
			whatW = max(whatW, ansi.StringWidth(vault.Sanitize(timelineWhat(e))))
		}
	}
	for i, e := range tl {
		if i == most {
			out = append(out, st.Dim.Render(fmt.Sprintf("  … %d older (h for history)", len(tl)-most)))
			break
		}
		current := e.Kind == "version" && e.Version == s.Current().Number
		out = append(out, "  "+timelineEntry(st.Dim.Render, e, current, w-2, whatW))
	}
	return out
}

// timelineWhat is an entry's kind: "v3 rotate" for a version, else the
// event's kind.
func timelineWhat(e vault.TimelineEntry) string {
	if e.Kind != "version" {
		return e.Kind
	}
	what := fmt.Sprintf("v%d", e.Version)
	if e.Op != "" {
		what += " " + string(e.Op)
	}
	return what
}

// versionsTimeline is a timeline made of the versions alone.
func versionsTimeline(s *vault.Secret, now time.Time) []vault.TimelineEntry {
	out := make([]vault.TimelineEntry, 0, len(s.Versions))
	for i := len(s.Versions) - 1; i >= 0; i-- {
		ver := s.Versions[i]
		end := now
		if i+1 < len(s.Versions) {
			end = s.Versions[i+1].Created
		}
		out = append(out, vault.TimelineEntry{Time: ver.Created, Kind: "version", Version: ver.Number, Lived: end.Sub(ver.Created), Actor: ver.Actor})
	}
	return out
}

// timelineEntry draws one entry: "2026-01-02  v3 rotate  current 58d · note".
func timelineEntry(dim func(...string) string, e vault.TimelineEntry, current bool, w, whatW int) string {
	what := timelineWhat(e)
	var detail []string
	if e.Kind == "version" {
		if current {
			detail = append(detail, "current "+vault.FormatShort(e.Lived))
		} else {
			detail = append(detail, "lived "+vault.FormatShort(e.Lived))
		}
	}
	if e.Note != "" {
		detail = append(detail, e.Note)
	}
	line := e.Time.Local().Format("2006-01-02") + "  " + pad(vault.Sanitize(what), whatW)
	rest := w - 12 - whatW - 1
	if len(detail) == 0 || rest < 4 {
		return pad(line, w)
	}
	return line + " " + dim(fit(strings.Join(detail, " · "), rest))
}
