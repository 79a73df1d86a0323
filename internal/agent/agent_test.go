package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"locket/internal/agent/proto"
	"locket/internal/e2e"
	"locket/vault"
)

var testPass = []byte("test passphrase")

// clock is an adjustable clock for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a vault, an agent serving it and a client of that agent.
type fixture struct {
	dir, sock string
	clock     *clock
	srv       *Server
	c         *Client
	log       *e2e.Buffer
	served    chan error
	// wrap, when set, wraps the vault the agent opens; tune changes its
	// configuration. Both are set before serve.
	wrap func(vault.Service) vault.Service
	tune func(*Config)
}

// socketDir is a short private directory: a socket path must stay under
// 108 bytes, which t.TempDir's long names can pass.
func socketDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "lkt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return filepath.Join(d, "run")
}

func newVaultDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "vault")
	v, err := vault.Create(context.Background(), dir, testPass, vault.MinKDF, vault.DefaultSettings(), vault.Options{Actor: "tester@host"})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func start(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	f.serve(t)
	return f
}

// newFixture is start without serving, for a test that sets wrap or tune.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: newVaultDir(t), clock: &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}, log: &e2e.Buffer{}}
	f.sock = filepath.Join(socketDir(t), "agent.sock")
	return f
}

func (f *fixture) serve(t *testing.T) {
	t.Helper()
	cfg := Config{
		Dir:    f.dir,
		Socket: f.sock,
		Open: func(ctx context.Context, pass []byte) (vault.Service, error) {
			v, err := vault.Open(ctx, f.dir, pass, vault.Options{Actor: "tester@host", Now: f.clock.Now, Wait: time.Millisecond})
			if err != nil || f.wrap == nil {
				return v, err
			}
			return f.wrap(v), nil
		},
		Now: f.clock.Now,
		Log: newLog(f.log),
	}
	if f.tune != nil {
		f.tune(&cfg)
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	served := make(chan error, 1)
	f.served = served
	go func() { served <- srv.Serve(context.Background()) }()
	c := NewClient(f.sock)
	f.c = c
	t.Cleanup(func() {
		c.Close()
		srv.Stop()
		<-served
		// Every test of the agent checks that it never panicked, also in
		// a handler whose panic net/http recovered and only logged.
		for _, l := range strings.Split(f.log.String(), "\n") {
			if strings.Contains(l, "panic") {
				t.Errorf("the agent's log has a panic: %s", l)
			}
		}
	})
}

// gone waits for the agent to end after a lock: Serve returns, the
// socket is removed, and a client finds no agent.
func (f *fixture) gone(t *testing.T) {
	t.Helper()
	select {
	case err := <-f.served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
		f.served <- nil // for the cleanup
	case <-time.After(time.Minute):
		t.Fatal("the agent did not end after it locked")
	}
	if _, err := os.Stat(f.sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left after the agent ended: %v", err)
	}
	if _, err := f.c.Status(ctx); !errors.Is(err, ErrNoAgent) {
		t.Errorf("status after the agent ended: %v", err)
	}
}

func (f *fixture) unlock(t *testing.T) {
	t.Helper()
	if _, err := f.c.Unlock(context.Background(), testPass, 0); err != nil {
		t.Fatal(err)
	}
}

var ctx = context.Background()

func TestLifecycle(t *testing.T) {
	f := start(t)
	st, err := f.c.Status(ctx)
	if err != nil || !st.Locked || st.Dir != f.dir || st.PID != os.Getpid() || st.Socket != f.sock {
		t.Fatalf("status of a new agent: %+v, %v", st, err)
	}
	if _, _, err := f.c.Get(ctx, "a", 0, vault.OpGet); !errors.Is(err, ErrLocked) {
		t.Fatalf("get from a locked agent: %v", err)
	}
	if _, err := f.c.Unlock(ctx, []byte("wrong"), 0); !errors.Is(err, vault.ErrWrongPassphrase) {
		t.Fatalf("unlock with a wrong passphrase: %v", err)
	}
	f.unlock(t)
	if st, _ := f.c.Status(ctx); st.Locked || !st.Since.Equal(f.clock.Now()) {
		t.Fatalf("status after unlock: %+v", st)
	}
	if _, err := f.c.Put(ctx, "db/password", []byte("s3cret\x00bytes"), vault.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	val, ver, err := f.c.Get(ctx, "db/password", 0, vault.OpGet)
	if err != nil || string(val) != "s3cret\x00bytes" || ver.Number != 1 {
		t.Fatalf("get through the agent: %q %+v %v", val, ver, err)
	}
	// Unlocking again checks the passphrase and keeps the open vault.
	if _, err := f.c.Unlock(ctx, []byte("wrong"), 0); !errors.Is(err, vault.ErrWrongPassphrase) {
		t.Fatalf("second unlock with a wrong passphrase: %v", err)
	}
	f.unlock(t)
	if st, err := f.c.Lock(ctx); err != nil || !st.Locked {
		t.Fatalf("lock: %+v, %v", st, err)
	}
	// Lock means gone: the agent ends, and nothing answers any more.
	f.gone(t)
	if _, _, err := f.c.Get(ctx, "db/password", 0, vault.OpGet); !errors.Is(err, ErrNoAgent) {
		t.Fatalf("get after lock: %v", err)
	}
	// Locked means the store is closed: a direct open works.
	v, err := vault.Open(ctx, f.dir, testPass, vault.Options{Wait: time.Millisecond})
	if err != nil {
		t.Fatalf("direct open of a locked agent's vault: %v", err)
	}
	v.Close()
	// A new agent serves the same socket.
	f.serve(t)
	// A locked agent that never held a vault stays on lock: it has
	// nothing to forget.
	if st, err := f.c.Lock(ctx); err != nil || !st.Locked {
		t.Fatalf("lock of a fresh agent: %+v, %v", st, err)
	}
	f.unlock(t)
	if err := f.c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-f.served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	f.served <- nil // for the cleanup
	if _, err := os.Stat(f.sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left after stop: %v", err)
	}
	if _, err := f.c.Status(ctx); !errors.Is(err, ErrNoAgent) {
		t.Errorf("status after stop: %v", err)
	}
	if strings.Contains(f.log.String(), "s3cret") || strings.Contains(f.log.String(), string(testPass)) || strings.Contains(f.log.String(), "db/password") {
		t.Errorf("the log holds a name, value or passphrase:\n%s", f.log.String())
	}
}

func TestIdleAndTTL(t *testing.T) {
	f := start(t)
	f.unlock(t)
	// Requests keep an agent unlocked...
	for range 5 {
		f.clock.Advance(9 * time.Minute)
		if _, err := f.c.List(ctx, vault.ListOptions{}); err != nil {
			t.Fatalf("list within the idle time: %v", err)
		}
	}
	// ...and status does not count as one.
	f.clock.Advance(9 * time.Minute)
	if st, _ := f.c.Status(ctx); st.Locked {
		t.Fatal("locked before the idle time")
	}
	f.clock.Advance(time.Minute)
	// The idle lock ends the agent too; Expire is what the agent's ticker
	// calls once a second.
	f.srv.Expire()
	f.gone(t)

	// The ttl holds however busy the agent is.
	f.serve(t)
	if _, err := f.c.Unlock(ctx, testPass, time.Hour); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.c.Status(ctx); st.TTL != time.Hour || !st.LocksAt.Equal(f.clock.Now().Add(10*time.Minute)) {
		t.Fatalf("status: %+v", st)
	}
	for range 11 {
		f.clock.Advance(5 * time.Minute)
		if _, err := f.c.List(ctx, vault.ListOptions{}); err != nil {
			t.Fatalf("list within the ttl: %v", err)
		}
	}
	f.clock.Advance(5 * time.Minute)
	if _, err := f.c.List(ctx, vault.ListOptions{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("list after the ttl: %v", err)
	}
	f.gone(t)
}

func TestLimitsFromSettings(t *testing.T) {
	f := start(t)
	f.unlock(t)
	if err := f.c.SetSetting(ctx, "agent-idle", "1m", nil); err != nil {
		t.Fatal(err)
	}
	// Settings apply from the next unlock.
	f.c.Lock(ctx)
	f.gone(t)
	f.serve(t)
	f.unlock(t)
	if st, _ := f.c.Status(ctx); st.Idle != time.Minute || st.TTL != vault.DefaultAgentTTL {
		t.Fatalf("limits: %+v", st)
	}
	if err := f.c.SetSetting(ctx, "agent", "off", testPass); err != nil {
		t.Fatal(err)
	}
	f.c.Lock(ctx)
	f.gone(t)
	f.serve(t)
	if _, err := f.c.Unlock(ctx, testPass, 0); !errors.Is(err, ErrAgentOff) {
		t.Fatalf("unlock with agent off: %v", err)
	}
}

// Errors cross the socket as codes and come back as the same sentinels,
// so that the CLI's exit codes do not depend on the agent.
func TestErrorsKeepTheirSentinels(t *testing.T) {
	f := start(t)
	f.unlock(t)
	if _, err := f.c.Put(ctx, "off", []byte("v"), vault.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	disabled := false
	if err := f.c.Update(ctx, "off", vault.Attributes{Enabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	_, _, err := f.c.Get(ctx, "off", 0, vault.OpGet)
	if !errors.Is(err, vault.ErrDisabled) || !errors.Is(err, vault.ErrPolicy) {
		t.Errorf("get of a disabled secret: %v", err)
	}
	if _, _, err := f.c.Get(ctx, "missing", 0, vault.OpGet); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("get of a missing secret: %v", err)
	}
	if _, err := f.c.Put(ctx, "bad//name", []byte("v"), vault.PutOptions{}); !errors.Is(err, vault.ErrInvalid) {
		t.Errorf("put of a bad name: %v", err)
	}
	if err := f.c.Delete(ctx, "off"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Put(ctx, "off", []byte("v"), vault.PutOptions{}); !errors.Is(err, vault.ErrInTrash) {
		t.Errorf("put of a name in the trash: %v", err)
	}
	f.c.Close()
	if _, err := f.c.List(ctx, vault.ListOptions{}); !errors.Is(err, vault.ErrClosed) {
		t.Errorf("list after close: %v", err)
	}
}

func TestAuditNamesTheClient(t *testing.T) {
	f := start(t)
	f.unlock(t)
	if _, err := f.c.Put(ctx, "k", []byte("v"), vault.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.c.Get(ctx, "k", 0, vault.OpGet); err != nil {
		t.Fatal(err)
	}
	events, err := f.c.Audit(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.Op != vault.OpGet || last.Client == nil || last.Client.PID != os.Getpid() || !strings.Contains(last.Client.Command, "agent.test") {
		t.Fatalf("audit event of a get through the agent: %+v", last)
	}
}

func TestChanges(t *testing.T) {
	f := start(t)
	f.unlock(t)
	watcher := NewClient(f.sock)
	defer watcher.Close()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changes, err := watcher.Changes(wctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Put(ctx, "new/secret", []byte("v"), vault.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.c.Get(ctx, "new/secret", 0, vault.OpGet); err != nil {
		t.Fatal(err)
	}
	if err := f.c.Delete(ctx, "new/secret"); err != nil {
		t.Fatal(err)
	}
	// A read changes nothing: the next event is the delete.
	for _, want := range []vault.Change{{Op: vault.OpSet, Secret: "new/secret"}, {Op: vault.OpDelete, Secret: "new/secret"}} {
		select {
		case c := <-changes:
			if c != want {
				t.Fatalf("change %+v, want %+v", c, want)
			}
		case <-time.After(e2e.Scale(time.Minute)):
			t.Fatalf("no change event for %+v", want)
		}
	}
	// Locking ends every stream.
	f.c.Lock(ctx)
	select {
	case c, ok := <-changes:
		if ok {
			t.Fatalf("change after lock: %+v", c)
		}
	case <-time.After(e2e.Scale(time.Minute)):
		t.Fatal("the stream did not end at lock")
	}
	if _, err := watcher.Changes(wctx); !errors.Is(err, ErrNoAgent) {
		t.Fatalf("watching after lock: %v", err)
	}
}

func TestStaleSocketIsReplaced(t *testing.T) {
	sock := filepath.Join(socketDir(t), "agent.sock")
	if err := privateDir(filepath.Dir(sock)); err != nil {
		t.Fatal(err)
	}
	// A killed agent leaves its socket file, on which nobody listens.
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Stat(sock); err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: newVaultDir(t), sock: sock, clock: &clock{t: time.Now()}, log: &e2e.Buffer{}}
	f.serve(t)
	if _, err := f.c.Status(ctx); err != nil {
		t.Fatalf("status of the agent on a replaced socket: %v", err)
	}
	// A live agent is never replaced.
	if _, err := NewServer(Config{Dir: f.dir, Socket: sock, Open: nil}); !errors.Is(err, ErrRunning) {
		t.Fatalf("second agent on a live socket: %v", err)
	}
	if _, err := f.c.Status(ctx); err != nil {
		t.Fatalf("the first agent after a second tried: %v", err)
	}
}

func TestModes(t *testing.T) {
	f := start(t)
	for path, want := range map[string]os.FileMode{filepath.Dir(f.sock): 0o700, f.sock: 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %04o, want %04o", path, fi.Mode().Perm(), want)
		}
	}
	// A directory others may enter is refused.
	dir := filepath.Join(socketDir(t), "open")
	os.MkdirAll(dir, 0o755)
	os.Chmod(dir, 0o755)
	if _, err := NewServer(Config{Dir: f.dir, Socket: filepath.Join(dir, "a.sock")}); !errors.Is(err, ErrUnsafeDir) {
		t.Errorf("socket in a 0755 directory: %v", err)
	}
}

// A client that dies in the middle of a request leaves the agent serving
// the others.
func TestDeadClient(t *testing.T) {
	f := start(t)
	f.unlock(t)
	for i := range 8 {
		c, err := net.Dial("unix", f.sock)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST %scall/Put HTTP/1.1\r\nHost: locket\r\nContent-Length: 1000\r\n\r\n{\"name\":\"half", proto.Prefix(proto.Version()))
		if i%2 == 0 {
			c.(*net.UnixConn).CloseWrite()
		}
		c.Close()
	}
	if _, err := f.c.Put(ctx, "after", []byte("v"), vault.PutOptions{}); err != nil {
		t.Fatalf("put after dead clients: %v", err)
	}
	if _, err := f.c.Secret(ctx, "half"); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("a half-sent put was applied: %v", err)
	}
}

func TestConcurrentClients(t *testing.T) {
	f := start(t)
	f.unlock(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16*10)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := NewClient(f.sock)
			defer c.Close()
			for i := range 10 {
				if _, err := c.Put(ctx, fmt.Sprintf("w%02d/s%02d", w, i), []byte("v"), vault.PutOptions{}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	list, err := f.c.List(ctx, vault.ListOptions{})
	if err != nil || len(list) != 160 {
		t.Fatalf("list after 160 concurrent puts: %d, %v", len(list), err)
	}
}
