package review

import (
	"bytes"
	"context"
	"fmt"
	"github.com/charmbracelet/x/ansi"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"locket/internal/e2e"
	"locket/tui/keys"
	"locket/tui/styles"
	"locket/vault"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// testVault holds four secrets that are stale at t0+70d, and returns the
// vault and a clock set to that moment.
func testVault(t *testing.T) (*vault.Vault, func() time.Time) {
	t.Helper()
	now := t0
	clock := func() time.Time { return now }
	v, err := vault.Create(context.Background(), filepath.Join(t.TempDir(), "v"), []byte("pw"), vault.MinKDF, vault.DefaultSettings(), vault.Options{Now: clock, Actor: "tester@host"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	for i, name := range []string{"app/one", "app/two", "app/three", "app/four"} {
		val := []byte("kX9#mQ2$vL7@pR" + string(rune('a'+i)) + "4!zT")
		if _, err := v.Put(context.Background(), name, val, vault.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	now = t0.Add(70 * vault.Day)
	return v, clock
}

// harness runs the review as a program and quits on DoneMsg, keeping it.
type harness struct {
	m    *Model
	done *DoneMsg
}

func (h harness) Init() tea.Cmd { return h.m.Init() }

func (h harness) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if d, ok := msg.(DoneMsg); ok {
		h.done = &d
		return h, tea.Quit
	}
	_, cmd := h.m.Update(msg)
	return h, cmd
}

func (h harness) View() string { return h.m.View() }

func runes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

// waitFor reads the program's output until every text has appeared. Each
// call reads on from where the last one stopped.
func waitFor(t *testing.T, tm *teatest.TestModel, texts ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, text := range texts {
			if !bytes.Contains(b, []byte(text)) {
				return false
			}
		}
		return true
	},
		teatest.WithDuration(e2e.Scale(2*time.Minute)), teatest.WithCheckInterval(20*time.Millisecond))
}

func events(t *testing.T, v *vault.Vault, name string) []vault.Event {
	t.Helper()
	es, err := v.Audit(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func last(es []vault.Event) vault.Event { return es[len(es)-1] }

func TestReviewFlow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, clock := testVault(t)
	tm := teatest.NewTestModel(t, harness{m: New(context.Background(), v, clock, false, styles.Default(), keys.DefaultKeyMap())}, teatest.WithInitialTermSize(90, 30))

	// Most urgent first; all four are equally stale, so by name.
	waitFor(t, tm, "1 of 4", "app/four")
	tm.Send(runes("r"))
	waitFor(t, tm, "Rotate now")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlG})
	waitFor(t, tm, "generated (24 characters, hidden)")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})

	waitFor(t, tm, "2 of 4")
	tm.Send(runes("s"))
	waitFor(t, tm, "Snooze", "enter save · tab next field")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlS})
	waitFor(t, tm, "a snooze needs a date and a note")
	tm.Type("30d")
	// Enter on the date moves to the note (issue 25, bug 5) instead of
	// refusing; enter on the note saves.
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "> note")
	tm.Type("waiting for the vendor")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})

	waitFor(t, tm, "3 of 4")
	tm.Send(runes("p"))
	waitFor(t, tm, "Change rotate-every")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlU})
	tm.Type("90d")
	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.Type("quarterly is enough")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})

	waitFor(t, tm, "4 of 4")
	tm.Send(runes("n"))
	waitFor(t, tm, "Rotation review finished", "1 rotated, 1 snoozed, 1 policy changed, 1 skipped")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})

	h := tm.FinalModel(t, teatest.WithFinalTimeout(e2e.Scale(2*time.Minute))).(harness)
	if h.done == nil || h.done.Status != "review: 1 rotated, 1 snoozed, 1 policy changed, 1 skipped" || len(h.done.Decisions) != 4 {
		t.Fatalf("done %+v", h.done)
	}

	e := last(events(t, v, ""))
	if e.Op != vault.OpReview || e.Secret != "" || e.Note != "review session: 1 rotated, 1 snoozed, 1 policy changed, 1 skipped" {
		t.Errorf("session event %+v", e)
	}

	// Rotated with a generated value: a new version, audited as rotate.
	e = last(events(t, v, "app/four"))
	if e.Op != vault.OpRotate || e.Version != 2 || e.Note != "generated" {
		t.Errorf("app/four: %+v", e)
	}
	val, ver, err := v.Get(ctx, "app/four", 0, vault.OpGet)
	if err != nil || ver.Number != 2 || len(val) != vault.DefaultGenerateLength {
		t.Errorf("app/four value: %d bytes, version %d, %v", len(val), ver.Number, err)
	}

	e = last(events(t, v, "app/one"))
	if e.Op != vault.OpSnooze || e.Note != "waiting for the vendor" {
		t.Errorf("app/one: %+v", e)
	}
	s, _ := v.Secret(ctx, "app/one")
	if !s.SnoozedUntil().Equal(clock().Add(30 * vault.Day)) {
		t.Errorf("snooze-until %v", s.Tags)
	}

	e = last(events(t, v, "app/three"))
	if e.Op != vault.OpPolicy || e.Note != "rotate-every=90d: quarterly is enough" {
		t.Errorf("app/three: %+v", e)
	}
	s, _ = v.Secret(ctx, "app/three")
	if s.Tags[vault.TagRotateEvery] != "90d" {
		t.Errorf("app/three tags %v", s.Tags)
	}

	e = last(events(t, v, "app/two"))
	if e.Op != vault.OpReview || e.Note != "skipped" {
		t.Errorf("app/two: %+v", e)
	}
	// What was decided no longer needs attention, except the skipped one.
	fs, err := v.Check(ctx, clock())
	if err != nil || len(fs) != 1 || fs[0].Name != "app/two" {
		t.Errorf("after review: %+v %v", fs, err)
	}
}

