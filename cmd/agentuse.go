package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"

	"locket/internal/agent"
	"locket/tui"
	"locket/vault"
)

// agentAllowed reports whether this command may use an agent: not with
// --no-agent or LOCKET_AGENT=off.
func (a *app) agentAllowed() bool {
	// No agent for a read-only directory: it would only serve reads, and
	// a process left running for a mounted backup is one nobody wants.
	return !a.noAgent && os.Getenv("LOCKET_AGENT") != "off" && !a.readOnlyDir()
}

// absDir is the vault directory as an absolute path: the agent's socket
// is named after it, and the agent runs from /.
func (a *app) absDir() (string, error) {
	d, err := filepath.Abs(a.dir())
	if err != nil {
		return "", fmt.Errorf("vault directory: %w", err)
	}
	return d, nil
}

// noVault turns ReadHeader's error into the message every command gives.
func (a *app) noVault(dir string, err error) error {
	if ferr := notADir(dir); ferr != nil {
		return ferr
	}
	if errors.Is(err, vault.ErrNoVault) {
		return fmt.Errorf("no vault at %s; create one with 'locket init'", dir)
	}
	return err
}

// notADir says that dir is a file when it is one: "no vault there; create
// one" would lead to an init that fails with mkdir's "not a directory".
func notADir(dir string) error {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return fmt.Errorf("%s is a file, not a vault directory", vault.Sanitize(dir))
	}
	return nil
}

// agentClient is a client of this vault's agent socket; it does not
// connect yet.
func (a *app) agentClient() (*agent.Client, error) {
	dir, err := a.absDir()
	if err != nil {
		return nil, err
	}
	sock, err := agent.SocketPath(dir)
	if err != nil {
		return nil, err
	}
	return agent.NewClient(sock), nil
}

// passphraseSource reports whether a passphrase comes from somewhere other
// than a prompt: a script's. Such a command opens the vault directly when
// no agent runs, rather than leave a process behind.
func (a *app) passphraseSource() bool {
	// The variables are in passEnv: run takes them out of the
	// environment so that no child inherits them.
	env := func(k string) bool { return a.passEnv[k] != "" || os.Getenv(k) != "" }
	return a.passphraseFile != "" || env("LOCKET_PASSPHRASE_FILE") ||
		env("LOCKET_PASSPHRASE_COMMAND") || env("LOCKET_PASSPHRASE")
}

// unlockAgent starts this vault's agent if none answers and unlocks it.
func (a *app) unlockAgent(ctx context.Context, ttl time.Duration) (agent.Status, error) {
	dir, err := a.absDir()
	if err != nil {
		return agent.Status{}, err
	}
	if _, err := vault.ReadHeader(dir); err != nil {
		return agent.Status{}, a.noVault(dir, err)
	}
	c, err := a.agentClient()
	if err != nil {
		return agent.Status{}, err
	}
	if _, err := a.agentStatus(ctx, c, true); err != nil && !errors.Is(err, agent.ErrNoAgent) {
		return agent.Status{}, err
	}
	var st agent.Status
	err = a.withPassphrase(dir, func(pass []byte) error {
		var err error
		st, err = a.startAndUnlock(ctx, c, dir, pass, ttl)
		return err
	})
	return st, err
}

// startAndUnlock unlocks the agent behind c with pass, starting it first
// when none answers.
func (a *app) startAndUnlock(ctx context.Context, c *agent.Client, dir string, pass []byte, ttl time.Duration) (agent.Status, error) {
	if _, err := c.Status(ctx); errors.Is(err, agent.ErrNoAgent) {
		exe, err := os.Executable()
		if err != nil {
			return agent.Status{}, fmt.Errorf("start agent: %w", err)
		}
		sctx, cancel := context.WithTimeout(ctx, startWait)
		err = agent.Start(sctx, exe, dir, c.Socket())
		cancel()
		if err != nil {
			return agent.Status{}, err
		}
	} else if err != nil {
		return agent.Status{}, err
	}
	return c.Unlock(ctx, pass, ttl)
}

// agentStatus is the status of the agent behind c. An agent of another
// protocol version whose status says that nobody else uses it (no TUI, no
// other connection) is stopped, and agentStatus answers ErrNoAgent (or a
// service manager's new agent's status): the command then goes on as when
// no agent runs, so a new agent starts from
// this binary only where the passphrase is given again. start says whether
// the command will start one (docs/agent.md, "After an upgrade"). An agent
// that is used, or whose status does not say (protocol 1), is left
// alone, and the error names both versions and 'locket agent stop'. The old
// agent is sent nothing but status and stop, so no call is half applied.
func (a *app) agentStatus(ctx context.Context, c *agent.Client, start bool) (agent.Status, error) {
	st, err := c.Status(ctx)
	var skew *agent.SkewError
	if !errors.As(err, &skew) {
		return st, err
	}
	other, serr := c.StatusOf(ctx, skew.Agent)
	if serr != nil || !other.Alone() {
		return st, err
	}
	if err := c.Stop(ctx); err != nil {
		return agent.Status{}, fmt.Errorf("stop the agent of protocol %d: %w", skew.Agent, err)
	}
	if err := waitAgentGone(ctx, c, other.PID); err != nil {
		return agent.Status{}, err
	}
	if start {
		fmt.Fprintf(a.stderr, "locket: restarted the agent: it spoke protocol %d, this locket speaks %d\n", skew.Agent, skew.Client)
	} else {
		fmt.Fprintf(a.stderr, "locket: stopped the agent: it spoke protocol %d, this locket speaks %d; locket unlock starts a new one\n", skew.Agent, skew.Client)
	}
	// Usually ErrNoAgent; a locked new agent under a service manager.
	return c.Status(ctx)
}

