//go:build unix

package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"locket/internal/agent/proto"
	"locket/internal/e2e"
)

// agentEnv is a test's environment for the agent: its own runtime
// directory, so that its socket is its own, and the agent allowed.
type agentEnv struct {
	t           *testing.T
	bin         string
	env         []string // no passphrase source: only an agent can serve
	withPass    []string // a script's environment
	runtime     string
	vault, pass string
}

func newAgentEnv(t *testing.T) *agentEnv {
	t.Helper()
	if testing.Short() && os.Getenv("LOCKET_E2E") != "1" {
		t.Skip("builds the binary")
	}
	bin := e2e.Build(t)
	dir := t.TempDir()
	// A short runtime directory: a socket path has at most 107 bytes.
	runtime, err := os.MkdirTemp("", "lkrt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(runtime) })
	// This test's agents are the ones started with its runtime directory.
	e2e.KillAtEnd(t, bin, "XDG_RUNTIME_DIR="+runtime, "agent", "run")
	a := &agentEnv{t: t, bin: bin, runtime: runtime, vault: filepath.Join(dir, "vault"), pass: filepath.Join(dir, "pass")}
	if err := os.WriteFile(a.pass, []byte("agent test passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a.env = e2e.Env("LOCKET_VAULT="+a.vault, "XDG_RUNTIME_DIR="+runtime, "LOCKET_AGENT=on")
	a.withPass = append(slices.Clone(a.env), "LOCKET_PASSPHRASE_FILE="+a.pass)
	a.must(a.withPass, "", "init", "--kdf-memory", "64MiB")
	return a
}

func (a *agentEnv) run(env []string, stdin string, args ...string) (string, string, int) {
	a.t.Helper()
	return clipRun(a.t, a.bin, env, stdin, args...)
}

func (a *agentEnv) must(env []string, stdin string, args ...string) string {
	a.t.Helper()
	out, stderr, code := a.run(env, stdin, args...)
	if code != 0 {
		a.t.Fatalf("locket %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	return out
}

type agentStatus struct {
	Running  bool   `json:"running"`
	Protocol int    `json:"protocol"`
	Revision string `json:"revision"`
	Vault    string `json:"vault"`
	Socket   string `json:"socket"`
	PID      int    `json:"pid"`
	Locked   bool   `json:"locked"`
	Clients  int64  `json:"clients"`
}

func (a *agentEnv) status() agentStatus {
	a.t.Helper()
	out, _, _ := a.run(a.env, "", "agent", "status", "--json")
	var st agentStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		a.t.Fatalf("agent status --json: %v\n%s", err, out)
	}
	return st
}

func TestAgentUnlockOnce(t *testing.T) {
	t.Parallel()
	a := newAgentEnv(t)
	const canary = "canary-agent-V4lue-9"
	if st := a.status(); st.Running {
		t.Fatalf("an agent before unlock: %+v", st)
	}
	a.must(a.withPass, "", "unlock")
	st := a.status()
	if !st.Running || st.Locked || st.PID == 0 || st.Vault != a.vault {
		t.Fatalf("status after unlock: %+v", st)
	}
	if st.Protocol != proto.Version() || st.Revision == "" {
		t.Fatalf("status has no protocol or revision: %+v", st)
	}

	// Modes of the socket and its directory.
	for path, want := range map[string]os.FileMode{filepath.Dir(st.Socket): 0o700, st.Socket: 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %04o, want %04o", path, fi.Mode().Perm(), want)
		}
	}

	// No passphrase needed now, and no lock taken: the TUI-sized test
	// of this is in tui; here values and exit codes.
	a.must(a.env, canary, "set", "prod/db/password")
	a.must(a.env, "other", "set", "off/token")
	a.must(a.env, "", "update", "off/token", "--disable")
	if got := a.must(a.env, "", "get", "prod/db/password"); got != canary {
		t.Fatalf("get through the agent: %q", got)
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"get", "missing"}, ExitNotFound},
		{[]string{"get", "off/token"}, ExitPolicy},
		{[]string{"set", "bad//name"}, ExitError},
	} {
		if _, stderr, code := a.run(a.env, "v", c.args...); code != c.code || !strings.HasPrefix(stderr, "locket: ") {
			t.Errorf("locket %s through the agent: exit %d (%q), want %d", strings.Join(c.args, " "), code, stderr, c.code)
		}
	}

	// The audit log names the client of each hand-out.
	out := a.must(a.env, "", "audit", "prod/db/password", "--json")
	var events []struct {
		Op     string `json:"op"`
		Client *struct {
			PID     int    `json:"pid"`
			Command string `json:"command"`
		} `json:"client"`
	}
	if err := json.Unmarshal([]byte(out), &events); err != nil {
		t.Fatalf("audit --json: %v\n%s", err, out)
	}
	last := events[len(events)-1]
	if last.Op != "get" || last.Client == nil || last.Client.PID == 0 || !strings.Contains(last.Client.Command, "get prod/db/password") {
		t.Errorf("audit of a get through the agent: %s", out)
	}

	// 16 writers at once: no failure, nothing lost.
	var wg sync.WaitGroup
	fails := make(chan string, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 4 {
				c := exec.Command(a.bin, "set", fmt.Sprintf("writers/w%02d/s%d", w, i))
				c.Env = a.env
				c.Stdin = strings.NewReader("v")
				if out, err := c.CombinedOutput(); err != nil {
					fails <- fmt.Sprintf("writer %d: %v: %s", w, err, out)
				}
			}
		}()
	}
	wg.Wait()
	close(fails)
	for f := range fails {
		t.Error(f)
	}
	if n := strings.Count(a.must(a.env, "", "list", "writers/"), "writers/"); n != 64 {
		t.Errorf("list after 16 writers: %d secrets, want 64", n)
	}

	// Nothing secret in the agent's environment, command line or log.
	pid := strconv.Itoa(a.status().PID)
	for _, f := range []string{"environ", "cmdline"} {
		b, err := os.ReadFile("/proc/" + pid + "/" + f)
		if err != nil {
			// A process that is not dumpable keeps its environ from
			// everyone but root: nothing leaks there either.
			continue
		}
		for _, bad := range []string{"agent test passphrase", "LOCKET_PASSPHRASE", canary} {
			if strings.Contains(string(b), bad) {
				t.Errorf("/proc/%s/%s holds %q", pid, f, bad)
			}
		}
	}
	if limits, err := os.ReadFile("/proc/" + pid + "/limits"); err == nil && !strings.Contains(string(limits), "Max core file size        0") {
		t.Errorf("the agent may dump core:\n%s", limits)
	}
	logb, err := os.ReadFile(strings.TrimSuffix(st.Socket, ".sock") + ".log")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"agent test passphrase", canary, "prod/db/password"} {
		if strings.Contains(string(logb), bad) {
			t.Errorf("the agent's log holds %q", bad)
		}
	}

	// lock: the agent ends, and the next command needs the passphrase again.
	a.must(a.env, "", "lock")
	if st := a.status(); st.Running {
		t.Fatalf("status after lock: %+v", st)
	}
	if _, _, code := a.run(a.env, "", "get", "prod/db/password"); code != ExitUnlock {
		t.Errorf("get after lock without a passphrase: exit %d, want 4", code)
	}
	// A script with a passphrase source opens the vault itself.
	if got := a.must(a.withPass, "", "get", "prod/db/password"); got != canary {
		t.Fatalf("get with a passphrase after lock: %q", got)
	}
	if st := a.status(); st.Running {
		t.Fatalf("a script started an agent: %+v", st)
	}
	// A new agent, stopped.
	a.must(a.withPass, "", "unlock")
	a.must(a.env, "", "agent", "stop")
	if st := a.status(); st.Running {
		t.Fatalf("status after stop: %+v", st)
	}
	if _, err := os.Stat(st.Socket); !os.IsNotExist(err) {
		t.Errorf("the socket is left after stop: %v", err)
	}
}

