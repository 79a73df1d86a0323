// Package tui is locket's terminal UI, a Bubble Tea program over the
// vault API. The root Model holds a state enum and one sub-model per
// screen; global keys are handled first, then the active screen's.
//
// The UI never shows a value unless asked: values are fetched only when
// revealed or copied, and dropped on leaving the secret, on lock and on
// idle. Every name, tag and value drawn goes through vault.Sanitize.
package tui

import (
	"context"
	"errors"
	"fmt"
	"github.com/charmbracelet/x/ansi"
	"io"
	"log"
	"strings"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"locket/tui/keys"
	"locket/tui/styles"
	"locket/vault"
)

// CopyFunc places value on the clipboard and arranges for it to be
// cleared after clearAfter (package internal/clip provides it).
type CopyFunc func(ctx context.Context, value []byte, clearAfter time.Duration) error

// SubModel is a screen another package provides, such as the rotation
// review: a tea.Model that can be resized. It sends ReviewDoneMsg when the
// user leaves it.
type SubModel interface {
	tea.Model
	SetSize(w, h int)
}

// ReviewFunc builds the rotation review screen for an unlocked vault,
// drawn with the TUI's styles and keys.
type ReviewFunc func(ctx context.Context, v vault.Service, now func() time.Time, readOnly bool, st styles.Styles, km keys.KeyMap) SubModel

// Config is what the program needs from its caller.
type Config struct {
	// Dir is the vault directory.
	Dir string
	// ReadOnly opens the vault read-only and offers no changing action.
	ReadOnly bool
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
	// KDF parameters for a vault created on first run (default
	// vault.DefaultKDF).
	KDF vault.KDFParams
	// Actor overrides user@host in the vault (tests and the demo).
	Actor string
	// Copy puts a value on the clipboard; nil disables `c` unless OSC52
	// is set.
	Copy CopyFunc
	// CopyUnavailable says why Copy cannot work here (no clipboard tool,
	// no display); `c` then shows it without reading the value, unless it
	// copies through OSC 52.
	CopyUnavailable error
	// OSC52 is the program's output (a clip.Terminal), where a copy also
	// goes as an OSC 52 sequence when the vault setting clipboard-osc52
	// is on; nil never writes one.
	OSC52 io.Writer
	// ClearAfter is how long a copied value stays (default 20 s).
	ClearAfter time.Duration
	// Generate makes a new random value for the forms; nil disables it.
	Generate func() ([]byte, error)
	// Review builds the rotation review; nil disables `R`.
	Review ReviewFunc
	// Log receives diagnostics; it must not be the terminal. Nil discards.
	Log *log.Logger
	// Banner is an extra line for the unlock screen (the demo's passphrase).
	Banner string
	// Open unlocks the vault with the passphrase typed on the unlock
	// screen (create: a new vault, the passphrase typed twice). The
	// default opens or creates the vault in Dir in this process.
	Open func(ctx context.Context, passphrase []byte, create bool) (vault.Service, error)
	// Agent, when set, is the vault's agent: the UI opens on it when it
	// is unlocked, and its unlock screen unlocks it before Open is tried
	// (see Agent).
	Agent Agent
}

type state int

const (
	stateLocked state = iota
	stateMain
	stateForm
	stateTags
	stateHistory
	stateTrash
	stateHelp
	stateConfirm
	stateReview
	stateBackup
)

