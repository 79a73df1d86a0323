package tui

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"locket/tui/keys"
	"locket/tui/styles"
	"locket/vault"
)

func TestMouseWheelScrolls(t *testing.T) {
	t.Parallel()
	m := openModel(t, shared(t), Config{}, 80, 24)
	defer func() { m.v = nil }()
	send(t, m, tea.MouseMsg{Button: tea.MouseButtonWheelDown, Action: tea.MouseActionPress})
	if m.list.cursor != 3 {
		t.Fatalf("wheel down moved the cursor to %d, want 3", m.list.cursor)
	}
	send(t, m, tea.MouseMsg{Button: tea.MouseButtonWheelUp, Action: tea.MouseActionPress})
	if m.list.cursor != 0 {
		t.Fatalf("wheel up moved the cursor to %d, want 0", m.list.cursor)
	}
}

func TestSortCycles(t *testing.T) {
	t.Parallel()
	m := openModel(t, shared(t), Config{}, 120, 40)
	defer func() { m.v = nil }()
	press(t, m, "s")
	if m.sortBy != sortAge || m.list.selected() == nil {
		t.Fatal("s did not sort by age")
	}
	for i := 1; i < len(m.list.rows); i++ {
		a, b := m.ix.entries[m.list.rows[i-1]].s, m.ix.entries[m.list.rows[i]].s
		if b.Current().Created.Before(a.Current().Created) {
			t.Fatalf("sorted by age, but %s comes after the newer %s", b.Name, a.Name)
		}
	}
	if m.list.selected().Name != "ci/codecov/token" {
		t.Errorf("sorting lost the selected secret: now on %s", m.list.selected().Name)
	}
	press(t, m, "s")
	if m.sortBy != sortStatus || m.ix.entries[m.list.rows[0]].status != "expired" {
		t.Fatalf("sort by status: first status %q", m.ix.entries[m.list.rows[0]].status)
	}
	if !strings.Contains(m.View(), "sort: status") {
		t.Error("the header does not say how the list is sorted")
	}
	press(t, m, "s")
	if m.sortBy != sortName {
		t.Fatal("sort does not cycle back to name")
	}
}

func TestLeavingASecretHidesItsValue(t *testing.T) {
	t.Parallel()
	m := openModel(t, shared(t), Config{}, 120, 40)
	defer func() { m.v = nil }()
	press(t, m, "/")
	typeText(t, m, "personal/bank/pin")
	press(t, m, "enter", "space")
	if !strings.Contains(m.View(), "4821") {
		t.Fatal("space did not reveal the value")
	}
	press(t, m, "esc")
	if m.revealed != nil || strings.Contains(m.View(), "4821") {
		t.Fatal("the value stayed revealed after leaving the detail")
	}
	press(t, m, "space", "down")
	if m.revealed != nil {
		t.Fatal("the value stayed revealed after moving to another secret")
	}
}

// fakeReview stands in for package review: esc sends ReviewDoneMsg.
type fakeReview struct{ w, h int }

func (f *fakeReview) Init() tea.Cmd    { return nil }
func (f *fakeReview) View() string     { return "FAKE REVIEW" }
func (f *fakeReview) SetSize(w, h int) { f.w, f.h = w, h }
func (f *fakeReview) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok && k.Type == tea.KeyEsc {
		return f, func() tea.Msg { return ReviewDoneMsg{Status: "review: 2 rotated"} }
	}
	return f, nil
}

func TestReviewIntegration(t *testing.T) {
	t.Parallel()
	fake := &fakeReview{}
	cfg := Config{Review: func(context.Context, vault.Service, func() time.Time, bool, styles.Styles, keys.KeyMap) SubModel {
		return fake
	}}
	m := openModel(t, shared(t), cfg, 100, 30)
	defer func() { m.v = nil }()
	press(t, m, "R")
	if m.state != stateReview || !strings.Contains(m.View(), "FAKE REVIEW") || fake.w != 100 || fake.h != 30 {
		t.Fatalf("R did not open the review at the screen's size (%dx%d)", fake.w, fake.h)
	}
	press(t, m, "esc")
	if m.state != stateMain || !strings.Contains(m.View(), "review: 2 rotated") {
		t.Fatalf("the review's outcome is not in the status line:\n%s", m.View())
	}
}