// A script with a passphrase and no agent opens the vault directly and
// leaves no process; --no-agent and LOCKET_AGENT=off do the same with an
// agent running.
func TestAgentNotStartedByScripts(t *testing.T) {
	t.Parallel()
	a := newAgentEnv(t)
	a.must(a.withPass, "v", "set", "k")
	if st := a.status(); st.Running {
		t.Fatalf("a script started an agent: %+v", st)
	}
	// unlock refuses to start what LOCKET_AGENT=off and --no-agent turn off.
	off := append(slices.Clone(a.withPass), "LOCKET_AGENT=off")
	for _, env := range [][]string{off, a.withPass} {
		args := []string{"unlock"}
		if len(env) == len(a.withPass) {
			args = append(args, "--no-agent")
		}
		if _, stderr, code := a.run(env, "", args...); code != ExitUsage || !strings.Contains(stderr, "turn off") {
			t.Errorf("%v with the agent off: exit %d, %q", args, code, stderr)
		}
	}
	if st := a.status(); st.Running {
		t.Fatalf("unlock with the agent off started one: %+v", st)
	}
	a.must(a.withPass, "", "unlock")
	// The agent holds the vault: a direct use waits and fails as busy.
	if _, _, code := a.run(off, "", "list"); code != ExitBusy {
		t.Errorf("LOCKET_AGENT=off with an unlocked agent: exit %d, want 5", code)
	}
	if _, _, code := a.run(a.withPass, "", "list", "--no-agent"); code != ExitBusy {
		t.Errorf("--no-agent with an unlocked agent: exit %d, want 5", code)
	}
	a.must(a.env, "", "lock")
	// A locked agent holds nothing: direct use works.
	a.must(off, "", "get", "k")
	// With the setting agent off, the agent refuses to unlock.
	a.must(a.withPass, "", "config", "agent", "off")
	a.must(a.env, "", "lock")
	if _, stderr, code := a.run(a.withPass, "", "unlock"); code == 0 || !strings.Contains(stderr, "agent is off") {
		t.Errorf("unlock with agent off: exit %d, %q", code, stderr)
	}
	a.must(off, "", "get", "k")
	a.must(a.withPass, "", "get", "k")
}