func TestReviewTypedValueWithExpiryAndDisable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, clock := testVault(t)
	tm := teatest.NewTestModel(t, harness{m: New(context.Background(), v, clock, false, styles.Default(), keys.DefaultKeyMap())}, teatest.WithInitialTermSize(90, 30))
	waitFor(t, tm, "1 of 4")
	tm.Send(runes("r"))
	waitFor(t, tm, "Rotate now")
	tm.Type("N3w-typed-Value!x")
	waitFor(t, tm, "N3w-typed-Value!x")
	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.Type("90d")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "2 of 4")
	tm.Send(runes("d"))
	waitFor(t, tm, "Disable")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "say why it is disabled")
	tm.Type("service retired")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "3 of 4")
	tm.Send(runes("q"))
	waitFor(t, tm, "2 of 4 secrets reviewed")
	tm.Send(runes("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(e2e.Scale(2*time.Minute)))

	val, ver, err := v.Get(ctx, "app/four", 0, vault.OpGet)
	if err != nil || string(val) != "N3w-typed-Value!x" || !ver.Expires.Equal(clock().Add(90*vault.Day)) {
		t.Errorf("typed rotation: %q %+v %v", val, ver, err)
	}
	s, _ := v.Secret(ctx, "app/one")
	if s.Enabled {
		t.Error("app/one still enabled")
	}
	if e := last(events(t, v, "app/one")); e.Op != vault.OpDisable || e.Note != "service retired" {
		t.Errorf("disable event %+v", e)
	}
}

// TestReviewPrefilledPolicy: typing into the pre-filled rotate-every
// replaces it (issue 12, bug 1: "60d" + "180d" was "60d180d" and read as
// 240d).
func TestReviewPrefilledPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, clock := testVault(t)
	m := New(ctx, v, clock, false, styles.Default(), keys.DefaultKeyMap())
	m.Update(m.Init()())
	m.Update(runes("p"))
	if !strings.Contains(m.View(), "60d") {
		t.Fatalf("rotate-every not pre-filled:\n%s", m.View())
	}
	for _, r := range "180d" {
		m.Update(runes(string(r)))
	}
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if cmd == nil {
		t.Fatalf("not submitted: %s", m.err)
	}
	m.Update(cmd())
	s, _ := v.Secret(ctx, "app/four")
	if got := s.Tags[vault.TagRotateEvery]; got != "180d" {
		t.Errorf("rotate-every = %q, want 180d", got)
	}
	// A combined duration is refused, as on the command line.
	m.Update(runes("p"))
	m.Update(tea.KeyMsg{Type: tea.KeyCtrlU})
	for _, r := range "60d180d" {
		m.Update(runes(string(r)))
	}
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if !strings.Contains(m.err, "one number and one unit") {
		t.Errorf("60d180d: err %q", m.err)
	}
}

