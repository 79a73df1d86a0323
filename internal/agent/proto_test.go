package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"locket/internal/agent/proto"
	"locket/internal/e2e"
	"locket/vault"
)

// raw sends one HTTP request on a connection of its own, without any of
// the client's checks, and returns the status and the decoded error body.
func raw(t *testing.T, sock, method, path, body string) (int, proto.ErrorBody) {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: locket\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", method, path, len(body), body)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var eb proto.ErrorBody
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &eb)
	return resp.StatusCode, eb
}

var v2 = proto.Prefix(proto.Version())

// A newer client's field is refused, not dropped: the put with an option
// this agent does not know is not applied.
func TestUnknownFieldIsUnsupported(t *testing.T) {
	f := start(t)
	f.unlock(t)
	code, eb := raw(t, f.sock, "POST", v2+"call/Put", `{"name":"a","value":"dg==","require_review":true}`)
	if code != http.StatusNotImplemented || eb.Error.Code != proto.CodeUnsupported || !strings.Contains(eb.Error.Message, "require_review") {
		t.Fatalf("a put with an unknown field: %d %+v", code, eb)
	}
	if eb.Protocol != proto.Version() {
		t.Errorf("the refusal names protocol %d", eb.Protocol)
	}
	if _, err := f.c.Secret(ctx, "a"); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("the refused put was applied: %v", err)
	}
	// A nested field too, and a mode that is not one of the documented
	// words.
	for _, body := range []string{
		`{"name":"a","value":"dg==","tags":{"k":"v"},"mode":"replace"}`,
		`{"key":"retention","value":"30d","scope":"all"}`,
	} {
		call := "Put"
		if strings.Contains(body, "retention") {
			call = "SetSetting"
		}
		if code, eb := raw(t, f.sock, "POST", v2+"call/"+call, body); eb.Error.Code != proto.CodeUnsupported {
			t.Errorf("%s: %d %+v", body, code, eb)
		}
	}
	// Through the client the error keeps its sentinel.
	err := f.c.call(ctx, "Put", map[string]any{"name": "a", "value": []byte("v"), "require_review": true}, nil)
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("the client's error: %v", err)
	}
}

func TestUnknownCallIsUnsupported(t *testing.T) {
	f := start(t)
	f.unlock(t)
	for _, name := range []string{"Nope", "Close", "Changes", "Import", "ListPacked", "info"} {
		if code, eb := raw(t, f.sock, "POST", v2+"call/"+name, `{}`); eb.Error.Code != proto.CodeUnsupported {
			t.Errorf("call %s: %d %+v", name, code, eb)
		}
	}
	if code, eb := raw(t, f.sock, "GET", v2+"nothing", ``); eb.Error.Code != proto.CodeUnsupported {
		t.Errorf("an unknown path: %d %+v", code, eb)
	}
	// Trailing data after the request is no request either.
	if _, eb := raw(t, f.sock, "POST", v2+"call/Delete", `{"name":"a"} {"name":"b"}`); eb.Error.Code != "invalid" {
		t.Errorf("two requests in one body: %+v", eb)
	}
}

// serveProtocol starts an agent that speaks protocol n on the fixture's
// vault.
func serveProtocol(t *testing.T, n int) *fixture {
	t.Helper()
	f := newFixture(t)
	f.tune = func(c *Config) { c.protocol = n }
	f.serve(t)
	return f
}