// kill -9 of the agent loses no acknowledged write and leaves the vault
// openable directly; a new agent replaces the stale socket. kill -9 of a
// client leaves the agent serving the others.
func TestAgentKilled(t *testing.T) {
	t.Parallel()
	a := newAgentEnv(t)
	a.must(a.withPass, "", "unlock")
	st := a.status()

	// Clients killed at any point of their request.
	for range 8 {
		c := exec.Command(a.bin, "list")
		c.Env = a.env
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		c.Process.Kill()
		c.Wait()
	}
	a.must(a.env, "v", "set", "after/clients")

	// Writers running while the agent is killed.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var acked []string
	started := make(chan struct{}, 16)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				name := fmt.Sprintf("crash/w%d/s%02d", w, i)
				c := exec.Command(a.bin, "set", name)
				c.Env = a.env // no passphrase: only the agent can take it
				c.Stdin = strings.NewReader("v")
				if c.Run() == nil {
					mu.Lock()
					acked = append(acked, name)
					mu.Unlock()
					select {
					case started <- struct{}{}:
					default:
					}
				}
			}
		}()
	}
	// Kill once writes are being acknowledged.
	for range 4 {
		<-started
	}
	syscall.Kill(st.PID, syscall.SIGKILL)
	wg.Wait()
	e2e.WaitFor(t, "the killed agent to be gone", func() bool {
		return syscall.Kill(st.PID, 0) != nil
	})
	if _, err := os.Stat(st.Socket); err != nil {
		t.Fatalf("the killed agent's socket is gone, the test proves nothing: %v", err)
	}

	// The vault opens directly and holds every acknowledged write.
	off := append(slices.Clone(a.withPass), "LOCKET_AGENT=off")
	list := a.must(off, "", "list", "crash/")
	for _, name := range acked {
		if !strings.Contains(list, name) {
			t.Errorf("acknowledged write %s is lost", name)
		}
	}
	// A new agent replaces the stale socket.
	a.must(a.withPass, "", "unlock")
	if st2 := a.status(); !st2.Running || st2.Locked || st2.PID == st.PID {
		t.Fatalf("status after restart: %+v", st2)
	}
	a.must(a.env, "", "get", "after/clients")
	a.must(a.env, "", "agent", "stop")
}

// TestAgentCompletion: shell completion lists names through an unlocked
// agent, and nothing once it is locked; it never asks for a passphrase.
func TestAgentCompletion(t *testing.T) {
	t.Parallel()
	a := newAgentEnv(t)
	for _, n := range []string{"prod/db/password", "prod/db/url", "dev/token"} {
		a.must(a.withPass, "x", "set", n)
	}
	complete := func() []string {
		out := a.must(a.env, "", "__complete", "get", "prod/d")
		var names []string
		for _, l := range strings.Split(out, "\n") {
			if l != "" && !strings.HasPrefix(l, ":") && !strings.HasPrefix(l, "Completion ended") {
				names = append(names, l)
			}
		}
		return names
	}
	if got := complete(); got != nil {
		t.Errorf("completed %q without an agent", got)
	}
	a.must(a.withPass, "", "unlock")
	if got := complete(); !slices.Equal(got, []string{"prod/db/password", "prod/db/url"}) {
		t.Errorf("completed %q through the unlocked agent", got)
	}
	// A missing name keeps its suggestions through the agent.
	if _, stderr, code := a.run(a.env, "", "get", "prod/db/pasword"); code != 3 || !strings.Contains(stderr, "did you mean prod/db/password?") {
		t.Errorf("get of a misspelt name through the agent: exit %d, %q", code, stderr)
	}
	a.must(a.env, "", "lock")
	if got := complete(); got != nil {
		t.Errorf("completed %q through a locked agent", got)
	}
}
