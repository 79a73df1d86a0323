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
