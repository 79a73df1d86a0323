package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"locket/vault"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

// TestGitRejectedShown: a credential git refused is kept, tagged
// git-rejected, and its detail says so in words (issue 25, bug 2).
func TestGitRejectedShown(t *testing.T) {
	t.Parallel()
	at := testNow.Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	v := ownVault(t, map[string]vault.PutOptions{
		"git/example.com": {Tags: map[string]string{"username": "alice", vault.TagGitRejected: at}},
	})
	m := openModel(t, v, Config{}, 120, 40)
	view := ansi.Strip(m.View())
	if !strings.Contains(view, "refused by a git server") {
		t.Fatalf("no git refusal in the detail:\n%s", view)
	}
}

// TestGoldenCutOff pins, at 80×24, 100×30 and 120×40, what was cut off at
// 120 columns (issue 25, bug 6): a status line longer than the screen
// wraps onto a second line, so that the command it names is readable, and
// the timeline's "v3 rollback" keeps its last letters.
func TestGoldenCutOff(t *testing.T) {
	t.Parallel()
	v := ownVault(t, map[string]vault.PutOptions{"prod/api/token": {}})
	ctx := context.Background()
	if _, err := v.Put(ctx, "prod/api/token", []byte("v2"), vault.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Rollback(ctx, "prod/api/token", 1); err != nil {
		t.Fatal(err)
	}
	const hint = "no clipboard: DISPLAY and WAYLAND_DISPLAY are unset; over SSH, turn on OSC 52 with 'locket config clipboard-osc52 true'"
	for _, sz := range [][2]int{{80, 24}, {100, 30}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := openModel(t, v, Config{}, sz[0], sz[1])
			press(t, m, "enter")
			m.setStatus(hint, true)
			out := m.View()
			checkFrame(t, out, sz[0], sz[1])
			plain := ansi.Strip(out)
			if !strings.Contains(strings.Join(strings.Fields(plain), " "), "'locket config clipboard-osc52 true'") {
				t.Errorf("the status line's command is cut:\n%s", plain)
			}
			if !strings.Contains(plain, "v3 rollback") {
				t.Errorf("the timeline's entry is cut:\n%s", plain)
			}
			golden.RequireEqual(t, out)
		})
	}
}
