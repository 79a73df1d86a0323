package tui

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"locket/internal/e2e"
	"locket/vault"
)

// testNow is the fixed moment of every test.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const testPass = "correct horse battery staple"

func TestMain(m *testing.M) {
	e2e.ParallelWaits()
	// Plain text and UTC make golden files the same on every machine.
	lipgloss.SetColorProfile(termenv.Ascii)
	time.Local = time.UTC
	timelineDelay = 0
	code := e2e.Tests(m).Run()
	if sharedDir != "" {
		if sharedVault != nil {
			sharedVault.Close()
		}
		os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

// clock is a settable clock for the vault and the model.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// seededVault creates a vault in a new directory holding the demo secrets
// written at testNow, and closes it.
func seededVault(tb testing.TB, dir string) { seededVaultAt(tb, dir, testNow) }

// seededVaultAt is seededVault with the secrets written up to now.
func seededVaultAt(tb testing.TB, dir string, now time.Time) {
	tb.Helper()
	clk := newClock(now)
	v, err := vault.Create(context.Background(), dir, []byte(testPass), vault.MinKDF, vault.DefaultSettings(),
		vault.Options{Now: clk.Now, Actor: "ana@laptop"})
	if err != nil {
		tb.Fatal(err)
	}
	if err := SeedDemo(context.Background(), v, clk.Set, now); err != nil {
		tb.Fatal(err)
	}
	if err := v.Close(); err != nil {
		tb.Fatal(err)
	}
}

var (
	sharedOnce  sync.Once
	sharedDir   string
	sharedVault *vault.Vault
)

// shared is one seeded vault, opened once, for the read-only view tests.
// settingsOf returns v's settings.
func settingsOf(tb testing.TB, v vault.Service) vault.Settings {
	tb.Helper()
	set, err := v.Settings(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return set
}

func shared(tb testing.TB) *vault.Vault {
	tb.Helper()
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "locket-tui-test-")
		if err != nil {
			tb.Fatal(err)
		}
		sharedDir = dir
		seededVault(tb, filepath.Join(dir, "vault"))
		sharedVault, err = vault.Open(context.Background(), filepath.Join(dir, "vault"), []byte(testPass),
			vault.Options{Now: func() time.Time { return testNow }, Actor: "ana@laptop"})
		if err != nil {
			tb.Fatal(err)
		}
	})
	if sharedVault == nil {
		tb.Fatal("no shared vault")
	}
	return sharedVault
}

// run feeds cmd's messages back into m until nothing is left, as the
// program would. Ticks are dropped so that tests stay fast and fixed.
func run(tb testing.TB, m *Model, cmd tea.Cmd) {
	tb.Helper()
	if cmd == nil {
		return
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(e2e.Scale(2 * time.Minute)):
		tb.Fatal("command did not finish")
	}
	switch msg := msg.(type) {
	case nil, TickMsg:
	case tea.BatchMsg:
		for _, c := range msg {
			run(tb, m, c)
		}
	case tea.QuitMsg:
	default:
		_, next := m.Update(msg)
		run(tb, m, next)
	}
}

// send delivers msg to m and runs what follows.
func send(tb testing.TB, m *Model, msg tea.Msg) {
	tb.Helper()
	_, cmd := m.Update(msg)
	run(tb, m, cmd)
}

// press types each key: single characters, or names like "enter", "esc".
func press(tb testing.TB, m *Model, ks ...string) {
	tb.Helper()
	for _, k := range ks {
		send(tb, m, keyMsg(k))
	}
}

func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "ctrl+l":
		return tea.KeyMsg{Type: tea.KeyCtrlL}
	case "ctrl+s":
		return tea.KeyMsg{Type: tea.KeyCtrlS}
	case "ctrl+g":
		return tea.KeyMsg{Type: tea.KeyCtrlG}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// typeText types s one rune at a time.
func typeText(tb testing.TB, m *Model, s string) {
	tb.Helper()
	for _, r := range s {
		send(tb, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// openModel is a model at w×h, unlocked on v.
func openModel(tb testing.TB, v *vault.Vault, cfg Config, w, h int) *Model {
	tb.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	info, err := v.Info(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	set, err := v.Settings(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Dir = info.Dir
	cfg.ReadOnly = cfg.ReadOnly || info.ReadOnly
	m := New(cfg)
	send(tb, m, tea.WindowSizeMsg{Width: w, Height: h})
	send(tb, m, UnlockedMsg{Vault: v, Settings: set})
	m.status = "" // "unlocked" would expire; keep goldens quiet
	return m
}

type testTime = time.Time

type atomicCounter struct{ atomic.Uint64 }