// TestNoColorKeepsWords checks that termenv, which lipgloss draws with,
// drops colour under NO_COLOR, and that the status words remain.
func TestNoColorKeepsWords(t *testing.T) {
	t.Setenv("TERM", "xterm-256color")
	t.Setenv("COLORTERM", "truecolor")
	out := termenv.NewOutput(io.Discard, termenv.WithTTY(true))
	if p := out.EnvColorProfile(); p == termenv.Ascii {
		t.Fatal("a colour terminal was detected as having no colour")
	}
	t.Setenv("NO_COLOR", "1")
	if p := out.EnvColorProfile(); p != termenv.Ascii {
		t.Fatalf("NO_COLOR gave profile %v, want Ascii", p)
	}
	st := styles.Default()
	for _, s := range vault.Statuses {
		if got := st.StatusWord(s); got != string(s) {
			t.Errorf("without colour, status %q renders as %q", s, got)
		}
	}
}

func TestOtherScreensHideTheValue(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"?", "t", "T", "h", "e", "n", "d"} {
		m := openModel(t, shared(t), Config{}, 120, 40)
		press(t, m, "/")
		typeText(t, m, "personal/bank/pin")
		press(t, m, "enter", "space")
		if m.revealed == nil {
			t.Fatal("space did not reveal")
		}
		press(t, m, k)
		if m.revealed != nil || strings.Contains(m.View(), "4821") {
			t.Errorf("%s kept the value revealed", k)
		}
		m.v = nil
	}
}

func TestTinyTerminalsDoNotBreak(t *testing.T) {
	t.Parallel()
	for _, sz := range [][2]int{{1, 1}, {20, 5}, {39, 9}, {40, 10}, {59, 14}} {
		m := openModel(t, shared(t), Config{}, sz[0], sz[1])
		for _, k := range []string{"", "enter", "h", "esc", "T", "esc", "n", "esc", "?"} {
			if k != "" {
				press(t, m, k)
			}
			if out := m.View(); len(strings.Split(out, "\n")) != sz[1] {
				t.Errorf("%dx%d after %q: %d lines", sz[0], sz[1], k, len(strings.Split(out, "\n")))
			}
		}
		m.v = nil
	}
}

func TestStatusesFollowTheClock(t *testing.T) {
	t.Parallel()
	clk := newClock(testNow)
	m := openModel(t, shared(t), Config{Now: clk.Now}, 120, 40)
	defer func() { m.v = nil }()
	press(t, m, "/")
	typeText(t, m, "personal/bank/pin")
	press(t, m, "enter")
	if st := m.list.selectedEntry().status; st != vault.StatusOK {
		t.Fatalf("a 2-day-old secret is %s", st)
	}
	m.settings.IdleLock = 0 // this test is about status, not locking
	clk.Add(60 * vault.Day)
	send(t, m, TickMsg(clk.Now()))
	if st := m.list.selectedEntry().status; st != vault.StatusStale {
		t.Fatalf("60 days later the secret is %s, want stale", st)
	}
	if len(m.list.rows) != 1 {
		t.Fatalf("the filter was lost: %d rows", len(m.list.rows))
	}
}

func TestHelpScrolls(t *testing.T) {
	t.Parallel()
	m := openModel(t, shared(t), Config{}, 60, 15)
	defer func() { m.v = nil }()
	press(t, m, "?")
	if strings.Contains(m.View(), "status:s") {
		t.Fatal("the whole help fits at 60x15; this test needs a longer help")
	}
	for range 40 {
		press(t, m, "down")
	}
	if !strings.Contains(m.View(), "status:s") {
		t.Errorf("scrolling down does not reach the end of the help:\n%s", m.View())
	}
	press(t, m, "esc")
	if m.state != stateMain {
		t.Error("esc does not leave help")
	}
}

