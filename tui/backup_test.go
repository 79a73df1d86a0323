package tui

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"locket/vault"
)

// TestFlowExportImport exports prod/ to a passphrase backup from the
// seeded vault, then imports it into a second, empty vault: the plan comes
// first, y applies it, and the second vault holds the same values.
func TestFlowExportImport(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "b.age")
	const pass = "backup passphrase"

	f := startFlow(t, Config{})
	f.typ("X")
	f.waitFor("export backup", "locket-2026-03-01.age")
	f.key(tea.KeyCtrlU)
	f.typ(file)
	f.key(tea.KeyTab)
	f.key(tea.KeyTab)
	f.typ(pass)
	f.key(tea.KeyTab)
	f.typ(pass + "x")
	f.key(tea.KeyTab)
	f.typ("prod/")
	f.key(tea.KeyCtrlS)
	f.waitFor("the two passphrases differ")
	f.key(tea.KeyShiftTab)
	f.key(tea.KeyBackspace)
	f.key(tea.KeyCtrlS)
	f.waitFor("exported")
	m := f.quit()
	if !strings.Contains(m.status, "encrypted to a passphrase") {
		t.Fatalf("status after export: %q", m.status)
	}
	src := f.reopen()
	want, err := src.List(context.Background(), vault.ListOptions{Prefix: "prod/"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.status, plural(len(want), "secret")) {
		t.Fatalf("status %q does not count the %d prod/ secrets", m.status, len(want))
	}

	// A second, empty vault.
	dir2 := filepath.Join(t.TempDir(), "vault2")
	clk := newClock(testNow)
	v2, err := vault.Create(context.Background(), dir2, []byte(testPass), vault.MinKDF, vault.DefaultSettings(), vault.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	v2.Close()
	g := &flow{t: t, dir: dir2, clk: clk}
	g.tm = teatest.NewTestModel(t, New(Config{Dir: dir2, Now: clk.Now, Actor: "bo@desk"}), teatest.WithInitialTermSize(120, 40))
	g.waitFor("Unlock vault")
	g.typ(testPass)
	g.key(tea.KeyEnter)
	g.waitFor("the vault is empty")
	g.typ("I")
	g.waitFor("import backup")
	g.typ(file)
	g.key(tea.KeyTab)
	g.typ("wrong")
	g.key(tea.KeyCtrlS)
	g.waitFor("wrong passphrase")
	g.key(tea.KeyCtrlU)
	g.typ(pass)
	g.key(tea.KeyCtrlS)
	g.waitFor("Plan for", "new secrets", "y imports "+plural(len(want), "secret"))
	g.typ("y")
	g.waitFor(fmt.Sprintf("imported b.age: %d new", len(want)))
	g.quit()

	dst := g.reopen()
	got, err := dst.List(context.Background(), vault.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("the second vault holds %d secrets, want the %d of prod/", len(got), len(want))
	}
	for _, s := range want {
		if !s.Enabled {
			continue
		}
		a, _, err := src.Get(context.Background(), s.Name, 0, vault.OpGet)
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := dst.Get(context.Background(), s.Name, 0, vault.OpGet)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: imported value differs", s.Name)
		}
	}
	events, err := dst.Audit(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	imports := 0
	for _, e := range events {
		if e.Op == "import" {
			imports++
		}
	}
	if imports != 1 {
		t.Fatalf("%d import events in the audit log, want 1", imports)
	}
}

// TestBackupReadOnly refuses export and import in a read-only session.
func TestBackupReadOnly(t *testing.T) {
	t.Parallel()
	m := openModel(t, shared(t), Config{ReadOnly: true}, 100, 30)
	defer func() { m.v = nil }()
	for _, k := range []string{"X", "I"} {
		press(t, m, k)
		if m.state != stateMain || !strings.Contains(m.View(), "is not available (opened with --read-only)") {
			t.Fatalf("%s in a read-only session was not refused:\n%s", k, m.View())
		}
	}
}