// Model is the root model.
type Model struct {
	*env
	cfg  Config
	st   styles.Styles
	km   keys.KeyMap
	help help.Model

	state  state
	width  int
	height int

	secrets []vault.Secret
	trashed []vault.Secret
	ix      *index
	result  filterResult
	gen     *atomic.Uint64

	list        listView
	sortBy      sortMode
	filter      textinput.Model
	filtering   bool
	detailFocus bool
	detailTop   int

	revealed     []byte
	revealedName string
	life         lifecycle

	unlock  unlockModel
	child   screen // the form, tags, history or trash screen
	confirm confirmModel
	review  SubModel
	// back is the screen that help and confirm return to.
	back state

	status      string
	statusErr   bool
	statusAt    time.Time
	clipName    string
	clipUntil   time.Time
	oscUntil    time.Time // a copy through the terminal to clear then
	lastInput   time.Time
	indexedAt   time.Time
	helpTop     int
	busy        bool
	selectAfter string

	// endSession cancels env.ctx. opened holds every vault this model
	// unlocked, so that Close can close one whose closing command never
	// ran because the program ended first.
	endSession context.CancelFunc
	opened     []vault.Service
	// agentSession says m.v is the agent's.
	agentSession bool
	// agentToken names the agent unlock this session is on; skipAgent the
	// one this UI locked itself out of, which the lock screen does not
	// follow. polling says a poll of the agent is under way (agent.go).
	agentToken, skipAgent string
	polling               bool
}

// New builds the root model. The vault is unlocked inside the UI.
func New(cfg Config) *Model {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.KDF == (vault.KDFParams{}) {
		cfg.KDF = vault.DefaultKDF
	}
	if cfg.ClearAfter == 0 {
		cfg.ClearAfter = 20 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = log.New(io.Discard, "", 0)
	}
	if cfg.Open == nil {
		cfg.Open = openLocal(cfg)
	}
	m := &Model{cfg: cfg, st: styles.Default(), km: keys.DefaultKeyMap(), help: help.New(), gen: new(atomic.Uint64)}
	m.env = &env{clock: cfg.Now, readOnly: cfg.ReadOnly, keys: &m.km, styles: &m.st}
	m.km.SetReadOnly(cfg.ReadOnly)
	if cfg.Review == nil {
		m.km.Review.SetEnabled(false)
	}
	if cfg.Copy == nil && cfg.OSC52 == nil {
		m.km.Copy.SetEnabled(false)
		m.km.CopyRef.SetEnabled(false)
	}
	if cfg.Generate == nil {
		m.km.Generate.SetEnabled(false)
	}
	m.help.Styles.ShortKey = m.st.Title
	m.help.Styles.FullKey = m.st.Title
	m.help.Styles.ShortDesc = m.st.Help
	m.help.Styles.FullDesc = m.st.Help
	m.help.Styles.ShortSeparator = m.st.Dim
	m.help.Styles.FullSeparator = m.st.Dim
	m.filter = newInput("/ ", "filter: words, tag:k=v, status:stale")
	m.list.focus = true
	m.unlock = newUnlock(!vault.Exists(cfg.Dir) && !cfg.ReadOnly, cfg.Banner)
	m.width, m.height = 80, 24
	m.lastInput = cfg.Now()
	return m
}

// newInput is a single-line input with a steady cursor.
func newInput(prompt, placeholder string) textinput.Model {
	ti := textinput.New()
	ti.Prompt = prompt
	ti.Placeholder = placeholder
	ti.Cursor.SetMode(cursor.CursorStatic)
	return ti
}

// Vault returns the unlocked vault, or nil.
func (m *Model) Vault() vault.Service { return m.v }

// Close ends the session and closes every vault the model opened; the
// caller runs it after the program ends. Closing twice is harmless.
func (m *Model) Close() error {
	m.hide()
	m.endSessionNow()
	var errs []error
	for _, v := range m.opened {
		errs = append(errs, v.Close())
	}
	m.opened, m.v = nil, nil
	return errors.Join(errs...)
}

// endSessionNow cancels the session's calls in flight.
func (m *Model) endSessionNow() {
	if m.endSession != nil {
		m.endSession()
		m.endSession = nil
	}
}

// closeVault closes v in a command: Close waits for the calls in flight,
// which must not block Update.
func closeVault(v vault.Service) tea.Cmd {
	if v == nil {
		return nil
	}
	return func() tea.Msg { return closedMsg{v.Close()} }
}

// Init starts the clock.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(tick(), m.unlock.focus(), m.resume())
}