// TestCoalescedKeys treats keys that arrive as one message ("/pdb" when
// the machine is busy) as the keys they are.
func TestCoalescedKeys(t *testing.T) {
	t.Parallel()
	m := openModel(t, shared(t), Config{}, 100, 30)
	defer func() { m.v = nil }()
	send(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/pdbpass")})
	if !m.filtering || m.filter.Value() != "pdbpass" {
		t.Fatalf("filtering %v with %q, want the filter open with pdbpass", m.filtering, m.filter.Value())
	}
	if sel := m.list.selected(); sel == nil || sel.Name != "prod/db/password" {
		t.Fatalf("selected %v, want prod/db/password", sel)
	}
}

// TestViewsChangeNothing: drawing a screen leaves the model as it was, and
// scrolling stops at the end of the content in Update, so that the first
// key back scrolls back at once.
func TestViewsChangeNothing(t *testing.T) {
	t.Parallel()
	m := openModel(t, shared(t), Config{}, 80, 15)
	defer func() { m.v = nil }()
	press(t, m, "enter") // focus the detail pane
	for range 200 {
		send(t, m, tea.KeyMsg{Type: tea.KeyDown})
	}
	bottom := m.detailTop
	if bottom == 0 {
		t.Fatal("the detail pane did not scroll at 80x15")
	}
	send(t, m, tea.KeyMsg{Type: tea.KeyUp})
	if m.detailTop != bottom-1 {
		t.Fatalf("up from the bottom scrolled to %d, want %d", m.detailTop, bottom-1)
	}

	m.detailTop = 1000 // as if the terminal grew since
	before := m.View()
	if m.detailTop != 1000 || m.View() != before {
		t.Fatalf("View changed the model: detailTop %d", m.detailTop)
	}

	press(t, m, "esc", "?")
	for range 200 {
		send(t, m, tea.KeyMsg{Type: tea.KeyDown})
	}
	top := m.helpTop
	m.View()
	if m.helpTop != top {
		t.Fatalf("the help view moved helpTop from %d to %d", top, m.helpTop)
	}
	send(t, m, tea.KeyMsg{Type: tea.KeyUp})
	if top > 0 && m.helpTop != top-1 {
		t.Fatalf("up from the bottom of help scrolled to %d, want %d", m.helpTop, top-1)
	}
}

func TestStatusLineRemindsOfBackups(t *testing.T) {
	t.Parallel()
	clk := newClock(testNow)
	m := openModel(t, shared(t), Config{Now: clk.Now}, 160, 40)
	defer func() { m.v = nil }()
	m.settings.IdleLock = 0 // this test is about the reminder, not locking
	due := m.settings.BackupDue()
	if due.IsZero() {
		t.Fatal("the fixture vault has no backup clock")
	}
	clk.Add(due.Sub(clk.Now()) - time.Hour)
	send(t, m, TickMsg(clk.Now()))
	if strings.Contains(m.View(), "no backup export") {
		t.Fatalf("reminded an hour before the export is due:\n%s", m.View())
	}
	clk.Add(2 * vault.Day)
	send(t, m, TickMsg(clk.Now()))
	if !strings.Contains(m.View(), "no backup export in ") {
		t.Fatalf("no reminder two days after the export was due:\n%s", m.View())
	}
}

// TestReviewRevealsAndCopiesGenerated: in the rotation review a generated
// value is hidden, space shows it, and c hands exactly that value to the
// TUI's clipboard (Config.Copy, which clears it after ClearAfter).
func TestReviewRevealsAndCopiesGenerated(t *testing.T) {
	t.Parallel()
	var copies [][]byte
	var clearAfter time.Duration
	cfg := Config{
		Review:   RotationReview,
		Generate: func() ([]byte, error) { return nil, nil }, // turns ctrl+g on
		Copy: func(_ context.Context, value []byte, after time.Duration) error {
			copies, clearAfter = append(copies, bytes.Clone(value)), after
			return nil
		},
		ClearAfter: 20 * time.Second,
	}
	m := openModel(t, shared(t), cfg, 100, 30)
	defer func() { m.hide(); m.v = nil }() // the shared vault stays open
	press(t, m, "R", "r", "ctrl+g")
	if v := m.View(); !strings.Contains(v, "generated (24 characters, hidden)") || !strings.Contains(v, "space reveal") {
		t.Fatalf("the generated value is not masked:\n%s", v)
	}
	press(t, m, "c")
	if len(copies) != 1 || len(copies[0]) != 24 || clearAfter != 20*time.Second {
		t.Fatalf("c copied %q to clear after %s", copies, clearAfter)
	}
	if v := m.View(); !strings.Contains(v, "the new value is on the clipboard; it clears in 20s") || strings.Contains(v, string(copies[0])) {
		t.Fatalf("after c:\n%s", v)
	}
	press(t, m, "space")
	if v := m.View(); !strings.Contains(v, string(copies[0])) || !strings.Contains(v, "space hide") {
		t.Fatalf("space did not reveal the value that was copied:\n%s", v)
	}
	press(t, m, "space")
	if v := m.View(); strings.Contains(v, string(copies[0])) {
		t.Fatalf("space did not hide the value again:\n%s", v)
	}
	press(t, m, "esc") // nothing saved: the shared vault is unchanged
}
