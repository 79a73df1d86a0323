package tui

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"locket/vault"
)

// TestTimelineInDetail shows a snooze and its note from the audit log in
// the detail pane, read once the cursor rests on the secret, and only
// then: until it is read the pane shows the versions alone.
func TestTimelineInDetail(t *testing.T) {
	t.Parallel()
	v := openWritable(t)
	ctx := context.Background()
	if err := v.Tag(ctx, "prod/db/password", vault.Snooze(testNow.Add(10*vault.Day), "waiting for the vendor")); err != nil {
		t.Fatal(err)
	}
	// Narrow, the list shows no timeline until enter opens the detail.
	m := openModel(t, v, Config{}, 80, 40)
	press(t, m, "/")
	typeText(t, m, "prod/db/password")
	press(t, m, "enter")
	// Open the detail without running the commands: no timeline is read yet.
	m.Update(keyMsg("enter"))
	if m.life.name == "prod/db/password" {
		t.Fatal("the timeline was read before the cursor rested")
	}
	if out := m.View(); !strings.Contains(out, "v3 ") || strings.Contains(out, "waiting for the vendor") {
		t.Fatalf("before the timeline is read the pane should list the versions alone:\n%s", out)
	}
	send(t, m, timelineDueMsg{name: "prod/db/password"})
	out := m.View()
	for _, want := range []string{"timeline", "snooze", "waiting for the vendor", "v3 set", "current 75d", "lived 55d"} {
		if !strings.Contains(out, want) {
			t.Fatalf("the timeline lacks %q:\n%s", want, out)
		}
	}
	// Drawing again reads nothing: the timeline is cached.
	if cmd := m.wantTimeline(); cmd != nil {
		t.Fatal("a cached timeline is asked for again")
	}
}

// TestHealthInListAndDetail marks a weak value in the list and the detail
// pane, and checks again after the value changes.
func TestHealthInListAndDetail(t *testing.T) {
	t.Parallel()
	v := openWritable(t)
	m := openModel(t, v, Config{}, 80, 40)
	press(t, m, "/")
	typeText(t, m, "personal/bank/pin")
	press(t, m, "enter")
	out := m.View()
	if !strings.Contains(out, "HEALTH") || !strings.Contains(out, "ok            2d    weak") || !strings.Contains(out, "health      weak: weak value") {
		t.Fatalf("a weak value is not reported:\n%s", out)
	}
	press(t, m, "e")
	typeText(t, m, "Kx7#vQ2!mZ9@pL4$wR8^")
	send(t, m, tea.KeyMsg{Type: tea.KeyCtrlS})
	out = m.View()
	if strings.Contains(out, "weak") || !strings.Contains(out, "health      no problem found") {
		t.Fatalf("health was not checked again after the value changed:\n%s", out)
	}
}