// setStatus shows a one-line outcome.
func (m *Model) setStatus(msg string, isErr bool) {
	m.status, m.statusErr, m.statusAt = msg, isErr, m.now()
}

// clearStatus empties the status line when the screen changes.
func (m *Model) clearStatus() { m.status, m.statusErr = "", false }

// setErr shows an error the way the CLI does: "locket: what went wrong".
func (m *Model) setErr(err error) {
	// The log never gets the text: it may hold a secret's name.
	m.cfg.Log.Printf("an action failed (shown in the status line)")
	m.setStatus(vault.Sanitize(err.Error()), true)
}

// Update handles global keys first, then the active screen. A value
// revealed on the main screen never outlives it.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok && k.Type == tea.KeyRunes && len(k.Runes) > 1 && !k.Paste {
		// Bubble Tea delivers keys typed faster than it reads them (a
		// busy machine, tmux send-keys) as one message: "/" and "pdb"
		// arrive as "/pdb", which no binding matches. Each is a key.
		cmds := make([]tea.Cmd, 0, len(k.Runes))
		for _, r := range k.Runes {
			_, c := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: k.Alt})
			cmds = append(cmds, c)
		}
		return m, tea.Batch(cmds...)
	}
	_, cmd := m.update(msg)
	if m.state != stateMain && m.revealed != nil {
		clear(m.revealed)
		m.revealed, m.revealedName = nil, ""
	}
	if tl := m.wantTimeline(); tl != nil {
		cmd = tea.Batch(cmd, tl)
	}
	return m, cmd
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.resize()
		if m.review != nil {
			m.review.SetSize(m.width, m.height)
		}
		return m, nil
	case TickMsg:
		return m, m.onTick()
	case tea.KeyMsg:
		m.lastInput = m.now()
		if key.Matches(msg, m.km.ForceQuit) {
			return m, m.quit()
		}
		if m.state != stateLocked && key.Matches(msg, m.km.Lock) {
			if m.agentSession {
				return m, tea.Batch(m.lock("locked"), m.lockAgent())
			}
			return m, m.lock("locked")
		}
	case tea.MouseMsg:
		m.lastInput = m.now()
		return m, m.onMouse(msg)
	case UnlockedMsg:
		if msg.polled {
			m.polling = false
		}
		return m, m.onUnlocked(msg)
	case agentPolledMsg:
		m.polling = false
		return m, nil
	case changeMsg:
		return m, m.onChange(msg)
	case changesEndedMsg:
		return m, m.onChangesEnded(msg)
	case agentCheckedMsg:
		return m, m.onAgentChecked(msg)
	case LoadedMsg:
		return m, m.onLoaded(msg)
	case FilteredMsg:
		if msg.gen == m.gen.Load() {
			m.result = msg.result
			m.list.setRows(m.ix, m.result.rows)
			m.afterMove(nil)
		}
		return m, nil
	case RevealedMsg:
		m.onRevealed(msg)
		return m, nil
	case healthMsg:
		m.onHealth(msg)
		return m, nil
	case timelineDueMsg:
		return m, m.onTimelineDue(msg)
	case timelineMsg:
		m.onTimeline(msg)
		return m, nil
	case ActionMsg:
		return m, m.onAction(msg)
	case CopiedMsg:
		cmd := m.onCopied(msg)
		m.tellReview(msg)
		return m, cmd
	case RefCopiedMsg:
		if msg.Err != nil {
			m.setErr(msg.Err)
		} else {
			m.setStatus("copied "+msg.Ref+" (the reference, not the value)", false)
		}
		return m, nil
	case osc52ClearMsg:
		m.onOSC52Clear(msg)
		return m, nil
	case BackMsg:
		m.closeChild()
		if msg.Status != "" {
			m.setStatus(msg.Status, false)
		}
		if msg.Reload {
			return m, m.load()
		}
		return m, nil
	case AskMsg:
		return m, m.ask(msg.Question, msg.Yes)
	case StatusMsg:
		m.setStatus(msg.Text, msg.Err)
		return m, nil
	case ReviewDoneMsg:
		m.state = stateMain
		m.review = nil
		if msg.Status != "" {
			m.setStatus(msg.Status, false)
		}
		return m, m.load()
	case closedMsg:
		if msg.err != nil {
			m.setErr(msg.err)
		}
		return m, nil
	}

	switch m.state {
	case stateLocked:
		return m, m.updateUnlock(msg)
	case stateMain:
		return m, m.updateMain(msg)
	case stateForm, stateTags, stateHistory, stateTrash, stateBackup:
		if k, ok := msg.(tea.KeyMsg); ok && (m.state == stateHistory || m.state == stateTrash) && key.Matches(k, m.km.Help) {
			m.back, m.state = m.state, stateHelp
			return m, nil
		}
		if m.child == nil {
			m.state = stateMain
			return m, nil
		}
		return m, m.updateChild(msg)
	case stateHelp:
		if k, ok := msg.(tea.KeyMsg); ok {
			switch {
			case key.Matches(k, m.km.Back, m.km.Help, m.km.Quit):
				m.state, m.helpTop = m.back, 0
			case key.Matches(k, m.km.Up):
				m.scrollHelp(-1)
			case key.Matches(k, m.km.Down):
				m.scrollHelp(1)
			}
		}
		return m, nil
	case stateConfirm:
		return m, m.updateConfirm(msg)
	case stateReview:
		if m.review == nil {
			m.state = stateMain
			return m, nil
		}
		nm, cmd := m.review.Update(msg)
		if sm, ok := nm.(SubModel); ok {
			m.review = sm
		}
		return m, cmd
	}
	return m, nil
}

