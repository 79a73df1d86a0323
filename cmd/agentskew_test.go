//go:build unix

package cmd

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"locket/internal/agent"
	"locket/internal/agent/proto"
)

// skewAgent is an agent of another protocol version, served in-process:
// it answers its own status and stop as such an agent does, refuses every
// other path as one of another version, and records every request so that
// a test can tell that nothing else reached it.
type skewAgent struct {
	sock     string
	stopped  chan struct{}
	mu       sync.Mutex
	requests []string
}

// serveSkewAgent serves an agent of protocol n on sock whose status is
// status (a JSON object).
func serveSkewAgent(t *testing.T, sock string, n int, status string) *skewAgent {
	t.Helper()
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	f := &skewAgent{sock: sock, stopped: make(chan struct{})}
	var once sync.Once
	hs := &http.Server{}
	prefix := proto.Prefix(n)
	hs.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		switch r.Method + " " + r.URL.Path {
		case "GET " + prefix + "status":
			fmt.Fprint(w, status)
		case "POST " + prefix + "stop":
			fmt.Fprint(w, status)
			// As the agent does: no new client reaches it once it answers.
			once.Do(func() { l.Close(); close(f.stopped) })
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(proto.ErrorBody{Protocol: n, Error: proto.Error{
				Code: proto.CodeUnsupported, Message: (&agent.SkewError{Agent: n, Client: proto.Version()}).Error()}})
		}
	})
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close() })
	return f
}

// others is every request the fake got but status and stop.
func (f *skewAgent) others() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(f.requests), func(r string) bool {
		return strings.HasPrefix(r, "GET ") && strings.HasSuffix(r, "/status") ||
			strings.HasPrefix(r, "POST ") && strings.HasSuffix(r, "/stop")
	})
}

func (f *skewAgent) wasStopped() bool {
	select {
	case <-f.stopped:
		return true
	default:
		return false
	}
}

// An agent of another protocol version is restarted only where its status
// says nobody else uses it; it is sent nothing but status and stop, so
// nothing reaches the vault through it.
func TestAgentSkewRestart(t *testing.T) {
	a := newAgentEnv(t)
	cur := proto.Version()
	newer := cur + 1
	sock := filepath.Join(a.runtime, "skew.sock")
	env := append(slices.Clone(a.withPass), agent.SocketEnv+"="+sock)
	direct := append(slices.Clone(a.withPass), "LOCKET_AGENT=off")
	alone := fmt.Sprintf(`{"protocol":%d,"connections":1,"watchers":0}`, newer)
	skewLine := fmt.Sprintf("the agent speaks protocol %d, this locket speaks %d: run 'locket agent stop'", newer, cur)

	for _, c := range []struct {
		name, status, line string
		n                  int
	}{
		{"tui attached", fmt.Sprintf(`{"protocol":%d,"connections":2,"watchers":1}`, newer), skewLine, newer},
		{"another client", fmt.Sprintf(`{"protocol":%d,"connections":2,"watchers":0}`, newer), skewLine, newer},
		{"protocol 1", `{"pid":1}`, fmt.Sprintf("the agent speaks protocol 1, this locket speaks %d: run 'locket agent stop'", cur), 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := serveSkewAgent(t, sock, c.n, c.status)
			_, stderr, code := a.run(env, "v1", "set", "skew/"+strings.ReplaceAll(c.name, " ", "-"))
			if code == 0 || !strings.Contains(stderr, c.line) || strings.Contains(stderr, "restarted") || strings.Contains(stderr, "stopped") {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if f.wasStopped() || len(f.others()) > 0 {
				t.Fatalf("a used agent was stopped (%v) or sent %v", f.wasStopped(), f.others())
			}
			if _, stderr, code := a.run(direct, "", "get", "skew/"+strings.ReplaceAll(c.name, " ", "-")); code == 0 {
				t.Fatalf("the refused set was applied: %s", stderr)
			}
		})
	}

	t.Run("alone, a script", func(t *testing.T) {
		// No terminal: the agent is stopped, and the command opens the
		// vault itself as when no agent runs.
		f := serveSkewAgent(t, sock, newer, alone)
		_, stderr, code := a.run(env, "v1", "set", "skew/script")
		want := fmt.Sprintf("locket: stopped the agent: it spoke protocol %d, this locket speaks %d; locket unlock starts a new one\n", newer, cur)
		if code != 0 || !strings.Contains(stderr, want) {
			t.Fatalf("exit %d: %q", code, stderr)
		}
		if !f.wasStopped() || len(f.others()) > 0 {
			t.Fatalf("stopped %v, sent %v", f.wasStopped(), f.others())
		}
		if out := a.must(direct, "", "get", "skew/script"); out != "v1" && out != "v1\n" {
			t.Fatalf("get: %q", out)
		}
	})

	t.Run("alone, unlock", func(t *testing.T) {
		// locket unlock starts a new agent from its own binary, unlocked
		// with the passphrase given again.
		f := serveSkewAgent(t, sock, newer, alone)
		_, stderr, code := a.run(env, "", "unlock")
		want := fmt.Sprintf("locket: restarted the agent: it spoke protocol %d, this locket speaks %d\n", newer, cur)
		if code != 0 || !strings.Contains(stderr, want) {
			t.Fatalf("exit %d: %q", code, stderr)
		}
		if !f.wasStopped() || len(f.others()) > 0 {
			t.Fatalf("stopped %v, sent %v", f.wasStopped(), f.others())
		}
		statusEnv := append(slices.Clone(a.env), agent.SocketEnv+"="+sock)
		out, _, _ := a.run(statusEnv, "", "agent", "status", "--json")
		var st agentStatus
		if err := json.Unmarshal([]byte(out), &st); err != nil || !st.Running || st.Locked || st.Protocol != cur {
			t.Fatalf("the new agent: %+v %v\n%s", st, err, out)
		}
		a.must(statusEnv, "", "agent", "stop")
	})
}
