package tui

import (
	"io"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"locket/internal/clip"
)

// osc52ClearMsg says a value copied through the terminal at until is due
// to be cleared.
type osc52ClearMsg struct{ until time.Time }

// osc52On reports whether copies also go through the terminal (OSC 52):
// the vault setting clipboard-osc52 is on and the caller gave the
// program's output (Config.OSC52).
func (m *Model) osc52On() bool {
	return m.cfg.OSC52 != nil && m.settings.ClipboardOSC52
}

// clearOSC52 empties the terminal's clipboard if a copy through it is
// pending. A terminal's clipboard cannot be read back, so it is cleared
// whatever it holds now.
func (m *Model) clearOSC52() {
	if m.oscUntil.IsZero() {
		return
	}
	m.oscUntil = time.Time{}
	if _, err := io.WriteString(m.cfg.OSC52, clip.OSC52Clear()); err != nil {
		m.cfg.Log.Printf("osc52 clear: %v", err)
	}
}

// onCopied shows the countdown and, for a copy through the terminal,
// schedules its clearing while the TUI runs (quitting clears it at once).
func (m *Model) onCopied(msg CopiedMsg) tea.Cmd {
	if msg.Err != nil {
		m.setErr(msg.Err)
		return nil
	}
	m.clipName, m.clipUntil = msg.Name, msg.Until
	m.status = ""
	if !msg.OSC52 {
		return nil
	}
	until := msg.Until
	m.oscUntil = until
	return tea.Tick(until.Sub(m.now()), func(time.Time) tea.Msg { return osc52ClearMsg{until} })
}

func (m *Model) onOSC52Clear(msg osc52ClearMsg) {
	if msg.until.Equal(m.oscUntil) {
		m.clearOSC52()
	}
}
