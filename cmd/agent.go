package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"locket/internal/agent"
	"locket/internal/agent/proto"
	"locket/internal/harden"
	"locket/internal/heaplimit"
	"locket/vault"
)

// startWait bounds how long a starter waits for a new agent's readiness
// line: generous, since it only ends a wait that failed anyway.
const startWait = 60 * time.Second

func newUnlockCmd(a *app) *cobra.Command {
	var ttl string
	c := &cobra.Command{
		Use:   "unlock",
		Short: "unlock the vault once for every command, the TUI and scripts",
		Long: `Start this vault's agent if none runs and unlock it with the passphrase (from
--passphrase-file, LOCKET_PASSPHRASE_FILE, LOCKET_PASSPHRASE_COMMAND,
LOCKET_PASSPHRASE or the terminal). Until it locks, every locket command and
the terminal UI use the agent: no passphrase, no waiting for each other.

The agent locks itself after the vault's agent-idle time without a request
(default 10m) and agent-ttl after unlock (default 8h); --ttl replaces
agent-ttl for this unlock. Unlocking an unlocked agent checks the passphrase
and restarts its ttl.`,
		Example: "  locket unlock\n  locket unlock --ttl 1h\n  LOCKET_PASSPHRASE_COMMAND='pass show locket' locket unlock",
		RunE: func(cmd *cobra.Command, args []string) error {
			if !a.agentAllowed() {
				return usageError("unlock starts an agent, which --no-agent and LOCKET_AGENT=off turn off")
			}
			var d time.Duration
			if ttl != "" {
				var err error
				if d, err = vault.ParseDuration(ttl); err != nil || d <= 0 {
					return usageError("--ttl: want a positive duration such as 30m, 8h or 1d, not %q", ttl)
				}
			}
			st, err := a.unlockAgent(cmd.Context(), d)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "locket: unlocked (agent pid %d); locks after %s without use, at %s at the latest\n",
				st.PID, vault.FormatDuration(st.Idle), st.Since.Add(st.TTL).Local().Format(time.DateTime))
			return nil
		},
	}
	c.Flags().StringVar(&ttl, "ttl", "", "lock after this long whatever happens (default: the vault's agent-ttl, 8h)")
	return c
}

func newLockCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "lock",
		Short: "wipe the agent's keys and end it: every client must unlock again",
		Long: `Make this vault's agent wipe its keys, close the vault and exit, so that no
process keeps a key, the passphrase or a value read during the session. The
next command that needs the agent starts a new one. Every open terminal UI
returns to its unlock screen. Without an agent there is nothing to lock and
lock says so (exit 0).`,
		Example: "  locket lock",
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.agentClient()
			if err != nil {
				return err
			}
			if _, err := c.Lock(cmd.Context()); err != nil {
				if errors.Is(err, agent.ErrNoAgent) {
					fmt.Fprintln(a.stderr, "locket: no agent runs for this vault; nothing to lock")
					return nil
				}
				return err
			}
			fmt.Fprintln(a.stderr, "locket: locked")
			return nil
		},
	}
}