func (m *Model) quit() tea.Cmd {
	m.clearOSC52()
	m.hide()
	m.endSessionNow()
	v := m.v
	m.v = nil
	if v == nil {
		return tea.Quit
	}
	return tea.Sequence(closeVault(v), tea.Quit)
}

// onTick locks after the idle time and expires old status lines.
func (m *Model) onTick() tea.Cmd {
	now := m.now()
	if m.state != stateLocked && m.settings.IdleLock > 0 && now.Sub(m.lastInput) >= m.settings.IdleLock {
		return tea.Batch(m.lock("locked after "+vault.FormatDuration(m.settings.IdleLock)+" idle"), tick())
	}
	if m.state != stateLocked && m.ix != nil && now.Sub(m.indexedAt) >= time.Minute {
		return tea.Batch(m.restatus(), tick())
	}
	if !m.clipUntil.IsZero() && !now.Before(m.clipUntil) {
		m.clipName, m.clipUntil = "", time.Time{}
	}
	if m.status != "" && !m.statusErr && now.Sub(m.statusAt) > 10*time.Second {
		m.status = ""
	}
	if m.state == stateLocked {
		return tea.Batch(m.resume(), tick())
	}
	return tick()
}

// lock hides every value, forgets the secrets and closes the vault, which
// wipes its keys; unlocking opens it again.
func (m *Model) lock(why string) tea.Cmd {
	m.hide()
	m.endSessionNow()
	v := m.v
	m.v, m.agentSession = nil, false
	m.skipAgent, m.agentToken = m.agentToken, ""
	if sel := m.list.selected(); sel != nil {
		m.selectAfter = sel.Name
	}
	m.secrets, m.trashed, m.ix = nil, nil, nil
	m.result = filterResult{}
	m.list.setRows(nil, nil)
	m.life.reset()
	m.list.health = nil
	if f, ok := m.review.(interface{ Forget() }); ok {
		f.Forget() // a generated value not yet saved goes with the lock
	}
	m.child, m.review = nil, nil
	m.state = stateLocked
	m.unlock = newUnlock(false, m.cfg.Banner)
	m.unlock.note = why
	m.cfg.Log.Printf("lock: %s", why)
	cmds := []tea.Cmd{m.unlock.focus()}
	if v != nil {
		cmds = append(cmds, closeVault(v))
	}
	return tea.Batch(cmds...)
}

