package tui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"locket/internal/clip"
	"locket/internal/e2e"
	"locket/vault"
)

// openWritable opens a fresh seeded vault for a test that changes it.
func openWritable(t *testing.T) *vault.Vault {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "vault")
	seededVault(t, dir)
	v, err := vault.Open(context.Background(), dir, []byte(testPass), vault.Options{Now: func() time.Time { return testNow }, Actor: "ana@laptop"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// TestOSC52Copy copies through the terminal when clipboard-osc52 is on,
// even with no clipboard, and clears the terminal's clipboard after the
// delay; with the setting off nothing is written to the terminal.
func TestOSC52Copy(t *testing.T) {
	t.Parallel()
	for _, on := range []bool{true, false} {
		v := openWritable(t)
		if err := v.SetSetting(context.Background(), "clipboard-osc52", map[bool]string{true: "true", false: "false"}[on], nil); err != nil {
			t.Fatal(err)
		}
		term := &e2e.Buffer{}
		m := openModel(t, v, Config{OSC52: term, ClearAfter: 30 * time.Millisecond}, 80, 24)
		press(t, m, "/")
		typeText(t, m, "personal/bank/pin")
		press(t, m, "enter", "c")
		out := term.String()
		if !on {
			if out != "" {
				t.Fatalf("clipboard-osc52 off wrote %q to the terminal", out)
			}
			if !strings.Contains(m.View(), "copy is not available") {
				t.Fatalf("copy with no clipboard and clipboard-osc52 off is not refused:\n%s", m.View())
			}
			continue
		}
		want := clip.OSC52([]byte("4821"))
		if !strings.HasPrefix(out, want) {
			t.Fatalf("the terminal got %q, want the OSC 52 copy %q first", out, want)
		}
		// The helper ran the clearing tick: the clear follows the copy.
		if !strings.HasSuffix(out, clip.OSC52Clear()) {
			t.Fatalf("the terminal's clipboard was not cleared: %q", out)
		}
		// Quitting with nothing pending writes nothing more.
		m.quit()
		if term.String() != out {
			t.Fatalf("quit wrote %q after the clear", strings.TrimPrefix(term.String(), out))
		}
	}
}

// TestOSC52ClearedOnQuit clears a pending terminal copy when the TUI
// quits before the delay.
func TestOSC52ClearedOnQuit(t *testing.T) {
	t.Parallel()
	v := openWritable(t)
	if err := v.SetSetting(context.Background(), "clipboard-osc52", "true", nil); err != nil {
		t.Fatal(err)
	}
	term := &e2e.Buffer{}
	m := openModel(t, v, Config{OSC52: term, ClearAfter: time.Hour}, 80, 24)
	press(t, m, "/")
	typeText(t, m, "personal/bank/pin")
	press(t, m, "enter")
	// The copy command runs, but not the hour-long clearing tick.
	_, cmd := m.Update(keyMsg("c"))
	m.Update(cmd())
	if !strings.Contains(term.String(), clip.OSC52([]byte("4821"))) {
		t.Fatalf("no OSC 52 copy: %q", term.String())
	}
	m.quit()
	if !strings.HasSuffix(term.String(), clip.OSC52Clear()) {
		t.Fatalf("quitting left the terminal's clipboard holding the value: %q", term.String())
	}
}