func newAgentCmd(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "agent",
		Short: "the process that holds an unlocked vault for its clients",
		Long: `The agent holds one vault unlocked and serves it over a Unix socket
($XDG_RUNTIME_DIR/locket/, or LOCKET_AGENT_SOCK) to this user's processes:
every command and the terminal UI use it when it answers. 'locket unlock'
starts one; these commands look at it, stop it, or run it in the
foreground.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError("agent needs a command: status, stop or run")
		},
	}
	c.AddCommand(newAgentStatusCmd(a), newAgentStopCmd(a), newAgentRunCmd(a))
	return c
}

func newAgentStatusCmd(a *app) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "status",
		Short: "say whether an agent runs for this vault, and whether it is unlocked",
		Long: `Report this vault's agent: its vault, whether it is locked, since when it
is unlocked, when it locks, its socket, pid and how many clients it served.
Exit 0 when an agent runs (locked or not), 1 when none does.`,
		Example: "  locket agent status\n  locket agent status --json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.agentClient()
			if err != nil {
				return err
			}
			st, err := c.Status(cmd.Context())
			if asJSON {
				return writeJSON(a.stdout, agentStatusJSON(st, c.Socket(), err))
			}
			if err != nil {
				return err
			}
			w := a.stdout
			fmt.Fprintf(w, "agent:     running, pid %d\n", st.PID)
			fmt.Fprintf(w, "protocol:  %d (revision %s)\n", st.Protocol, vault.Sanitize(st.Revision))
			fmt.Fprintf(w, "vault:     %s\n", vault.Sanitize(st.Dir))
			fmt.Fprintf(w, "socket:    %s\n", vault.Sanitize(st.Socket))
			if st.Locked {
				fmt.Fprintf(w, "state:     locked\n")
			} else {
				fmt.Fprintf(w, "state:     unlocked since %s\n", st.Since.Local().Format(time.DateTime))
				fmt.Fprintf(w, "locks in:  %s (idle %s, ttl %s)\n", vault.FormatDuration(st.LocksAt.Sub(st.Now)), vault.FormatDuration(st.Idle), vault.FormatDuration(st.TTL))
			}
			fmt.Fprintf(w, "clients:   %d\n", st.Clients)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return c
}

// statusJSON is `agent status --json`: stable field names, also when no
// agent runs.
type statusJSON struct {
	Running bool `json:"running"`
	// Protocol and Revision are the agent's, or this locket's when no
	// agent runs.
	Protocol int       `json:"protocol"`
	Revision string    `json:"revision"`
	Vault    string    `json:"vault,omitempty"`
	Socket   string    `json:"socket"`
	PID      int       `json:"pid,omitempty"`
	Locked   bool      `json:"locked"`
	Since    time.Time `json:"since,omitzero"`
	LocksAt  time.Time `json:"locks_at,omitzero"`
	TimeLeft float64   `json:"time_left_seconds,omitempty"`
	Idle     float64   `json:"idle_seconds,omitempty"`
	TTL      float64   `json:"ttl_seconds,omitempty"`
	Clients  int64     `json:"clients"`
}

func agentStatusJSON(st agent.Status, socket string, err error) any {
	if err != nil {
		return statusJSON{Socket: socket, Locked: true, Protocol: proto.Version(), Revision: proto.Revision()}
	}
	out := statusJSON{Running: true, Protocol: st.Protocol, Revision: st.Revision, Vault: st.Dir, Socket: st.Socket, PID: st.PID, Locked: st.Locked,
		Since: st.Since, LocksAt: st.LocksAt, Idle: st.Idle.Seconds(), TTL: st.TTL.Seconds(), Clients: st.Clients}
	if !st.Locked {
		out.TimeLeft = st.LocksAt.Sub(st.Now).Seconds()
	}
	return out
}

func newAgentStopCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "stop",
		Short:   "lock the agent and end it",
		Long:    `Make this vault's agent wipe its keys, close the vault and exit. Without an agent there is nothing to stop (exit 0).`,
		Example: "  locket agent stop",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.agentClient()
			if err != nil {
				return err
			}
			if err := c.Stop(cmd.Context()); err != nil {
				if errors.Is(err, agent.ErrNoAgent) {
					fmt.Fprintln(a.stderr, "locket: no agent runs for this vault")
					return nil
				}
				return err
			}
			fmt.Fprintln(a.stderr, "locket: agent stopped")
			return nil
		},
	}
}

func newAgentRunCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "run the agent in the foreground (for a systemd user unit)",
		Long: `Run this vault's agent in the foreground, locked, until it is stopped
('locket agent stop', SIGTERM or SIGINT). 'locket unlock' unlocks it.
'locket unlock' starts the same command detached; run it yourself under a
service manager. It writes "` + agent.ReadyLine + `" on stdout once it listens
and logs requests (never names or values) on stderr.`,
		Example: "  locket agent run\n  systemctl --user start locket-agent",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runAgent(cmd.Context())
		},
	}
}

// runAgent serves this vault until stopped.
func (a *app) runAgent(ctx context.Context) error {
	// Hardening comes first, before any key exists in this process.
	if err := harden.Process(); err != nil {
		return fmt.Errorf("agent: harden process: %w", err)
	}
	dir, err := a.absDir()
	if err != nil {
		return err
	}
	if _, err := vault.ReadHeader(dir); err != nil {
		return a.noVault(dir, err)
	}
	sock, err := agent.SocketPath(dir)
	if err != nil {
		return err
	}
	logw := a.stderr
	if f, ok := logw.(*os.File); ok {
		logw = agent.LogWriter(sock, f)
	}
	logger := newAgentLog(logw)
	if err := harden.LockMemory(); err != nil {
		logger.Printf("key memory may be swapped: %v", err)
	}
	srv, err := agent.NewServer(agent.Config{
		Dir:    dir,
		Socket: sock,
		Open: func(ctx context.Context, pass []byte) (vault.Service, error) {
			return vault.Open(ctx, dir, pass, vault.Options{Now: a.now, Cache: true, LimitHeap: heaplimit.ForImports})
		},
		Now: a.now,
		Log: logger,
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer stop()
	logger.Printf("listening on %s for %s", sock, dir)
	fmt.Fprintln(a.stdout, agent.ReadyLine)
	// A starter reads one line and goes; a later write to that pipe would
	// kill the agent with SIGPIPE, so stdout becomes /dev/null.
	if f, ok := a.stdout.(*os.File); ok && !isTerminal(f) {
		toDevNull(f)
	}
	return srv.Serve(ctx)
}