// hide drops a revealed value from memory.
func (m *Model) hide() {
	clear(m.revealed)
	m.revealed, m.revealedName = nil, ""
	// Screens that hold values (history, the backup screens) drop them.
	if h, ok := m.child.(interface{ hide() }); ok {
		h.hide()
	}
}

// updateChild passes msg to the open screen and then handles what the
// screen sent back.
func (m *Model) updateChild(msg tea.Msg) tea.Cmd {
	child := m.child
	_, cmd := child.Update(msg)
	cmds := []tea.Cmd{cmd}
	for _, out := range child.drain() {
		_, c := m.update(out)
		cmds = append(cmds, c)
	}
	return tea.Batch(cmds...)
}

// open shows a full screen sub-model.
func (m *Model) open(st state, child screen) tea.Cmd {
	m.hide()
	// What the last screen reported is not news on this one.
	m.clearStatus()
	m.child, m.state = child, st
	m.resize()
	return child.Init()
}

// closeChild returns to the main screen.
func (m *Model) closeChild() {
	if m.child != nil {
		m.hide()
	}
	m.child, m.state = nil, stateMain
}

func (m *Model) onUnlocked(msg UnlockedMsg) tea.Cmd {
	m.busy = false
	m.unlock.busy = false
	if msg.Err != nil {
		m.unlock.err = vault.Sanitize(msg.Err.Error())
		if errors.Is(msg.Err, vault.ErrWrongPassphrase) {
			m.unlock.err = "wrong passphrase or damaged vault header"
		}
		m.unlock.reset()
		return m.unlock.focus()
	}
	if m.v != nil {
		// The agent's session and one the user unlocked meanwhile: keep
		// the first.
		return closeVault(msg.Vault)
	}
	m.v = msg.Vault
	m.agentSession = msg.Agent
	m.agentToken = msg.token
	m.opened = append(m.opened, msg.Vault)
	m.ctx, m.endSession = context.WithCancel(context.Background())
	m.settings = msg.Settings
	m.state = stateMain
	m.lastInput = m.now()
	m.unlock = unlockModel{}
	m.setStatus("unlocked", false)
	if m.agentSession {
		return tea.Batch(m.load(), m.watch())
	}
	return m.load()
}

// load reads the secrets and the trash and indexes them, off the UI.
func (m *Model) load() tea.Cmd {
	v, ctx, now, sortBy := m.v, m.ctx, m.now(), m.sortBy
	if v == nil {
		return nil
	}
	return func() tea.Msg {
		start := time.Now()
		live, err := v.List(ctx, vault.ListOptions{At: now})
		if err != nil {
			return LoadedMsg{Err: err}
		}
		trash, err := v.List(ctx, vault.ListOptions{Deleted: true, At: now})
		if err != nil {
			return LoadedMsg{Err: err}
		}
		set, err := v.Settings(ctx)
		if err != nil {
			return LoadedMsg{Err: err}
		}
		msg := LoadedMsg{Secrets: live, Trash: trash, Settings: set, ix: newIndex(live, now, set, sortBy), reread: true}
		m.cfg.Log.Printf("load: %d secrets, %d in trash, %s", len(live), len(trash), time.Since(start))
		return msg
	}
}