// waitAgentGone polls until the old agent no longer answers on c's socket
// and the process pid (when known) has ended, so that the vault it held is
// free.
func waitAgentGone(ctx context.Context, c *agent.Client, pid int) error {
	deadline := time.Now().Add(startWait)
	for {
		// A client of its own each time: c's kept-alive connection may
		// still reach the stopping agent after its socket is gone.
		probe := agent.NewClient(c.Socket())
		_, err := probe.Status(ctx)
		probe.Close()
		// An agent that answers in this locket's version is a new one:
		// a service manager (systemd's Restart=always) started it.
		if (err == nil || errors.Is(err, agent.ErrNoAgent)) && (pid <= 0 || processGone(pid)) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the agent of another protocol version did not stop within %s; run 'locket agent stop'", startWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// newAgentLog is the agent's logger: time-stamped lines on w.
func newAgentLog(w io.Writer) *log.Logger {
	return log.New(w, "locket-agent ", log.LstdFlags|log.Lmicroseconds)
}

// openAgent returns this vault's agent as the command's vault, or nil when
// the command opens the vault itself (see docs/agent.md, "What it does").
// pass is set when it asked for the passphrase and the agent then refused
// (agent off): the direct open uses it rather than ask again.
func (a *app) openAgent(ctx context.Context) (svc vault.Service, pass []byte, err error) {
	c, err := a.agentClient()
	if err != nil {
		return nil, nil, err
	}
	st, err := a.agentStatus(ctx, c, !a.passphraseSource() && canPrompt())
	switch {
	case errors.Is(err, agent.ErrNoAgent):
		// A script gets what it always got; so does a command that could
		// not ask anyway (it fails with the usual exit 4 below).
		if a.passphraseSource() || !canPrompt() {
			return nil, nil, nil
		}
	case err != nil:
		return nil, nil, err
	case !st.Locked:
		return c, nil, nil
	case !a.passphraseSource() && !canPrompt():
		// An agent that answers but is locked is the thing to fix, not
		// the missing terminal.
		return nil, nil, agent.ErrLocked
	}
	dir, err := a.absDir()
	if err != nil {
		return nil, nil, err
	}
	if _, err := vault.ReadHeader(dir); err != nil {
		return nil, nil, a.noVault(dir, err)
	}
	var unlocked agent.Status
	err = a.withPassphrase(dir, func(p []byte) error {
		var err error
		unlocked, err = a.startAndUnlock(ctx, c, dir, p, 0)
		if err == nil {
			a.rememberPassphrase(p)
		}
		if errors.Is(err, agent.ErrAgentOff) {
			pass = bytes.Clone(p)
			return nil
		}
		return err
	})
	switch {
	case err != nil:
		return nil, nil, err
	case pass != nil:
		return nil, pass, nil
	}
	// Said once, when this command started the session: later commands
	// find the agent unlocked and say nothing.
	fmt.Fprintf(a.stderr, "unlocked; the agent keeps this vault open for %s idle (locket lock to close it)\n", vault.FormatShort(unlocked.Idle))
	return c, nil, nil
}

// canPrompt reports whether a passphrase could be asked for on the
// controlling terminal.
func canPrompt() bool {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer tty.Close()
	return isTerminal(tty)
}

// uiConfig is the TUI's configuration for this vault: through its agent
// unless the agent is turned off.
func (a *app) uiConfig(readOnly bool) tui.Config {
	cfg := tui.Config{Dir: a.dir(), ReadOnly: readOnly || a.readOnlyDir()}
	if !a.agentAllowed() {
		return cfg
	}
	dir, err := a.absDir()
	if err != nil {
		return cfg
	}
	c, err := a.agentClient()
	if err != nil {
		return cfg
	}
	cfg.Agent = uiAgent{a: a, c: c, dir: dir}
	return cfg
}

// uiAgent is tui.Agent over this vault's agent. Each session is a client
// of its own, since the TUI closes a session when it locks.
type uiAgent struct {
	a   *app
	c   *agent.Client
	dir string
}

func (u uiAgent) Session(ctx context.Context) (vault.Service, error) {
	st, err := u.c.Status(ctx)
	if err != nil || st.Locked {
		return nil, nil
	}
	return agent.NewClient(u.c.Socket()), nil
}

func (u uiAgent) Unlock(ctx context.Context, passphrase []byte) (vault.Service, error) {
	_, err := u.a.startAndUnlock(ctx, u.c, u.dir, passphrase, 0)
	switch {
	case errors.Is(err, agent.ErrAgentOff):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return agent.NewClient(u.c.Socket()), nil
}

func (u uiAgent) Unlocked(ctx context.Context) (string, error) {
	st, err := u.c.Status(ctx)
	switch {
	case errors.Is(err, agent.ErrNoAgent):
		return "", nil
	case err != nil:
		return "", err
	case st.Locked:
		return "", nil
	}
	// A new agent has a new pid; an unlock of the same one a new since.
	return fmt.Sprintf("%d %s", st.PID, st.Since.Format(time.RFC3339Nano)), nil
}

func (u uiAgent) Lock(ctx context.Context) error {
	_, err := u.c.Lock(ctx)
	if errors.Is(err, agent.ErrNoAgent) {
		return nil
	}
	return err
}