// TestReviewGenerateKeepsFocus: ctrl+g in the rotate form leaves the
// focus on the value (issue 12, bug 4: it moved to "expires", so the next
// field the user tabbed to was the note), and the value takes lines.
func TestReviewGenerateKeepsFocus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, clock := testVault(t)
	m := New(ctx, v, clock, false, styles.Default(), keys.DefaultKeyMap())
	m.SetSize(90, 30)
	m.Update(m.Init()())
	m.Update(runes("r"))
	m.Update(tea.KeyMsg{Type: tea.KeyCtrlG})
	if m.form.focus != 0 || !strings.Contains(m.View(), "> new value") {
		t.Fatalf("focus moved to field %d after ctrl+g:\n%s", m.form.focus, m.View())
	}
	m.Update(tea.KeyMsg{Type: tea.KeyTab})
	for _, r := range "30d" {
		m.Update(runes(string(r)))
	}
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyCtrlS})
	m.Update(cmd())
	_, ver, err := v.Get(ctx, "app/four", 0, vault.OpGet)
	if err != nil || !ver.Expires.Equal(clock().Add(30*vault.Day)) {
		t.Errorf("expires %v, %v; want 30 days on", ver.Expires, err)
	}

	// A typed value keeps its lines: enter is a new line, ctrl+s saves.
	m.Update(runes("r"))
	for _, k := range []tea.KeyMsg{runes("-----BEGIN-----"), {Type: tea.KeyEnter}, runes("abc"), {Type: tea.KeyEnter}, runes("-----END-----")} {
		m.Update(k)
	}
	_, cmd = m.Update(tea.KeyMsg{Type: tea.KeyCtrlS})
	m.Update(cmd())
	val, _, err := v.Get(ctx, "app/one", 0, vault.OpGet)
	if err != nil || string(val) != "-----BEGIN-----\nabc\n-----END-----" {
		t.Errorf("multi-line rotation: %q, %v", val, err)
	}
}

// TestReviewExpiredSnooze: the review refuses to snooze an expired secret
// at once, with the CLI's words (docs/decisions/0100).
func TestReviewExpiredSnooze(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, clock := testVault(t)
	if _, err := v.Put(ctx, "app/cert", []byte("x"), vault.PutOptions{Expires: clock().Add(-vault.Day)}); err != nil {
		t.Fatal(err)
	}
	m := New(ctx, v, clock, false, styles.Default(), keys.DefaultKeyMap())
	m.Update(m.Init()())
	if m.current().Name != "app/cert" {
		t.Fatalf("first in the queue: %s", m.current().Name)
	}
	m.Update(runes("s"))
	if m.form != nil || !strings.Contains(m.View(), "an expired secret cannot be snoozed; rotate it or set a new expiry") {
		t.Errorf("snooze of an expired secret:\n%s", m.View())
	}
}