func (m *Model) onLoaded(msg LoadedMsg) tea.Cmd {
	if msg.Err != nil {
		m.setErr(msg.Err)
		return nil
	}
	if m.v == nil {
		return nil // locked meanwhile
	}
	if msg.ix == nil {
		msg.ix = newIndex(msg.Secrets, m.now(), msg.Settings, m.sortBy)
	}
	m.secrets, m.trashed, m.settings, m.ix = msg.Secrets, msg.Trash, msg.Settings, msg.ix
	m.indexedAt = m.now()
	// A reload keeps the filter; it runs here rather than in a command so
	// that no frame shows the unfiltered list.
	m.gen.Add(1)
	m.result, _ = m.ix.run(vault.ParseQuery(m.filter.Value()), nil, nil, 0)
	keep, at := m.list.selected(), m.list.cursor
	m.list.setRows(m.ix, m.result.rows)
	if keep != nil && m.list.selected() != nil && m.list.selected().Name != keep.Name {
		// The selected secret is gone (deleted, moved): the cursor stays
		// at its place, on the secret that followed it.
		m.list.cursor = at
		m.list.clamp()
	}
	if m.selectAfter != "" {
		m.list.selectName(m.selectAfter)
		m.selectAfter = ""
	}
	if l, ok := m.child.(loader); ok {
		l.loaded(m.secrets, m.trashed)
	}
	if !msg.reread {
		return nil
	}
	// Values may have changed: the health findings and the timeline are
	// read again.
	m.life.reset()
	m.list.health = nil
	return m.checkHealth()
}

// restatus computes the statuses again for the current time, off the UI:
// a TUI kept open all day sees secrets turn due and stale.
func (m *Model) restatus() tea.Cmd {
	live, trash, set, now, sortBy := m.secrets, m.trashed, m.settings, m.now(), m.sortBy
	m.indexedAt = now
	return func() tea.Msg {
		return LoadedMsg{Secrets: live, Trash: trash, Settings: set, ix: newIndex(live, now, set, sortBy)}
	}
}

// runFilter filters in a command; a newer run makes older ones stop.
func (m *Model) runFilter() tea.Cmd {
	if m.ix == nil {
		return nil
	}
	q := vault.ParseQuery(m.filter.Value())
	gen := m.gen.Add(1)
	ix, prev, counter := m.ix, m.result, m.gen
	if q.Empty() {
		m.result = filterResult{query: q, rows: ix.all()}
		m.list.setRows(ix, m.result.rows)
		return nil
	}
	return func() tea.Msg {
		res, ok := ix.run(q, &prev, counter, gen)
		if !ok {
			return nil
		}
		return FilteredMsg{gen: gen, result: res}
	}
}

// onAction reports a change's outcome and reloads. A failed save stays
// in its form, which shows the error.
func (m *Model) onAction(msg ActionMsg) tea.Cmd {
	m.busy = false
	if m.child != nil && (m.state == stateForm || m.state == stateTags) {
		m.updateChild(msg)
		if msg.Err != nil {
			return nil
		}
		if m.state == stateForm {
			m.closeChild()
		}
	} else if msg.Err != nil {
		m.setErr(msg.Err)
		return nil
	}
	m.setStatus(msg.Status, false)
	if msg.Select != "" {
		m.selectAfter = msg.Select
	}
	return m.load()
}

func (m *Model) resize() {
	m.help.Width = m.width
	m.filter.Width = max(10, m.width-4)
	lw, lh, _, _ := m.layout()
	m.list.SetSize(lw, lh)
	if m.child != nil {
		m.child.SetSize(m.width, m.height-3)
	}
}

// wide reports whether list and detail sit side by side.
func (m *Model) wide() bool { return m.width >= 100 }

// layout returns the list's and the detail pane's sizes. The header takes
// one line, the footer (filter, status, help) two or three.
func (m *Model) layout() (lw, lh, dw, dh int) {
	body := m.height - 1 - m.footerHeight()
	if m.detailFocus {
		// enter opens the detail on the whole screen at every width.
		return m.width, 0, m.width, body
	}
	if m.wide() {
		lw = m.width * 55 / 100
		if m.width < 120 {
			lw = m.width / 2 // the detail pane needs its 45 columns
		}
		return lw, body, m.width - lw - 3, body
	}
	lh = max(3, body/2)
	return m.width, lh, m.width, body - lh - 1
}

func (m *Model) footerHeight() int {
	h := 1 + m.statusHeight()
	if m.filtering || m.filter.Value() != "" {
		h++
	}
	return h
}

// The smallest terminal locket draws its screens in.
const minWidth, minHeight = 40, 10

