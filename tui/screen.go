package tui

import (
	"context"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"locket/tui/keys"
	"locket/tui/styles"
	"locket/vault"
)

// env is what the root model shares with its screens: the open vault,
// its settings, the clock, the keys and the styles. The root owns it and
// updates it on unlock, lock and reload.
type env struct {
	v vault.Service
	// ctx is the unlocked session's: lock and quit cancel it before they
	// close the vault, so that no call outlives the session.
	ctx      context.Context
	settings vault.Settings
	clock    func() time.Time
	readOnly bool
	keys     *keys.KeyMap
	styles   *styles.Styles
}

func (e *env) now() time.Time { return e.clock() }

// screen is a sub-model the root shows full-screen: the forms, the tag
// editor, the history and the trash. It talks back with BackMsg, AskMsg
// and StatusMsg through its outbox, and with ActionMsg from commands.
type screen interface {
	tea.Model
	SetSize(w, h int)
	// Help is the screen's one-line help (a help.KeyMap).
	Help() keys.Bindings
	// Title names the screen in the header.
	Title() string
	drain() []tea.Msg
}

// outbox holds the messages a screen sends the root. The root handles
// them as soon as the screen's Update returns, not through a command, so
// that a key typed right after (esc then c, r then y) already sees their
// effect.
type outbox struct{ msgs []tea.Msg }

func (o *outbox) send(msg tea.Msg) { o.msgs = append(o.msgs, msg) }

func (o *outbox) drain() []tea.Msg {
	msgs := o.msgs
	o.msgs = nil
	return msgs
}

// loader is a screen that wants the secrets again after a reload.
type loader interface {
	loaded(live, trash []vault.Secret)
}

// BackMsg returns to the main screen, with Status in the status line;
// Reload reads the vault again (after an import).
type BackMsg struct {
	Status string
	Reload bool
}

// AskMsg asks the user to confirm before Yes runs.
type AskMsg struct {
	Question string
	Yes      tea.Cmd
}

// StatusMsg puts a line in the status bar.
type StatusMsg struct {
	Text string
	Err  bool
}

// act runs a change to the vault in a command; ActionMsg reports it.
func (e *env) act(status, sel string, fn func(ctx context.Context, v vault.Service) error) tea.Cmd {
	v, ctx := e.v, e.ctx
	if v == nil {
		return nil
	}
	return func() tea.Msg {
		return ActionMsg{Status: status, Select: sel, Err: fn(ctx, v)}
	}
}

// refuse returns a StatusMsg when k is one of the changing actions in a
// read-only session, which is refused with a word rather than ignored;
// else nil.
func (e *env) refuse(k tea.KeyMsg, bindings ...key.Binding) tea.Msg {
	if !e.readOnly {
		return nil
	}
	for _, b := range bindings {
		for _, bk := range b.Keys() {
			if k.String() == bk {
				return StatusMsg{Text: "read-only: " + b.Help().Desc + " is not available (opened with --read-only)", Err: true}
			}
		}
	}
	return nil
}