func TestReviewReadOnly(t *testing.T) {
	t.Parallel()
	v, clock := testVault(t)
	before := len(events(t, v, ""))
	m := New(context.Background(), v, clock, true, styles.Default(), keys.DefaultKeyMap())
	m.Update(m.Init()())
	m.Update(runes("r"))
	if m.form != nil || !strings.Contains(m.View(), "read-only") {
		t.Fatalf("read-only review opened a form:\n%s", m.View())
	}
	m.Update(runes("n"))
	if !strings.Contains(m.View(), "2 of 4") {
		t.Errorf("skip did not advance:\n%s", m.View())
	}
	for range 3 {
		m.Update(runes("n"))
	}
	if !strings.Contains(m.View(), "Rotation review finished") {
		t.Errorf("no summary:\n%s", m.View())
	}
	if after := len(events(t, v, "")); after != before {
		t.Errorf("read-only review wrote %d audit events", after-before)
	}
}

func TestReviewSanitises(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, clock := testVault(t)
	if err := v.Tag(ctx, "app/one", vault.Snooze(clock().Add(2*vault.Day), "evil \x1b]0;pwned\x07 note")); err != nil {
		t.Fatal(err)
	}
	m := New(context.Background(), v, clock, false, styles.Default(), keys.DefaultKeyMap())
	m.SetSize(100, 30)
	m.Update(m.Init()())
	for range 4 {
		if strings.Contains(m.View(), "app/one") {
			break
		}
		m.pos++
	}
	view := m.View()
	if !strings.Contains(view, "app/one") || !strings.Contains(view, `evil \x1b]0;pwned\x07 note`) {
		t.Fatalf("snooze note not shown escaped:\n%s", view)
	}
	if strings.ContainsAny(view, "\x1b\x07") {
		t.Errorf("raw control characters in the view: %q", view)
	}
}

func TestReviewEmptyQueue(t *testing.T) {
	t.Parallel()
	v, _ := testVault(t)
	m := New(context.Background(), v, func() time.Time { return t0 }, false, styles.Default(), keys.DefaultKeyMap())
	m.Update(m.Init()())
	if !strings.Contains(m.View(), "Nothing needs attention") {
		t.Fatalf("view:\n%s", m.View())
	}
	msg := m.done()()
	if d, ok := msg.(DoneMsg); !ok || d.Status != "review: nothing needs attention" {
		t.Errorf("done %#v", msg)
	}
	type other struct{ s string }
	m.OnDone = func(d DoneMsg) tea.Msg { return other{d.Status} }
	if o, ok := m.done()().(other); !ok || o.s != "review: nothing needs attention" {
		t.Errorf("OnDone not used: %#v", o)
	}
}

// TestGolden pins the review's screens at two sizes; refresh with
// go test ./tui/review -run TestGolden -update.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, size := range [][2]int{{80, 24}, {50, 20}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			v, clock := testVault(t)
			if err := v.Tag(context.Background(), "app/two", vault.Snooze(clock().Add(3*vault.Day), "vendor migration")); err != nil {
				t.Fatal(err)
			}
			m := New(context.Background(), v, clock, false, styles.Default(), keys.DefaultKeyMap())
			m.SetSize(size[0], size[1])
			m.Update(m.Init()())
			screens := []string{m.View()}
			m.Update(runes("s"))
			screens = append(screens, m.View())
			m.Update(tea.KeyMsg{Type: tea.KeyEsc})
			m.Update(runes("q"))
			screens = append(screens, m.View())
			golden.RequireEqual(t, strings.Join(screens, "\n---\n"))
		})
	}
}

// TestGoldenSummary pins the summary at 80×24, 100×30 and 120×40: names
// of different lengths keep their notes in one column, and a long note is
// cut at the screen's edge, not past it (issue 25, bug 6).
func TestGoldenSummary(t *testing.T) {
	t.Parallel()
	for _, size := range [][2]int{{80, 24}, {100, 30}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			v, clock := testVault(t)
			m := New(context.Background(), v, clock, false, styles.Default(), keys.DefaultKeyMap())
			m.SetSize(size[0], size[1])
			m.Update(m.Init()())
			m.decisions = []Decision{
				{"app/four", vault.OpRotate, "generated"},
				{"app/one", vault.OpSnooze, "waiting for the vendor to move us to the new billing account, which they say takes a month or two"},
				{"app/three/with/a/longer/name", vault.OpPolicy, "quarterly is enough"},
			}
			m.Update(runes("q"))
			out := m.View()
			for i, l := range strings.Split(out, "\n") {
				if w := ansi.StringWidth(l); w > size[0] {
					t.Errorf("line %d is %d wide: %q", i, w, l)
				}
			}
			golden.RequireEqual(t, out)
		})
	}
}

