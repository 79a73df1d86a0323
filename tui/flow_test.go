package tui

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"locket/internal/e2e"
	"locket/vault"
)

// flow is a running program on a fresh seeded vault.
type flow struct {
	t   *testing.T
	tm  *teatest.TestModel
	dir string
	clk *clock
}

func startFlow(t *testing.T, cfg Config) *flow {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "vault")
	seededVault(t, dir)
	clk := newClock(testNow)
	cfg.Dir, cfg.Now, cfg.Actor = dir, clk.Now, "ana@laptop"
	f := &flow{t: t, dir: dir, clk: clk}
	f.tm = teatest.NewTestModel(t, New(cfg), teatest.WithInitialTermSize(120, 40))
	f.waitFor("Unlock vault")
	f.typ(testPass)
	f.key(tea.KeyEnter)
	f.waitFor("37 secrets")
	return f
}

// flowDeadline bounds each wait of a flow. It is generous on purpose: a
// wait ends as soon as the screen shows what it waits for, and a busy
// machine under -race can take many seconds for one Argon2id or scrypt run.
var flowDeadline = e2e.Scale(2 * time.Minute)

// waitFor waits until the screen shows every one of texts.
func (f *flow) waitFor(texts ...string) {
	f.t.Helper()
	teatest.WaitFor(f.t, f.tm.Output(), func(b []byte) bool {
		for _, s := range texts {
			if !bytes.Contains(b, []byte(s)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(flowDeadline), teatest.WithCheckInterval(20*time.Millisecond))
}

func (f *flow) typ(s string) { f.tm.Type(s) }

func (f *flow) key(k tea.KeyType) { f.tm.Send(tea.KeyMsg{Type: k}) }

// filter narrows the list to what query matches and leaves the filter.
func (f *flow) filter(query, expect string) {
	f.t.Helper()
	f.typ("/")
	f.typ(query)
	f.waitFor(expect)
	f.key(tea.KeyEnter)
}

// quit ends the program and returns the final model.
func (f *flow) quit() *Model {
	f.t.Helper()
	f.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	return f.tm.FinalModel(f.t, teatest.WithFinalTimeout(flowDeadline)).(*Model)
}

// reopen opens the vault after the program closed it.
func (f *flow) reopen() *vault.Vault {
	f.t.Helper()
	v, err := vault.Open(context.Background(), f.dir, []byte(testPass), vault.Options{Now: f.clk.Now, ReadOnly: true})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { v.Close() })
	return v
}

func TestFlowCreateEditHistoryRollback(t *testing.T) {
	t.Parallel()
	f := startFlow(t, Config{})
	f.typ("n")
	f.waitFor("new secret")
	f.typ("app/api/token")
	f.key(tea.KeyTab)
	f.typ("first-value")
	f.key(tea.KeyTab)
	f.typ("text/plain")
	f.key(tea.KeyCtrlS)
	f.waitFor("created app/api/token")

	f.filter("app/api/token", "1 of 38 secrets")
	f.typ("e")
	f.waitFor("(adds a version)")
	f.typ("second-value")
	f.key(tea.KeyCtrlS)
	f.waitFor("saved a new version of app/api/token")

	f.typ("h")
	f.waitFor("History of app/api/token", "v2", "CURRENT")
	f.key(tea.KeyDown)
	f.typ("r")
	f.waitFor("Roll app/api/token back to v1?")
	f.typ("y")
	f.waitFor("rolled app/api/token back to v1", "v3")
	m := f.quit()
	if m.Vault() != nil {
		t.Error("quitting left the vault open")
	}

	v := f.reopen()
	val, ver, err := v.Get(context.Background(), "app/api/token", 0, vault.OpGet)
	if err != nil {
		t.Fatal(err)
	}
	if string(val) != "first-value" || ver.Number != 3 {
		t.Errorf("after rollback: value %q version %d, want first-value and v3", val, ver.Number)
	}
}

func TestFlowDeleteTrashRecover(t *testing.T) {
	t.Parallel()
	f := startFlow(t, Config{})
	f.filter("dev/db/password", "1 of 37 secrets")
	f.typ("d")
	f.waitFor("Delete dev/db/password?")
	f.typ("y")
	f.waitFor("deleted dev/db/password", "5 in trash")
	f.typ("T")
	f.waitFor("Trash", "dev/db/password", "90 days")
	f.typ("r")
	f.waitFor("recovered dev/db/password")
	f.typ("T") // back to the list
	f.waitFor("4 in trash")
	f.quit()

	s, err := f.reopen().Secret(context.Background(), "dev/db/password")
	if err != nil || s.InTrash() {
		t.Fatalf("dev/db/password after recover: in trash %v, err %v", s.InTrash(), err)
	}
}

func TestFlowPurgeAndPurgeProtection(t *testing.T) {
	t.Parallel()
	f := startFlow(t, Config{})
	f.typ("T")
	f.waitFor("legacy/ftp/password")
	f.typ("P")
	f.waitFor("Purge legacy/ftp/password for good?")
	f.typ("n")
	f.waitFor("cancelled")
	f.typ("P")
	f.waitFor("Purge legacy/ftp/password for good?")
	f.typ("y")
	f.waitFor("purged legacy/ftp/password")
	f.quit()
	v := f.reopen()
	if _, err := v.Secret(context.Background(), "legacy/ftp/password"); err == nil {
		t.Fatal("purged secret is still there")
	}
	v.Close()

	// With purge protection on, purge is refused with the reason.
	w, err := vault.Open(context.Background(), f.dir, []byte(testPass), vault.Options{Now: f.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SetSetting(context.Background(), "purge-protection", "true", []byte(testPass)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	g := &flow{t: t, dir: f.dir, clk: f.clk}
	g.tm = teatest.NewTestModel(t, New(Config{Dir: f.dir, Now: f.clk.Now}), teatest.WithInitialTermSize(120, 40))
	g.waitFor("Unlock vault")
	g.typ(testPass)
	g.key(tea.KeyEnter)
	g.waitFor("37 secrets", "3 in trash")
	g.typ("T")
	g.waitFor("purge protection is on")
	g.typ("P")
	g.waitFor("purge protection is on: legacy/memcached/sasl can be purged from")
	g.quit()
	if _, err := g.reopen().Secret(context.Background(), "legacy/memcached/sasl"); err != nil {
		t.Fatalf("protected secret was purged: %v", err)
	}
}

func TestFlowFilter(t *testing.T) {
	t.Parallel()
	f := startFlow(t, Config{})
	f.typ("/")
	f.typ("stripe")
	f.waitFor("prod/stripe/webhook-secret", "of 37 secrets")
	for range len("stripe") {
		f.key(tea.KeyBackspace)
	}
	f.typ("tag:vendor=aws")
	f.waitFor("2 of 37 secrets", "prod/aws/deploy-secret-key")
	f.key(tea.KeyEsc)
	f.typ("/status:expired")
	f.waitFor("/ status:expired", "staging/tls/staging.exa")
	f.key(tea.KeyEnter)
	m := f.quit()
	var names []string
	for _, r := range m.list.rows {
		names = append(names, m.ix.entries[r].s.Name)
	}
	// Quitting closes the vault but leaves the last list for inspection.
	if want := []string{"staging/tls/staging.example.com.key", "vendor/mapbox/token"}; !slices.Equal(names, want) {
		t.Errorf("status:expired listed %v, want %v", names, want)
	}
}

func TestFlowLockUnlock(t *testing.T) {
	t.Parallel()
	f := startFlow(t, Config{})
	f.filter("personal/bank/pin", "1 of 37 secrets")
	f.typ(" ")
	f.waitFor("4821")
	f.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlL})
	f.waitFor("Unlock vault", "locked")
	f.typ("wrong passphrase")
	f.key(tea.KeyEnter)
	f.waitFor("wrong passphrase or damaged vault header")
	f.typ(testPass)
	f.key(tea.KeyEnter)
	f.waitFor("37 secrets", "personal/bank/pin", "space reveals")
	m := f.quit()
	if m.revealed != nil || strings.Contains(m.View(), "4821") {
		t.Error("a value revealed before the lock is still shown after unlocking")
	}
}

// TestFlowIdleLock drives the model with an injected clock and explicit
// ticks: one second short of the idle time nothing locks and the revealed
// value stays; at the idle time the value, the list and the vault go.
func TestFlowIdleLock(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "vault")
	seededVault(t, dir)
	clk := newClock(testNow)
	v, err := vault.Open(context.Background(), dir, []byte(testPass), vault.Options{Now: clk.Now, Actor: "ana@laptop"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	m := openModel(t, v, Config{Now: clk.Now}, 120, 40)
	press(t, m, "/")
	for _, r := range "personal/bank/pin" {
		press(t, m, string(r))
	}
	press(t, m, "enter", "space")
	if string(m.revealed) != "4821" {
		t.Fatalf("revealed %q, want the PIN", m.revealed)
	}
	idle := m.settings.IdleLock
	if idle != 5*time.Minute {
		t.Fatalf("idle lock %v, want the default 5m", idle)
	}

	clk.Add(idle - time.Second)
	send(t, m, TickMsg(clk.Now()))
	if m.state == stateLocked || m.revealed == nil || m.Vault() == nil {
		t.Fatal("locked a second before the idle time")
	}

	clk.Add(time.Second)
	send(t, m, TickMsg(clk.Now()))
	if m.state != stateLocked || !strings.Contains(m.View(), "locked after 5m idle") {
		t.Fatalf("not locked at the idle time:\n%s", m.View())
	}
	if m.revealed != nil || m.Vault() != nil || m.secrets != nil {
		t.Error("the idle lock kept a value, the vault or the list")
	}
	if _, err := v.List(context.Background(), vault.ListOptions{}); !errors.Is(err, vault.ErrClosed) {
		t.Errorf("the vault is still open after the idle lock: %v", err)
	}
}

func TestFlowReadOnlyRefusesChanges(t *testing.T) {
	t.Parallel()
	f := startFlow(t, Config{ReadOnly: true})
	for _, k := range []string{"n", "e", "d", "t", "x"} {
		f.typ(k)
	}
	f.waitFor("read-only: enable/disable is not available")
	f.typ("T")
	f.waitFor("Trash")
	f.typ("r")
	f.waitFor("read-only: recover is not available")
	f.typ("P")
	f.waitFor("read-only: purge is not available")
	m := f.quit()
	if !strings.Contains(m.View(), "[read-only]") {
		t.Error("the header does not say read-only")
	}
	if m.state != stateTrash {
		t.Errorf("a refused key changed the screen to %v", m.state)
	}
	v := f.reopen()
	live, _ := v.List(context.Background(), vault.ListOptions{})
	trash, _ := v.List(context.Background(), vault.ListOptions{Deleted: true})
	if len(live) != 37 || len(trash) != 4 {
		t.Errorf("read-only session changed the vault: %d live, %d in trash", len(live), len(trash))
	}
}

// TestFlowFirstRunCreatesVault: with no vault, the UI asks for a new
// passphrase twice and creates the vault with the configured KDF. The
// flow uses the minimum KDF: at the default (256 MiB, t=3, p=4) one
// derivation took minutes on a loaded two-core machine under -race, and
// the flow derives twice (create, then reopen). That New defaults to
// DefaultKDF is TestNewDefaultsToDefaultKDF's.
func TestFlowFirstRunCreatesVault(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "vault")
	clk := newClock(testNow)
	f := &flow{t: t, dir: dir, clk: clk}
	f.tm = teatest.NewTestModel(t, New(Config{Dir: dir, Now: clk.Now, KDF: vault.MinKDF}), teatest.WithInitialTermSize(100, 30))
	f.waitFor("Create a new vault")
	f.typ("tangerine ocelot")
	f.key(tea.KeyEnter)
	f.typ("tangerine ocelotX")
	f.key(tea.KeyEnter)
	f.waitFor("the two passphrases differ")
	f.typ(testPass)
	f.waitFor("strength:")
	f.key(tea.KeyEnter)
	f.typ(testPass)
	f.key(tea.KeyEnter)
	f.waitFor("0 secrets", "the vault is empty")
	f.quit()
	if !vault.Exists(dir) {
		t.Fatal("no vault was created")
	}
	info, err := f.reopen().Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.KDF != vault.MinKDF {
		t.Errorf("created with KDF %+v, want the configured %+v", info.KDF, vault.MinKDF)
	}
}

// TestNewDefaultsToDefaultKDF: a first run without a KDF in the Config
// creates the vault at the default cost, never the tests' minimum.
func TestNewDefaultsToDefaultKDF(t *testing.T) {
	t.Parallel()
	if m := New(Config{Dir: t.TempDir()}); m.cfg.KDF != vault.DefaultKDF {
		t.Errorf("KDF %+v, want vault.DefaultKDF", m.cfg.KDF)
	}
}

func TestFlowTagsToggleGenerateCopy(t *testing.T) {
	t.Parallel()
	var copies [][]byte
	var clearAfter time.Duration
	cfg := Config{
		Generate: func() ([]byte, error) { return []byte("generated-Value-42"), nil },
		Copy: func(ctx context.Context, value []byte, after time.Duration) error {
			copies, clearAfter = append(copies, bytes.Clone(value)), after
			return nil
		},
		ClearAfter: 20 * time.Second,
	}
	f := startFlow(t, cfg)
	f.typ("n")
	f.waitFor("new secret")
	f.typ("app/generated")
	f.key(tea.KeyTab)
	f.key(tea.KeyCtrlG)
	f.waitFor("generated-Value-42")
	f.key(tea.KeyTab)
	f.key(tea.KeyTab)
	f.typ("30d")
	f.key(tea.KeyTab)
	f.typ("env=dev team=web")
	f.key(tea.KeyEnter)
	f.waitFor("created app/generated")

	f.filter("app/generated", "1 of 38 secrets")
	f.typ("t")
	f.waitFor("Tags of app/generated", "team=web")
	f.typ("owner=bo -team")
	f.key(tea.KeyEnter)
	f.waitFor("tags of app/generated saved", "owner=bo")
	f.key(tea.KeyEsc)

	f.typ("c")
	f.waitFor("clipboard: app/generated, clears in 20s")
	f.clk.Add(5 * time.Second)
	f.waitFor("clears in 15s")

	f.typ("x")
	f.waitFor("disabled app/generated")
	f.typ("c")
	f.waitFor("the secret is disabled")
	// The reference is no secret: C copies it, also of a disabled secret.
	f.typ("C")
	f.waitFor("copied locket://app/generated (the reference, not the value)")
	m := f.quit()
	if m.clipName != "app/generated" {
		t.Errorf("the status line forgot the copy: %q", m.clipName)
	}
	if len(copies) != 2 || string(copies[0]) != "generated-Value-42" || clearAfter != 20*time.Second {
		t.Fatalf("copied %q to clear after %s", copies, clearAfter)
	}
	if string(copies[1]) != "locket://app/generated" {
		t.Errorf("C copied %q, want the reference", copies[1])
	}

	s, err := f.reopen().Secret(context.Background(), "app/generated")
	if err != nil {
		t.Fatal(err)
	}
	if s.Enabled || s.Tags["owner"] != "bo" || s.Tags["env"] != "dev" || s.Tags["team"] != "" {
		t.Errorf("secret after the flow: enabled %v tags %v", s.Enabled, s.Tags)
	}
	if exp := s.Current().Expires; !exp.Equal(testNow.Add(30 * vault.Day)) {
		t.Errorf("expires %v, want in 30 days", exp)
	}
}

// TestFlowCopyUnavailable: without a clipboard `c` says why and the value
// never leaves the vault, so no copy is audited.
func TestFlowCopyUnavailable(t *testing.T) {
	t.Parallel()
	called := false
	f := startFlow(t, Config{
		Copy: func(context.Context, []byte, time.Duration) error {
			called = true
			return nil
		},
		CopyUnavailable: errors.New("clipboard unavailable: no display"),
	})
	f.filter("prod/db/password", "2 of 37 secrets")
	f.typ("c")
	f.waitFor("clipboard unavailable: no display")
	f.quit()
	if called {
		t.Error("Copy was called although the clipboard is unavailable")
	}
	events, err := f.reopen().Audit(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Op == "copy" {
			t.Errorf("a copy that could not happen was audited: %+v", e)
		}
	}
}
