package tui

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"locket/vault"
)

// fakeAgent is an agent in the test's hands: "another client" unlocks it
// by setting its vault, and writes through that vault.
type fakeAgent struct {
	mu              sync.Mutex
	v               *vault.Vault
	token           string
	polls, sessionN int
}

func (a *fakeAgent) polled() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.polls
}

func (a *fakeAgent) sessions() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sessionN
}

// session is the agent's vault as a client sees it: closing it ends the
// client's use, not the agent's vault.
type session struct{ vault.Service }

func (session) Close() error { return nil }

func (a *fakeAgent) unlockElsewhere(v *vault.Vault, token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.v, a.token = v, token
}

func (a *fakeAgent) Unlocked(context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.polls++
	return a.token, nil
}

func (a *fakeAgent) Session(context.Context) (vault.Service, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.v == nil {
		return nil, nil
	}
	a.sessionN++
	return session{a.v}, nil
}

func (a *fakeAgent) Unlock(ctx context.Context, pass []byte) (vault.Service, error) {
	return a.Session(ctx)
}

func (a *fakeAgent) Lock(context.Context) error {
	a.unlockElsewhere(nil, "")
	return nil
}

// The lock screen follows an unlock made in another shell, and a value
// revealed in the TUI is hidden when another client adds a version of its
// secret.
func TestFlowFollowsTheAgent(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "vault")
	seededVault(t, dir)
	clk := newClock(testNow)
	agent := &fakeAgent{}
	tm := teatest.NewTestModel(t, New(Config{Dir: dir, Now: clk.Now, Actor: "ana@laptop", Agent: agent}), teatest.WithInitialTermSize(120, 40))
	f := &flow{t: t, tm: tm, dir: dir, clk: clk}
	f.waitFor("Unlock vault")

	// `locket unlock` in another shell: nothing typed here.
	v, err := vault.Open(context.Background(), dir, []byte(testPass), vault.Options{Now: clk.Now, Actor: "ana@laptop"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	agent.unlockElsewhere(v, "1 unlock")
	f.waitFor("37 secrets")

	f.filter("personal/bank/pin", "1 of 37 secrets")
	f.typ(" ")
	f.waitFor("4821")
	// `locket set personal/bank/pin` in another shell.
	if _, err := v.Put(context.Background(), "personal/bank/pin", []byte("7390"), vault.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	f.waitFor("value hidden: another client changed the secret")
	m := f.quit()
	if m.revealed != nil || strings.Contains(m.View(), "4821") || strings.Contains(m.View(), "7390") {
		t.Errorf("a value is still shown after its secret changed:\n%s", m.View())
	}
}

// The TUI's own idle lock is not undone by the unlock it locked itself
// out of; a new unlock elsewhere is followed.
func TestFlowIdleLockIgnoresTheSameUnlock(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "vault")
	seededVault(t, dir)
	clk := newClock(testNow)
	v, err := vault.Open(context.Background(), dir, []byte(testPass), vault.Options{Now: clk.Now, Actor: "ana@laptop"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	agent := &fakeAgent{}
	agent.unlockElsewhere(v, "1 unlock")
	tm := teatest.NewTestModel(t, New(Config{Dir: dir, Now: clk.Now, Actor: "ana@laptop", Agent: agent}), teatest.WithInitialTermSize(120, 40))
	f := &flow{t: t, tm: tm, dir: dir, clk: clk}
	f.waitFor("37 secrets")
	clk.Add(vault.DefaultSettings().IdleLock)
	f.waitFor("locked after 5m idle")
	// The lock screen polls once a second; let it poll twice.
	polls := agent.polled()
	deadline := time.Now().Add(flowDeadline)
	for agent.polled() < polls+2 {
		if time.Now().After(deadline) {
			t.Fatal("the lock screen does not poll the agent")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := agent.sessions(); n != 1 {
		t.Fatalf("the lock screen took the unlock it locked itself out of (%d sessions)", n)
	}
	agent.unlockElsewhere(v, "2 unlock")
	f.waitFor("37 secrets")
	f.quit()
}