// Two builds of different protocol versions: each says so in one line that
// names both versions and what to run, and neither applies anything.
func TestVersionSkew(t *testing.T) {
	cur := proto.Version()
	want := func(agent, client int) string {
		return fmt.Sprintf("the agent speaks protocol %d, this locket speaks %d: run 'locket agent stop' (it restarts on the next command)", agent, client)
	}
	t.Run("older agent", func(t *testing.T) {
		f := serveProtocol(t, cur-1)
		_, err := f.c.Status(ctx)
		if !errors.Is(err, ErrProtocol) || err.Error() != want(cur-1, cur) {
			t.Fatalf("status: %v", err)
		}
		if _, err := f.c.Put(ctx, "a", []byte("v"), vault.PutOptions{}); !errors.Is(err, ErrProtocol) {
			t.Fatalf("put: %v", err)
		}
		if _, err := f.c.Import(ctx, secretsUpTo(3, -1, nil), vault.ImportOptions{}); !errors.Is(err, ErrProtocol) {
			t.Fatalf("import: %v", err)
		}
		// What the line says to run works on the older agent.
		if err := f.c.Stop(ctx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		if err := <-f.served; err != nil {
			t.Fatalf("the older agent after stop: %v", err)
		}
		f.served <- nil // for the fixture's cleanup
	})
	t.Run("newer agent", func(t *testing.T) {
		f := serveProtocol(t, cur+1)
		old := NewClient(f.sock)
		old.protocol = cur
		if _, err := old.Unlock(ctx, testPass, 0); !errors.Is(err, ErrProtocol) || err.Error() != want(cur+1, cur) {
			t.Fatalf("unlock: %v", err)
		}
	})
	t.Run("older client", func(t *testing.T) {
		f := start(t)
		f.unlock(t)
		old := NewClient(f.sock)
		old.protocol = cur - 1
		if _, err := old.Put(ctx, "a", []byte("v"), vault.PutOptions{}); !errors.Is(err, ErrProtocol) || err.Error() != want(cur, cur-1) {
			t.Fatalf("put: %v", err)
		}
		// What protocol 1's client reads: the message of the error body.
		_, eb := raw(t, f.sock, "POST", proto.Prefix(1)+"call/Put", `["a","dg==",{}]`)
		if eb.Error.Message != want(cur, 1) || eb.Protocol != cur {
			t.Fatalf("a protocol 1 client is told: %+v", eb)
		}
		if _, err := f.c.Secret(ctx, "a"); !errors.Is(err, vault.ErrNotFound) {
			t.Fatalf("an older client's put was applied: %v", err)
		}
		// The stop that the line tells its user to run works.
		if code, eb := raw(t, f.sock, "POST", proto.Prefix(1)+"stop", ``); code != http.StatusOK {
			t.Fatalf("a protocol 1 client's stop: %d %+v", code, eb)
		}
		if err := <-f.served; err != nil {
			t.Fatalf("the agent after stop: %v", err)
		}
		f.served <- nil
	})
	t.Run("alone", func(t *testing.T) {
		// A client may restart an agent of another version only when its
		// status says nobody else uses it: no TUI, no other connection.
		f := serveProtocol(t, cur+1)
		if _, err := f.c.Status(ctx); !errors.Is(err, ErrProtocol) {
			t.Fatalf("status: %v", err)
		}
		st, err := f.c.StatusOf(ctx, cur+1)
		if err != nil || !st.Alone() || st.Protocol != cur+1 || st.PID != os.Getpid() {
			t.Fatalf("an agent nobody uses: %+v %v", st, err)
		}
		tui := NewClient(f.sock)
		defer tui.Close()
		tui.protocol = cur + 1
		if _, err := tui.Unlock(ctx, testPass, 0); err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		if _, err := tui.Changes(cctx); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(e2e.Scale(time.Minute))
		for {
			st, err := f.c.StatusOf(ctx, cur+1)
			if err != nil {
				t.Fatal(err)
			}
			if st.Watchers != nil && *st.Watchers == 1 {
				if st.Alone() {
					t.Fatalf("an agent with a TUI attached is alone: %+v", st)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the watcher does not show: %+v", st)
			}
		}
	})
	t.Run("protocol 1 agent", func(t *testing.T) {
		// Protocol 1's agent answers every path of another version with
		// net/http's bare 404.
		sock := filepath.Join(socketDir(t), "old.sock")
		os.MkdirAll(filepath.Dir(sock), 0o700)
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) })
		stopped := make(chan struct{})
		mux.HandleFunc("POST /v1/stop", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`); close(stopped) })
		hs := &http.Server{Handler: mux}
		go hs.Serve(l)
		t.Cleanup(func() { hs.Close() })
		c := NewClient(sock)
		defer c.Close()
		if _, err := c.Status(ctx); !errors.Is(err, ErrProtocol) || err.Error() != want(1, cur) {
			t.Fatalf("status of a protocol 1 agent: %v", err)
		}
		// Its status says nothing of who uses it: it is never restarted.
		if st, err := c.StatusOf(ctx, 1); err != nil || st.Alone() {
			t.Fatalf("a protocol 1 agent is alone: %+v %v", st, err)
		}
		if err := c.Stop(ctx); err != nil {
			t.Fatalf("stop of a protocol 1 agent: %v", err)
		}
		<-stopped
	})
}

func TestStatusHasProtocolAndRevision(t *testing.T) {
	f := start(t)
	st, err := f.c.Status(ctx)
	if err != nil || st.Protocol != proto.Version() || st.Revision == "" || st.Connections < 1 {
		t.Fatalf("status: %+v %v", st, err)
	}
	f.unlock(t)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, err := f.c.Changes(cctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := f.c.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Watchers == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a watcher does not show: %+v", st)
		}
	}
}

// A locked agent refuses before it reads the body: the answer comes while
// the client has sent only the headers of a huge one.
func TestLockedReadsNothing(t *testing.T) {
	f := start(t)
	for _, path := range []string{v2 + "call/Put", v2 + "import"} {
		c, err := net.Dial("unix", f.sock)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: locket\r\nContent-Length: %d\r\n\r\n", path, 1<<30)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		var eb proto.ErrorBody
		json.NewDecoder(resp.Body).Decode(&eb)
		c.Close()
		if eb.Error.Code != proto.CodeLocked {
			t.Fatalf("%s on a locked agent: %d %+v", path, resp.StatusCode, eb)
		}
	}
}

// Bodies and frames are bounded like a backup file on the direct path.
func TestLimits(t *testing.T) {
	f := start(t)
	f.unlock(t)
	big := strings.Repeat("a", maxBody)
	if code, eb := raw(t, f.sock, "POST", v2+"call/Put", `{"name":"a","value":"`+big+`"}`); eb.Error.Code != proto.CodeTooLarge {
		t.Fatalf("a body over the limit: %d %+v", code, eb)
	}
	// One frame over its limit.
	huge := vault.SecretData{
		Secret: vault.Secret{Name: "huge", Enabled: true, Versions: []vault.Version{{}}},
		Values: [][]byte{make([]byte, proto.MaxFrame)},
	}
	_, err := f.c.Import(ctx, vault.SecretsOf([]vault.SecretData{huge}), vault.ImportOptions{})
	if !errors.Is(err, proto.ErrTooLarge) {
		t.Fatalf("an import frame over the limit: %v", err)
	}
	// A secret that claims more versions than a backup may hold.
	body := `{"options":{}}` + "\n" + `{"secret":{"name":"x","created":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z","enabled":true,"versions":null},"count":20000}` + "\n"
	if _, eb := rawImport(t, f.sock, body); eb == nil || eb.Code != proto.CodeTooLarge {
		t.Fatalf("a secret of 20000 versions: %+v", eb)
	}
	for _, name := range []string{"huge", "x"} {
		if _, err := f.c.Secret(ctx, name); !errors.Is(err, vault.ErrNotFound) {
			t.Fatalf("%s was imported: %v", name, err)
		}
	}
}

// rawImport sends body as an import stream and returns the last line's
// error.
func rawImport(t *testing.T, sock, body string) (int, *proto.Error) {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST %simport HTTP/1.1\r\nHost: locket\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", v2, len(body), body)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var l proto.ImportLine
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("import answer: %v", err)
		}
		if l.Progress == nil {
			return resp.StatusCode, l.Error
		}
	}
}

// Past the connection cap the agent answers at once that it is busy.
func TestConnectionCap(t *testing.T) {
	f := newFixture(t)
	f.tune = func(c *Config) { c.maxConns = 3 }
	f.serve(t)
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range 3 {
		c, err := net.Dial("unix", f.sock)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	// The agent counts a connection once it has accepted it.
	deadline := time.Now().Add(time.Minute)
	for f.srv.conns.open.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the held connections were not accepted")
		}
		time.Sleep(time.Millisecond)
	}
	_, err := f.c.Status(ctx)
	if !errors.Is(err, vault.ErrBusy) || !strings.Contains(err.Error(), "3 connections open") {
		t.Fatalf("status past the cap: %v", err)
	}
	for _, c := range held {
		c.Close()
	}
	held = nil
	for {
		if _, err := f.c.Status(ctx); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the agent never took connections again")
		}
	}
}

// An agent that never answers gives a clear error, not a hang.
func TestClientTimeout(t *testing.T) {
	sock := filepath.Join(socketDir(t), "mute.sock")
	os.MkdirAll(filepath.Dir(sock), 0o700)
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // read nothing, answer nothing
		}
	}()
	c := NewClient(sock)
	defer c.Close()
	c.timeout = 50 * time.Millisecond
	_, _, err = c.Get(ctx, "a", 0, vault.OpGet)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "no answer to Get within 50ms") {
		t.Fatalf("get from a mute agent: %v", err)
	}
}
