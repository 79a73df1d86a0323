package tui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"locket/vault"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// ownVault is a fresh vault of its own, for tests that write, with
// secrets put at testNow.
func ownVault(t *testing.T, secrets map[string]vault.PutOptions) *vault.Vault {
	t.Helper()
	v, err := vault.Create(context.Background(), filepath.Join(t.TempDir(), "vault"), []byte(testPass), vault.MinKDF, vault.DefaultSettings(),
		vault.Options{Now: func() time.Time { return testNow }, Actor: "ana@laptop"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	for name, o := range secrets {
		if _, err := v.Put(context.Background(), name, []byte("v1-"+name), o); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

// TestEditKeepsExpiry: the edit form shows the expiry and content type,
// keeps them when a new value is saved, and with no value changes only
// them (issue 12, bug 7: the expiry was dropped, and "the value is empty"
// refused a metadata-only edit). Typing into the pre-filled content type
// replaces it (bug 1: "text/plainapplication/json").
func TestEditKeepsExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	exp := testNow.Add(90 * vault.Day).Truncate(vault.Day)
	v := ownVault(t, map[string]vault.PutOptions{"app/cert": {ContentType: "text/plain", Expires: exp}})
	m := openModel(t, v, Config{}, 120, 40)
	press(t, m, "e")
	if view := m.View(); !strings.Contains(view, exp.Format(time.DateOnly)) || !strings.Contains(view, "text/plain") {
		t.Fatalf("expiry or content type not pre-filled:\n%s", view)
	}
	typeText(t, m, "v2")
	press(t, m, "ctrl+s")
	_, ver, err := v.Get(ctx, "app/cert", 0, vault.OpGet)
	if err != nil || ver.Number != 2 || !ver.Expires.Equal(exp) || ver.ContentType != "text/plain" {
		t.Fatalf("after saving a value: %+v %v; want v2 expiring %v", ver, err, exp)
	}

	// Metadata only: tab to the content type, type over it, save.
	press(t, m, "e", "tab")
	typeText(t, m, "application/json")
	press(t, m, "ctrl+s")
	if strings.Contains(m.View(), "the value is empty") {
		t.Fatalf("a metadata-only edit was refused:\n%s", m.View())
	}
	s, err := v.Secret(ctx, "app/cert")
	if err != nil || len(s.Versions) != 2 || s.Current().ContentType != "application/json" || !s.Current().Expires.Equal(exp) {
		t.Fatalf("after a metadata edit: %d versions, %q, %v, %v", len(s.Versions), s.Current().ContentType, s.Current().Expires, err)
	}
	m.v = nil
}

// TestHelpReflows: every binding of the help is visible at 60 and 80
// columns (issue 12, bug 3: at 80×24 the fourth column, with ctrl+l lock,
// ? and q quit, was cut off).
func TestHelpReflows(t *testing.T) {
	t.Parallel()
	gen := func() ([]byte, error) { return vault.Generate(vault.DefaultGenerateOptions()) }
	for _, w := range []int{60, 80, 100} {
		m := openModel(t, shared(t), Config{Generate: gen}, w, 80)
		press(t, m, "?")
		view := m.View()
		for _, g := range m.km.FullHelp() {
			for _, b := range g {
				if !b.Enabled() {
					continue
				}
				h := b.Help()
				if !strings.Contains(view, h.Key) || !strings.Contains(view, h.Desc) {
					t.Errorf("%d columns: %q %q not shown:\n%s", w, h.Key, h.Desc, view)
				}
			}
		}
		if strings.Contains(view, "…") {
			t.Errorf("%d columns: help is cut:\n%s", w, view)
		}
		checkFrame(t, view, w, 80)
		m.v = nil
	}
}

// TestTinyTerminals: at 38×9 the message says, whole, the size it needs;
// at 50×12 the unlock box keeps its border, also with an error and in the
// taller create form (issue 12, bug 6).
func TestTinyTerminals(t *testing.T) {
	t.Parallel()
	m := New(Config{Dir: "/home/ana/.local/share/locket/vault", Now: func() time.Time { return testNow }})
	send(t, m, tea.WindowSizeMsg{Width: 38, Height: 9})
	flat := strings.Join(strings.Fields(m.View()), " ")
	if !strings.Contains(flat, "at least 40×10; this one is 38×9") {
		t.Errorf("38×9:\n%s", m.View())
	}
	send(t, m, tea.WindowSizeMsg{Width: 50, Height: 12})
	for _, create := range []bool{false, true} {
		m.unlock = newUnlock(create, "first run: a demo banner that takes a line")
		m.unlock.err = "wrong passphrase or damaged vault header"
		view := m.View()
		if !strings.Contains(view, "╭") || !strings.Contains(view, "╰") || strings.Count(view, "╮") != 1 {
			t.Errorf("50×12 create=%v: the box lost its border:\n%s", create, view)
		}
		checkFrame(t, view, 50, 12)
	}
}

// TestHistoryColumns: every row lines up under the headers, which name
// the current marker and the actor too (issue 12, bug 6).
func TestHistoryColumns(t *testing.T) {
	t.Parallel()
	v := ownVault(t, map[string]vault.PutOptions{"app/key": {ContentType: "application/x-pem-file"}})
	if _, err := v.Put(context.Background(), "app/key", []byte("v2"), vault.PutOptions{ContentType: "text/plain"}); err != nil {
		t.Fatal(err)
	}
	m := openModel(t, v, Config{}, 120, 40)
	press(t, m, "h")
	ls := strings.Split(m.View(), "\n")
	var header string
	var rows []string
	for _, l := range ls {
		switch {
		case strings.Contains(l, "VERSION"):
			header = l
		case strings.Contains(l, "ana@laptop"):
			rows = append(rows, l)
		}
	}
	if len(rows) != 2 {
		t.Fatalf("rows %q in:\n%s", rows, m.View())
	}
	for _, col := range []string{"CURRENT", "ACTOR"} {
		if !strings.Contains(header, col) {
			t.Fatalf("no %s header: %q", col, header)
		}
	}
	// Columns count cells, not bytes: "…" is one cell.
	col := func(s, sub string) int { return lipgloss.Width(s[:strings.Index(s, sub)]) }
	actor := col(header, "ACTOR")
	for _, r := range rows {
		if col(r, "ana@laptop") != actor {
			t.Errorf("actor not under its header:\n%s\n%s", header, r)
		}
	}
	if col(rows[0], "yes") != col(header, "CURRENT") {
		t.Errorf("current marker not under its header:\n%s\n%s", header, rows[0])
	}
	m.v = nil
}

// TestBrowseFixes covers the list's smaller bugs of issue 12, item 7.
func TestBrowseFixes(t *testing.T) {
	t.Parallel()
	t.Run("health column at 80 and 120", func(t *testing.T) {
		t.Parallel()
		for _, w := range []int{80, 120} {
			m := openModel(t, shared(t), Config{}, w, 30)
			if !strings.Contains(m.View(), "HEALTH") {
				t.Errorf("%d columns: no HEALTH column:\n%s", w, m.View())
			}
			m.v = nil
		}
	})
	t.Run("enter opens the detail when wide", func(t *testing.T) {
		t.Parallel()
		m := openModel(t, shared(t), Config{}, 120, 40)
		press(t, m, "enter")
		if v := m.View(); strings.Contains(v, "NAME▾") || !strings.Contains(v, "timeline") {
			t.Errorf("enter at 120 columns:\n%s", v)
		}
		press(t, m, "esc")
		if !strings.Contains(m.View(), "NAME▾") {
			t.Errorf("esc did not return to the list:\n%s", m.View())
		}
		m.v = nil
	})
	t.Run("status cleared on another screen", func(t *testing.T) {
		t.Parallel()
		m := openModel(t, shared(t), Config{}, 120, 40)
		press(t, m, "s")
		if !strings.Contains(m.View(), "sorted by age") {
			t.Fatalf("no status after sorting:\n%s", m.View())
		}
		press(t, m, "h")
		if strings.Contains(m.View(), "sorted by age") {
			t.Errorf("the list's status lingers on the history:\n%s", m.View())
		}
		press(t, m, "esc", "?")
		if strings.Contains(m.View(), "sorted by age") {
			t.Errorf("the list's status lingers on the help:\n%s", m.View())
		}
		m.v = nil
	})
	t.Run("cursor keeps its place after a delete", func(t *testing.T) {
		t.Parallel()
		v := ownVault(t, map[string]vault.PutOptions{"a/1": {}, "a/2": {}, "a/3": {}, "a/4": {}})
		m := openModel(t, v, Config{}, 120, 40)
		press(t, m, "down", "down", "d", "y")
		if sel := m.list.selected(); sel == nil || sel.Name != "a/4" || m.list.cursor != 2 {
			t.Errorf("after deleting a/3 the cursor is at %d on %v, want 2 on a/4", m.list.cursor, sel)
		}
		m.v = nil
	})
	t.Run("status sort puts the most overdue first", func(t *testing.T) {
		t.Parallel()
		m := openModel(t, shared(t), Config{}, 120, 40)
		press(t, m, "s", "s")
		if m.sortBy != sortStatus {
			t.Fatalf("sort is %s", m.sortBy)
		}
		var prev *entry
		for _, r := range m.list.rows {
			e := &m.ix.entries[r]
			if prev != nil && prev.rank == e.rank && e.overdue.Before(prev.overdue) {
				t.Errorf("%s (%s, overdue since %v) after %s (since %v)", e.s.Name, e.status, e.overdue, prev.s.Name, prev.overdue)
			}
			prev = e
		}
		first := m.ix.entries[m.list.rows[0]]
		if first.status != vault.StatusExpired {
			t.Errorf("first is %s %s", first.s.Name, first.status)
		}
		m.v = nil
	})
}

// TestWeakNewPassphrase: a very weak passphrase for a new vault is
// questioned once; enter again takes it (issue 12, item 9).
func TestWeakNewPassphrase(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "vault")
	m := New(Config{Dir: dir, Now: func() time.Time { return testNow }, KDF: vault.MinKDF})
	send(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m.unlock = newUnlock(true, "")
	run(t, m, m.unlock.focus())
	typeText(t, m, "hunter2")
	press(t, m, "enter")
	typeText(t, m, "hunter2")
	press(t, m, "enter")
	if !strings.Contains(m.View(), "this passphrase is weak: enter again to use it anyway") || vault.Exists(dir) {
		t.Fatalf("a weak passphrase was taken without a question:\n%s", m.View())
	}
	press(t, m, "enter")
	if !vault.Exists(dir) || m.v == nil {
		t.Fatalf("enter again did not create the vault:\n%s", m.View())
	}
	m.Close()
}

// TestOTPDetail: an otpauth secret shows its current code and the
// seconds left, never the seed, and the code follows the clock (issue 12,
// item 15). The RFC 6238 vector at 59 s is 94287082.
func TestOTPDetail(t *testing.T) {
	t.Parallel()
	clk := newClock(time.Unix(59, 0).UTC())
	v, err := vault.Create(context.Background(), filepath.Join(t.TempDir(), "vault"), []byte(testPass), vault.MinKDF, vault.DefaultSettings(), vault.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	seed := "otpauth://totp/Example:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example&digits=8&period=30"
	if _, err := v.Put(context.Background(), "web/totp", []byte(seed), vault.PutOptions{ContentType: vault.ContentTypeOTP}); err != nil {
		t.Fatal(err)
	}
	m := openModel(t, v, Config{Now: clk.Now}, 120, 40)
	if view := m.View(); !strings.Contains(view, "space shows the one-time code") {
		t.Fatalf("masked otp:\n%s", view)
	}
	press(t, m, "space")
	view := m.View()
	if !strings.Contains(view, "94287082") || !strings.Contains(view, "1s left") || strings.Contains(view, "GEZDGNBV") {
		t.Fatalf("revealed otp:\n%s", view)
	}
	clk.Set(time.Unix(1111111111, 0).UTC())
	m.settings.IdleLock = 0
	send(t, m, TickMsg(clk.Now()))
	if view := m.View(); !strings.Contains(view, "14050471") || !strings.Contains(view, "29s left") {
		t.Errorf("after the clock moved:\n%s", view)
	}
	m.v = nil
}
