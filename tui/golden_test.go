package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"locket/vault"
)

// sizes are the terminal sizes every screen is checked at; 100×30 is the
// README's capture.
var sizes = [][2]int{{80, 24}, {120, 40}, {60, 15}, {100, 30}}

// TestGolden draws every screen at every size and compares it with
// testdata/TestGolden/*.golden (go test ./tui -run Golden -update).
func TestGolden(t *testing.T) {
	t.Parallel()
	v := shared(t)
	screens := []struct {
		name  string
		cfg   Config
		setup func(t *testing.T, m *Model)
	}{
		{"locked", Config{}, func(t *testing.T, m *Model) {
			m.v = nil // locking closes the vault; this one is shared
			send(t, m, keyMsg("ctrl+l"))
			m.cfg.Dir = "/home/ana/.local/share/locket/vault"
			m.unlock.note = ""
		}},
		{"create", Config{}, func(t *testing.T, m *Model) {
			m.v = nil // locking closes the vault; this one is shared
			send(t, m, keyMsg("ctrl+l"))
			m.cfg.Dir = "/home/ana/.local/share/locket/vault"
			m.unlock = newUnlock(true, "")
			run(t, m, m.unlock.focus())
			typeText(t, m, "tangerine")
		}},
		{"list", Config{}, nil},
		{"filter", Config{}, func(t *testing.T, m *Model) {
			press(t, m, "/")
			typeText(t, m, "tag:env=prod status:stale")
		}},
		{"detail", Config{}, func(t *testing.T, m *Model) {
			press(t, m, "/")
			typeText(t, m, "prod/db/password")
			press(t, m, "enter", "enter")
		}},
		{"revealed", Config{}, func(t *testing.T, m *Model) {
			press(t, m, "/")
			typeText(t, m, "firebase")
			press(t, m, "enter", "space")
		}},
		{"history", Config{}, func(t *testing.T, m *Model) {
			press(t, m, "/")
			typeText(t, m, "docker")
			press(t, m, "enter", "h")
		}},
		{"form-new", Config{}, func(t *testing.T, m *Model) {
			press(t, m, "n")
			typeText(t, m, "prod/api/token")
		}},
		{"form-edit", Config{}, func(t *testing.T, m *Model) {
			press(t, m, "/")
			typeText(t, m, "prod/db/url")
			press(t, m, "enter", "e")
			typeText(t, m, "postgres://app:s3cret@db")
		}},
		{"tags", Config{}, func(t *testing.T, m *Model) {
			press(t, m, "/")
			typeText(t, m, "prod/stripe/secret")
			press(t, m, "enter", "t")
			typeText(t, m, "owner=bo")
		}},
		{"trash", Config{}, func(t *testing.T, m *Model) { press(t, m, "T") }},
		{"confirm", Config{}, func(t *testing.T, m *Model) { press(t, m, "d") }},
		{"help", Config{}, func(t *testing.T, m *Model) { press(t, m, "?") }},
		{"detail-health", Config{}, func(t *testing.T, m *Model) {
			press(t, m, "/")
			typeText(t, m, "personal/bank/pin")
			press(t, m, "enter", "enter")
		}},
		{"review", Config{Review: RotationReview}, func(t *testing.T, m *Model) { press(t, m, "R") }},
		{"export", Config{}, func(t *testing.T, m *Model) {
			press(t, m, "X", "tab", "tab")
			typeText(t, m, "tangerine")
		}},
		{"import", Config{}, func(t *testing.T, m *Model) {
			press(t, m, "I")
			typeText(t, m, "team.age")
		}},
		{"import-plan", Config{}, func(t *testing.T, m *Model) {
			press(t, m, "I")
			b := m.child.(*backupModel)
			b.phase, b.file = phasePlan, "team.age"
			b.plan = vault.ImportReport{Items: []vault.ImportItem{
				{Name: "shared/db/password", Action: vault.ActionNew, Versions: 2},
				{Name: "shared/stripe/key", Action: vault.ActionNewVersions, Versions: 1},
				{Name: "shared/ci/token", Action: vault.ActionIdentical},
				{Name: "shared/tls/key", Action: vault.ActionConflict, Versions: 1, Reason: "both changed since the backup"},
			}}
		}},
		{"import-progress", Config{}, func(t *testing.T, m *Model) {
			press(t, m, "I")
			b := m.child.(*backupModel)
			b.phase, b.doing, b.pct = phaseWorking, "importing team.age", 0.42
		}},
		{"read-only", Config{ReadOnly: true}, func(t *testing.T, m *Model) { press(t, m, "n") }},
		{"read-only-help", Config{ReadOnly: true}, func(t *testing.T, m *Model) { press(t, m, "?") }},
	}
	for _, sc := range screens {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, sz[0], sz[1]), func(t *testing.T) {
				m := openModel(t, v, sc.cfg, sz[0], sz[1])
				if sc.setup != nil {
					sc.setup(t, m)
				}
				out := m.View()
				checkFrame(t, out, sz[0], sz[1])
				golden.RequireEqual(t, out)
				m.hide()
				m.v = nil // the shared vault stays open
			})
		}
	}
}

// checkFrame asserts that a view fills the terminal exactly.
func checkFrame(t *testing.T, out string, w, h int) {
	t.Helper()
	ls := strings.Split(out, "\n")
	if len(ls) != h {
		t.Fatalf("view has %d lines, want %d", len(ls), h)
	}
	for i, l := range ls {
		if n := len([]rune(l)); n > w {
			t.Fatalf("line %d is %d cells wide, want at most %d: %q", i, n, w, l)
		}
	}
}
