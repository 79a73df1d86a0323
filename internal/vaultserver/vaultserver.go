// Package vaultserver runs a real HashiCorp Vault server in dev mode for
// the sync tests, and a proxy in front of it that can fail on cue. Only
// tests import it.
//
// The binary comes from $LOCKET_VAULT_SERVER, else
// ~/.cache/locket-ci/vault-v1.21.4 (where ../shared/tools/vault-server.sh
// builds it). Without it the tests skip; under LOCKET_E2E=1 they fail.
package vaultserver

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"locket/internal/e2e"
)

// Version is the server version CI builds.
const Version = "v1.21.4"

// Timeout bounds the wait for the server to answer: generous, because CI
// is a busy two-core machine, and scaled by the slowness factor.
var Timeout = e2e.Scale(2 * time.Minute)

// Binary returns the server binary's path, or skips t (fails it under
// LOCKET_E2E=1) when there is none.
func Binary(t testing.TB) string {
	t.Helper()
	bin, err := find()
	if err != nil {
		if os.Getenv("LOCKET_E2E") == "1" {
			t.Fatalf("LOCKET_E2E=1: %v (build it with ../shared/tools/vault-server.sh)", err)
		}
		t.Skip(err)
	}
	return bin
}

func find() (string, error) {
	bin := os.Getenv("LOCKET_VAULT_SERVER")
	if bin == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		bin = filepath.Join(home, ".cache", "locket-ci", "vault-"+Version)
	}
	fi, err := os.Stat(bin)
	if err != nil {
		return "", fmt.Errorf("no vault server binary: %w", err)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("vault server %s is not an executable file", bin)
	}
	return bin, nil
}

// Server is a running dev server.
type Server struct {
	Addr  string // http://127.0.0.1:PORT
	Token string // the root token
	cmd   *exec.Cmd
	done  chan struct{}
	log   *strings.Builder
	logMu sync.Mutex
}

// Start runs bin in dev mode on a free port and waits until it answers.
func Start(bin string) (*Server, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	tok := make([]byte, 12)
	rand.Read(tok)
	s := &Server{
		Addr:  fmt.Sprintf("http://127.0.0.1:%d", port),
		Token: "root-" + hex.EncodeToString(tok),
		done:  make(chan struct{}),
		log:   &strings.Builder{},
	}
	cmd := exec.Command(bin, "server", "-dev", "-dev-root-token-id="+s.Token,
		fmt.Sprintf("-dev-listen-address=127.0.0.1:%d", port), "-dev-no-store-token")
	cmd.Env = append(os.Environ(), "VAULT_DISABLE_MLOCK=true", "HOME="+os.TempDir())
	// The server must not outlive the tests, even when they crash.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start vault server: %w", err)
	}
	s.cmd = cmd
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.logMu.Lock()
			s.log.WriteString(sc.Text() + "\n")
			s.logMu.Unlock()
		}
		cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// waitReady polls sys/health until the server is unsealed and active.
func (s *Server) waitReady() error {
	deadline := time.Now().Add(Timeout)
	hc := &http.Client{Timeout: 5 * time.Second}
	for wait := 20 * time.Millisecond; ; wait = min(wait*2, 500*time.Millisecond) {
		resp, err := hc.Get(s.Addr + "/v1/sys/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("vault server exited before it answered:\n%s", s.Log())
		case <-time.After(wait):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("vault server did not answer within %s:\n%s", Timeout, s.Log())
		}
	}
}

// Log is what the server printed so far.
func (s *Server) Log() string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return s.log.String()
}

// Stop kills the server and waits for it.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		<-s.done
	}
}

// Client returns a client for addr (the server's when "") with token.
func (s *Server) Client(addr, token string) (*api.Client, error) {
	cfg := api.DefaultConfig()
	if addr == "" {
		addr = s.Addr
	}
	cfg.Address = addr
	cfg.MaxRetries = 0
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	c.SetToken(token)
	return c, nil
}

// Root is a client with the root token.
func (s *Server) Root() *api.Client {
	c, err := s.Client("", s.Token)
	if err != nil {
		panic(err)
	}
	return c
}

// Mount enables a KV engine of the given version (1 or 2) at path.
func (s *Server) Mount(path string, version int) error {
	return s.Root().Sys().Mount(path, &api.MountInput{Type: "kv", Options: map[string]string{"version": fmt.Sprint(version)}})
}

// TokenWithPolicy writes policy under name and returns a token that has
// it and the default policy, as a team member's token would.
func (s *Server) TokenWithPolicy(name, policy string) (string, error) {
	root := s.Root()
	if err := root.Sys().PutPolicy(name, policy); err != nil {
		return "", err
	}
	sec, err := root.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{name}})
	if err != nil {
		return "", err
	}
	return sec.Auth.ClientToken, nil
}

// FreePort returns a TCP port that nothing listens on at the moment.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Proxy forwards to a server and can play dead: after a set number of
// writes, it passes the last one on but drops its answer, as when the
// server dies after committing, and refuses every request from then on.
type Proxy struct {
	Addr string
	srv  *http.Server

	mu     sync.Mutex
	writes int
	killAt int // the write after which it dies; 0: never
	dead   bool
	// reads too: count every request, not only writes
	reads bool

	hook func(method, path string)
}

// Hook sets f (nil: none) to be called before each request is passed on,
// so that a test can change the server at an exact moment.
func (p *Proxy) Hook(f func(method, path string)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hook = f
}

// NewProxy starts a proxy in front of target; t stops it.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: "http://" + l.Addr().String()}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		dead := p.dead
		if !dead && (p.reads || r.Method != http.MethodGet && r.Method != "LIST") {
			p.writes++
			if p.killAt > 0 && p.writes == p.killAt {
				p.dead = true
				p.mu.Unlock()
				// Let the server do the write, then lose the answer.
				rp.ServeHTTP(discard{}, r)
				hangUp(w)
				return
			}
		}
		hook := p.hook
		p.mu.Unlock()
		if dead {
			hangUp(w)
			return
		}
		if hook != nil {
			hook(r.Method, r.URL.Path)
		}
		rp.ServeHTTP(w, r)
	})}
	go p.srv.Serve(l)
	t.Cleanup(func() { p.srv.Shutdown(context.Background()) })
	return p
}

// KillAfter makes the proxy die at the n-th write from now.
func (p *Proxy) KillAfter(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writes, p.killAt, p.reads = 0, n, false
}

// KillAfterRequests makes the proxy die at the n-th request of any kind.
func (p *Proxy) KillAfterRequests(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writes, p.killAt, p.reads = 0, n, true
}

// Revive lets requests through again, as a restarted server would.
func (p *Proxy) Revive() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dead, p.killAt = false, 0
}

// Writes is how many writes (or requests) passed since KillAfter.
func (p *Proxy) Writes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.writes
}

// hangUp closes the client's connection without an answer.
func hangUp(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("vaultserver: proxy cannot hijack")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
)

// Shared starts one server for the whole test binary on first use (or
// skips t, see Binary); StopShared, from TestMain, stops it.
func Shared(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	sharedOnce.Do(func() { shared, sharedErr = Start(bin) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

// StopShared stops the server Shared started, if any.
func StopShared() {
	if shared != nil {
		shared.Stop()
	}
}