// TestReviewRevealCopyGenerated: a generated value is masked; space shows
// it (and hides it again); c hands that value to the embedder's clipboard
// and says when it clears; the next secret, and a lock (Forget), start
// hidden again; without a clipboard c says so and the value stays.
func TestReviewRevealCopyGenerated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, clock := testVault(t)
	m := New(ctx, v, clock, false, styles.Default(), keys.DefaultKeyMap())
	m.SetSize(90, 30)
	m.Update(m.Init()())
	space := tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}

	// Without a clipboard, c is refused and not typed over the value.
	m.Update(runes("r"))
	m.Update(tea.KeyMsg{Type: tea.KeyCtrlG})
	m.Update(runes("c"))
	if m.form.generated == nil || !strings.Contains(m.View(), "copy is not available here") {
		t.Fatalf("c without a clipboard:\n%s", m.View())
	}

	var copied []byte
	m.SetCopy(func(name string, value []byte) tea.Cmd {
		if name != "app/four" {
			t.Errorf("copy for %q, want the secret under review", name)
		}
		copied = bytes.Clone(value)
		return func() tea.Msg { return CopiedMsg{Until: clock().Add(20 * time.Second)} }
	})
	gen := string(m.form.generated)
	if v := m.View(); strings.Contains(v, gen) || !strings.Contains(v, "generated (24 characters, hidden)") || !strings.Contains(v, "space reveal · c copy") {
		t.Fatalf("the generated value is not masked:\n%s", v)
	}
	_, cmd := m.Update(runes("c"))
	m.Update(cmd())
	if string(copied) != gen {
		t.Fatalf("c copied %q, want the generated %q", copied, gen)
	}
	if v := m.View(); !strings.Contains(v, "the new value is on the clipboard; it clears in 20s") || strings.Contains(v, gen) {
		t.Fatalf("after c:\n%s", v)
	}
	m.Update(space)
	if v := m.View(); !strings.Contains(v, gen) || !strings.Contains(v, "space hide") {
		t.Fatalf("space did not reveal the value:\n%s", v)
	}
	m.Update(space)
	if strings.Contains(m.View(), gen) {
		t.Fatalf("space did not hide the value:\n%s", m.View())
	}

	// Revealed, then saved: the next secret's generated value is hidden.
	m.Update(space)
	_, cmd = m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	m.Update(cmd())
	if val, _, err := v.Get(ctx, "app/four", 0, vault.OpGet); err != nil || string(val) != gen {
		t.Fatalf("saved %q, %v; want the value shown and copied", val, err)
	}
	if strings.Contains(m.View(), gen) {
		t.Fatalf("the saved value is still shown on the next secret:\n%s", m.View())
	}
	m.Update(runes("r"))
	m.Update(tea.KeyMsg{Type: tea.KeyCtrlG})
	if v := m.View(); strings.Contains(v, string(m.form.generated)) || !strings.Contains(v, "hidden") {
		t.Fatalf("the next secret's value is not masked:\n%s", v)
	}

	// A lock forgets a revealed value that was not saved.
	m.Update(space)
	gen = string(m.form.generated)
	kept := m.form.generated
	m.Forget()
	if m.form != nil || strings.Contains(m.View(), gen) || strings.Trim(string(kept), "\x00") != "" {
		t.Fatalf("Forget kept the value:\n%s", m.View())
	}
}
