package tui

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"

	"locket/vault"
)

// Agent is the vault's agent as the UI uses it (cmd provides it). The
// sessions it returns are vault.Services like any other; only opening,
// locking and following other clients' changes differ.
type Agent interface {
	// Session returns the agent's vault when an agent runs and is
	// unlocked, else nil: the UI then asks for the passphrase.
	Session(ctx context.Context) (vault.Service, error)
	// Unlock unlocks the agent, starting it if none runs, and returns its
	// vault; nil and no error when the vault wants no agent (agent off),
	// and the UI opens it itself.
	Unlock(ctx context.Context, passphrase []byte) (vault.Service, error)
	// Lock locks the agent: every client's session ends.
	Lock(ctx context.Context) error
	// Unlocked names the agent's current unlock ("" when no agent runs or
	// it is locked); each unlock has its own name. The lock screen
	// follows an unlock made elsewhere, but not the one this UI locked
	// itself out of (its idle lock).
	Unlocked(ctx context.Context) (string, error)
}

// changeMsg reports that another client changed the vault: the secrets
// named, or any (all) when a change names none (an import) or moves one.
type changeMsg struct {
	v     vault.Service
	ch    <-chan vault.Change
	names map[string]bool
	all   bool
}

// agentPolledMsg: the lock screen asked the agent, and there was no new
// unlock to follow.
type agentPolledMsg struct{}

// changesEndedMsg reports that v's change stream ended: the agent locked,
// stopped, or dropped a watcher that fell behind.
type changesEndedMsg struct{ v vault.Service }

// agentCheckedMsg is the answer to whether v's agent still serves it.
type agentCheckedMsg struct {
	v   vault.Service
	err error
}

// resume opens the UI on the agent's vault when the agent is unlocked:
// at start, and once a second on the lock screen, so that an unlock in
// another shell unlocks this UI too. The unlock this UI locked itself out
// of (its idle lock, m.skipAgent) is not followed.
func (m *Model) resume() tea.Cmd {
	a := m.cfg.Agent
	if a == nil || m.unlock.create || m.polling {
		return nil
	}
	m.polling = true
	skip := m.skipAgent
	return func() tea.Msg {
		ctx := context.Background()
		token, err := a.Unlocked(ctx)
		if err != nil || token == "" || token == skip {
			return agentPolledMsg{}
		}
		v, err := a.Session(ctx)
		if err != nil || v == nil {
			return agentPolledMsg{}
		}
		set, err := v.Settings(ctx)
		if err != nil {
			v.Close()
			return agentPolledMsg{}
		}
		return UnlockedMsg{Vault: v, Settings: set, Agent: true, token: token, polled: true}
	}
}

// unlockAgent is submitUnlock through the agent; nil when the vault
// wants no agent.
func unlockAgent(ctx context.Context, a Agent, pass []byte) (UnlockedMsg, bool) {
	v, err := a.Unlock(ctx, pass)
	if err != nil {
		return UnlockedMsg{Err: err}, true
	}
	if v == nil {
		return UnlockedMsg{}, false
	}
	set, err := v.Settings(ctx)
	if err != nil {
		v.Close()
		return UnlockedMsg{Err: err}, true
	}
	token, _ := a.Unlocked(ctx)
	return UnlockedMsg{Vault: v, Settings: set, Agent: true, token: token}, true
}

// watch follows the changes of the session's vault, so that what other
// clients write shows within a moment.
func (m *Model) watch() tea.Cmd {
	v, ctx := m.v, m.ctx
	return func() tea.Msg {
		ch, err := v.Changes(ctx)
		if err != nil {
			return changesEndedMsg{v}
		}
		return waitChange(v, ch)()
	}
}

// waitChange waits for the next change; a burst of them (an import, a
// script) becomes one reload.
func waitChange(v vault.Service, ch <-chan vault.Change) tea.Cmd {
	return func() tea.Msg {
		msg := changeMsg{v: v, ch: ch, names: map[string]bool{}}
		note := func(c vault.Change) {
			if c.Secret == "" || c.Op == vault.OpMove {
				msg.all = true
			}
			msg.names[c.Secret] = true
		}
		c, ok := <-ch
		if !ok {
			return changesEndedMsg{v}
		}
		note(c)
		for {
			select {
			case c, ok := <-ch:
				if !ok {
					return changesEndedMsg{v}
				}
				note(c)
			default:
				return msg
			}
		}
	}
}

// onChange reloads after another client's change. A revealed value of a
// secret that changed is hidden: beside the new version count it would
// show an old value as the current one.
func (m *Model) onChange(msg changeMsg) tea.Cmd {
	if msg.v != m.v {
		return nil
	}
	if m.revealed != nil && (msg.all || msg.names[m.revealedName]) {
		m.hide()
		m.setStatus("value hidden: another client changed the secret", false)
	}
	return tea.Batch(m.load(), waitChange(msg.v, msg.ch))
}

// onChangesEnded asks whether the agent still serves the session: a
// locked agent locks the UI, a live one is followed again.
func (m *Model) onChangesEnded(msg changesEndedMsg) tea.Cmd {
	if msg.v != m.v || m.v == nil {
		return nil // a session that ended already
	}
	v, ctx := m.v, m.ctx
	return func() tea.Msg {
		_, err := v.Info(ctx)
		return agentCheckedMsg{v, err}
	}
}

func (m *Model) onAgentChecked(msg agentCheckedMsg) tea.Cmd {
	if msg.v != m.v || m.v == nil {
		return nil
	}
	if msg.err != nil {
		return m.lock("the agent was locked")
	}
	return tea.Batch(m.load(), m.watch())
}

// lockAgent locks the agent for every client (ctrl+l).
func (m *Model) lockAgent() tea.Cmd {
	a := m.cfg.Agent
	return func() tea.Msg {
		if err := a.Lock(context.Background()); err != nil {
			return StatusMsg{Text: vault.Sanitize(err.Error()), Err: true}
		}
		return nil
	}
}
