package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"locket/vault"
)

// Messages of the TUI. Work that may take long (unlocking with Argon2,
// loading, filtering, every vault call) runs in a tea.Cmd and reports back
// with one of these, so Update never blocks.

// UnlockedMsg reports the outcome of unlocking or creating the vault.
type UnlockedMsg struct {
	Vault    vault.Service
	Settings vault.Settings
	Err      error
	// Agent says the vault is the agent's: ctrl+l locks the agent, and
	// the UI follows the changes other clients make.
	Agent bool
	// token names the agent's unlock (Agent.Unlocked); polled says the
	// lock screen's poll found it.
	token  string
	polled bool
}

// LoadedMsg carries the secrets and the trash after unlocking or a change.
type LoadedMsg struct {
	Secrets  []vault.Secret
	Trash    []vault.Secret
	Settings vault.Settings
	Err      error

	ix *index
	// reread says the vault was read again (after unlock or a change),
	// not only re-indexed for the time: health is checked again.
	reread bool
}

// FilteredMsg is the result of one filter run.
type FilteredMsg struct {
	gen    uint64
	result filterResult
}

// RevealedMsg carries a value the user asked to see.
type RevealedMsg struct {
	Name    string
	Version int
	Value   []byte
	Err     error
}

// ActionMsg reports the outcome of a change to the vault. On success the
// list reloads and selects Select.
type ActionMsg struct {
	Status string
	Select string
	Err    error
}

// CopiedMsg reports a copy to the clipboard that clears at Until.
type CopiedMsg struct {
	Name  string
	Until time.Time
	// OSC52 says the value also went through the terminal (OSC 52).
	OSC52 bool
	Err   error
}

// RefCopiedMsg reports a secret's reference copied to the clipboard.
type RefCopiedMsg struct {
	Ref string
	Err error
}

// ReviewDoneMsg is sent by the rotation review sub-model when the user
// leaves it; Status goes to the status line and the list reloads.
type ReviewDoneMsg struct {
	Status string
}

// TickMsg drives the idle lock and the clipboard countdown.
type TickMsg time.Time

// closedMsg reports that the vault was closed on lock.
type closedMsg struct{ err error }

// tick schedules the next TickMsg. It uses the wall clock only to wake
// up; decisions use the model's injected clock.
func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return TickMsg(t) })
}