// View draws the active screen.
func (m *Model) View() string {
	if m.width < minWidth || m.height < minHeight {
		// Wrapped, so that the size it needs is never the part cut off.
		msg := fmt.Sprintf("locket needs a terminal of at least %d×%d; this one is %d×%d", minWidth, minHeight, m.width, m.height)
		return lines(m.st.Warning.Width(max(1, m.width)).Render(msg), m.width, m.height)
	}
	var out string
	switch m.state {
	case stateLocked:
		out = m.unlock.View(&m.st, m.width, m.height, m.cfg.Dir)
	case stateMain:
		out = m.mainView()
	case stateForm, stateTags, stateHistory, stateTrash, stateBackup:
		if m.child != nil {
			out = m.frame(m.child.View(), m.child.Help(), m.child.Title())
		}
	case stateHelp:
		out = m.helpView()
	case stateConfirm:
		out = m.confirm.View(&m.st, m.width, m.height)
	case stateReview:
		if m.review != nil {
			out = m.review.View()
		}
	}
	return lines(out, m.width, m.height)
}

// header is the top line: what is open and how it is sorted.
func (m *Model) header(title string) string {
	left := m.st.Header.Render("locket") + m.st.Dim.Render(" · "+title)
	right := ""
	if m.cfg.ReadOnly {
		right = m.st.Warning.Render("[read-only]")
	}
	gap := m.width - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		return pad(left, m.width)
	}
	return left + strings.Repeat(" ", gap) + right
}

// frame wraps a screen in the header, status and help lines.
func (m *Model) frame(body string, h keys.Bindings, title string) string {
	return m.header(title) + "\n" +
		lines(body, m.width, m.height-2-m.statusHeight()) + "\n" +
		m.statusLine() + "\n" +
		m.help.ShortHelpView(h)
}

// statusLine shows the last outcome, the clipboard countdown and the
// backup reminder.
func (m *Model) statusLine() string {
	text := m.statusText()
	if m.statusHeight() == 1 {
		return pad(text, m.width)
	}
	// Too long for one line (a clipboard hint with its command): two
	// lines, so that the part the user must type is not the part cut off.
	// Break at spaces only: ansi.Wrap would also break a command such
	// as "clipboard-osc52" at its hyphen.
	words := strings.Split(text, " ")
	first, n := words[0], ansi.StringWidth(words[0])
	i := 1
	for ; i < len(words); i++ {
		ww := ansi.StringWidth(words[i])
		if n+1+ww > m.width {
			break
		}
		first, n = first+" "+words[i], n+1+ww
	}
	return pad(first, m.width) + "\n" + pad(strings.Join(words[i:], " "), m.width)
}

// statusHeight is the status line's height: two lines for an outcome
// wider than the screen, else one.
func (m *Model) statusHeight() int {
	if ansi.StringWidth(m.statusText()) > m.width {
		return 2
	}
	return 1
}

// statusText is the status line's content, styled, not padded.
func (m *Model) statusText() string {
	var parts []string
	if m.busy {
		parts = append(parts, m.st.Dim.Render("working…"))
	}
	if m.status != "" {
		style := m.st.Success
		if m.statusErr {
			style = m.st.Error
			parts = append(parts, style.Render("locket: "+m.status))
		} else {
			parts = append(parts, style.Render(m.status))
		}
	}
	if !m.clipUntil.IsZero() {
		left := m.clipUntil.Sub(m.now())
		secs := int((left + time.Second - 1) / time.Second)
		parts = append(parts, m.st.Warning.Render(fmt.Sprintf("clipboard: %s, clears in %ds", vault.Sanitize(m.clipName), max(secs, 0))))
	}
	// The backup reminder stays until a whole-vault export (backup-every).
	if m.state != stateLocked {
		if r := m.settings.BackupReminder(m.now()); r != "" {
			parts = append(parts, m.st.Warning.Render(r))
		}
	}
	return strings.Join(parts, m.st.Dim.Render(" · "))
}
