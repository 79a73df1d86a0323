package agent

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"sync"
	"time"

	"locket/vault"
)

// ErrAgentOff: the vault's setting "agent off" forbids serving it.
var ErrAgentOff = errors.New("the vault's setting agent is off")

// closeWait bounds how long a stopping agent waits for its vault to close.
const closeWait = 30 * time.Second

// Config is what a Server needs.
type Config struct {
	// Dir is the vault directory served.
	Dir string
	// Socket is the path to listen on (see SocketPath).
	Socket string
	// Open unlocks the vault with a passphrase. The agent owns what it
	// returns until it locks.
	Open func(ctx context.Context, passphrase []byte) (vault.Service, error)
	// Now is the clock for the idle and ttl limits (default time.Now);
	// tests inject their own and call Expire.
	Now func() time.Time
	// Log receives one line per request: never a name or a value.
	Log *log.Logger
}

// Server is an agent: it holds one unlocked vault and serves it to the
// processes of its user over a Unix socket.
type Server struct {
	cfg       Config
	started   time.Time
	listener  *peerListener
	sockInfo  os.FileInfo
	http      *http.Server
	done      chan struct{}
	stopOnce  sync.Once
	closeOnce sync.Once
	unlockMu  sync.Mutex

	mu       sync.Mutex
	svc      vault.Service // nil while locked
	cancel   context.CancelFunc
	since    time.Time
	lastUse  time.Time
	idle     time.Duration
	ttl      time.Duration
	watchers map[chan vault.Change]struct{}
}

// NewServer binds the socket; Serve answers on it.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = log.New(io.Discard, "", 0)
	}
	l, err := listen(cfg.Socket)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(cfg.Socket)
	if err != nil {
		l.Close()
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		started:  cfg.Now(),
		listener: &peerListener{Listener: l, uid: os.Getuid(), log: cfg.Log},
		sockInfo: fi,
		done:     make(chan struct{}),
		idle:     vault.DefaultAgentIdle,
		ttl:      vault.DefaultAgentTTL,
		watchers: map[chan vault.Change]struct{}{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", s.handleStatus)
	mux.HandleFunc("POST /v1/unlock", s.handleUnlock)
	mux.HandleFunc("POST /v1/lock", s.handleLock)
	mux.HandleFunc("POST /v1/stop", s.handleStop)
	mux.HandleFunc("POST /v1/call/{method}", s.handleCall)
	mux.HandleFunc("POST /v1/import", s.handleImport)
	mux.HandleFunc("GET /v1/events", s.handleEvents)
	s.http = &http.Server{
		Handler: mux,
		// The client's identity is fixed for the connection: read its
		// command line once, not on every request.
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			pc, ok := c.(*peerConn)
			if !ok {
				return ctx
			}
			ctx = context.WithValue(ctx, peerKey{}, pc.peer)
			return vault.WithClient(ctx, vault.Client{PID: pc.peer.PID, Command: pc.peer.Command()})
		},
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          cfg.Log,
	}
	return s, nil
}

// Serve answers requests until ctx ends or a client stops the agent; it
// then locks the vault and removes the socket.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.listener) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var err error
loop:
	for {
		select {
		case <-tick.C:
			s.Expire()
		case <-ctx.Done():
			break loop
		case <-s.done:
			break loop
		case err = <-errc:
			break loop
		}
	}
	s.closeListener()
	// Closing the store can hang where Badger cannot flush (the vault
	// directory was removed under it). Every acknowledged write is on disk
	// already, so past closeWait the agent ends without it, as after kill.
	locked := make(chan struct{})
	go func() {
		s.lock("agent stopping")
		close(locked)
	}()
	select {
	case <-locked:
	case <-time.After(closeWait):
		s.cfg.Log.Printf("the vault did not close within %s; stopping without it", closeWait)
	}
	// Give answers in flight a moment to leave; the wait is bounded
	// because a client may hold its connection open.
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	s.http.Shutdown(sctx)
	cancel()
	s.http.Close()
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// closeListener stops taking connections and removes the socket file if
// it is still the one this agent bound (a newer agent may have replaced
// it): from then on clients find no agent.
func (s *Server) closeListener() {
	s.closeOnce.Do(func() {
		s.listener.Close()
		if fi, err := os.Stat(s.cfg.Socket); err == nil && os.SameFile(fi, s.sockInfo) {
			os.Remove(s.cfg.Socket)
		}
	})
}

// Stop makes Serve return.
func (s *Server) Stop() { s.stopOnce.Do(func() { close(s.done) }) }

// Expire locks the vault if the idle or the ttl limit has passed.
func (s *Server) Expire() {
	s.mu.Lock()
	locksAt := s.locksAtLocked()
	expired := s.svc != nil && !s.cfg.Now().Before(locksAt)
	s.mu.Unlock()
	if expired {
		s.lockAndExit("time limit")
	}
}

func (s *Server) locksAtLocked() time.Time {
	if s.svc == nil {
		return time.Time{}
	}
	at := s.lastUse.Add(s.idle)
	if ttl := s.since.Add(s.ttl); ttl.Before(at) {
		at = ttl
	}
	return at
}

// Status describes the agent now.
func (s *Server) Status() Status {
	s.Expire()
	s.mu.Lock()
	defer s.mu.Unlock()
	return Status{
		Dir:     s.cfg.Dir,
		Socket:  s.cfg.Socket,
		PID:     os.Getpid(),
		Started: s.started.UTC(),
		Locked:  s.svc == nil,
		Since:   s.since.UTC(),
		LocksAt: s.locksAtLocked().UTC(),
		Idle:    s.idle,
		TTL:     s.ttl,
		Clients: s.listener.accepted.Load(),
		Now:     s.cfg.Now().UTC(),
	}
}

// Unlock opens the vault with passphrase. An agent already unlocked
// still checks the passphrase, so that unlock never succeeds on a wrong
// one; it then keeps its open vault and restarts the ttl.
func (s *Server) Unlock(ctx context.Context, passphrase []byte, ttl time.Duration) error {
	// One unlock at a time: a second would find the store held by the
	// first and wait for it.
	s.unlockMu.Lock()
	defer s.unlockMu.Unlock()
	if s.unlocked() {
		return s.renew(passphrase, ttl)
	}
	svc, err := s.cfg.Open(ctx, passphrase)
	if err != nil {
		return err
	}
	set, err := svc.Settings(ctx)
	if err == nil && set.AgentOff {
		err = ErrAgentOff
	}
	if err != nil {
		svc.Close()
		return err
	}
	sctx, cancel := context.WithCancel(context.Background())
	changes, err := svc.Changes(sctx)
	if err != nil {
		cancel()
		svc.Close()
		return err
	}
	s.mu.Lock()
	old, oldCancel := s.svc, s.cancel
	now := s.cfg.Now()
	s.svc, s.cancel, s.since, s.lastUse = svc, cancel, now, now
	s.idle, s.ttl = set.AgentLimits()
	if ttl > 0 {
		s.ttl = ttl
	}
	s.mu.Unlock()
	if old != nil {
		oldCancel()
		old.Close()
	}
	go s.forward(changes)
	s.cfg.Log.Printf("unlocked (idle %s, ttl %s)", s.idle, s.ttl)
	return nil
}

// renew handles unlock on an unlocked agent: the passphrase must be the
// vault's, checked against its header without opening the store again.
func (s *Server) renew(passphrase []byte, ttl time.Duration) error {
	hdr, err := vault.ReadHeader(s.cfg.Dir)
	if err != nil {
		return err
	}
	kr, err := hdr.Unlock(passphrase)
	if err != nil {
		return err
	}
	kr.Wipe()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	s.since, s.lastUse = now, now
	if ttl > 0 {
		s.ttl = ttl
	}
	return nil
}

func (s *Server) unlocked() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.svc != nil
}

// lock wipes the keys: the vault is closed (its store too, so that a
// direct open works again) and every event stream ends. It reports
// whether a session was open.
func (s *Server) lock(why string) bool {
	s.mu.Lock()
	svc, cancel := s.svc, s.cancel
	s.svc, s.cancel, s.since = nil, nil, time.Time{}
	watchers := s.watchers
	s.watchers = map[chan vault.Change]struct{}{}
	s.mu.Unlock()
	if svc == nil {
		return false
	}
	cancel()
	if err := svc.Close(); err != nil {
		s.cfg.Log.Printf("lock: close vault: %v", err)
	}
	for ch := range watchers {
		close(ch)
	}
	s.cfg.Log.Printf("locked (%s)", why)
	return true
}

// session returns the open vault and counts a request against the idle
// limit, or ErrLocked.
func (s *Server) session() (vault.Service, error) {
	s.Expire()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.svc == nil {
		return nil, ErrLocked
	}
	s.lastUse = s.cfg.Now()
	return s.svc, nil
}

// forward passes the vault's change events to every watcher. A watcher
// too slow to take one is dropped (its stream ends) rather than blocking
// the others: its client then reloads everything.
func (s *Server) forward(changes <-chan vault.Change) {
	for c := range changes {
		s.mu.Lock()
		for ch := range s.watchers {
			select {
			case ch <- c:
			default:
				delete(s.watchers, ch)
				close(ch)
			}
		}
		s.mu.Unlock()
	}
}

func (s *Server) watch() (chan vault.Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.svc == nil {
		return nil, ErrLocked
	}
	ch := make(chan vault.Change, 256)
	s.watchers[ch] = struct{}{}
	return ch, nil
}

func (s *Server) unwatch(ch chan vault.Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.watchers[ch]; ok {
		delete(s.watchers, ch)
		close(ch)
	}
}

// HTTP handlers.

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, s.Status())
}

func (s *Server) handleUnlock(w http.ResponseWriter, r *http.Request) {
	var req UnlockRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		writeError(w, fmt.Errorf("%w: unlock request: %v", vault.ErrInvalid, err))
		return
	}
	err := s.Unlock(r.Context(), req.Passphrase, req.TTL)
	clear(req.Passphrase)
	if err != nil {
		s.cfg.Log.Printf("unlock: %s", errorCode(err))
		writeError(w, err)
		// A vault that wants no agent gets none: this one goes away.
		if errors.Is(err, ErrAgentOff) {
			s.Stop()
		}
		return
	}
	writeJSON(w, s.Status())
}

// handleLock answers once the keys are wiped and no new client can
// reach this agent; the agent then exits (lock.go).
func (s *Server) handleLock(w http.ResponseWriter, r *http.Request) {
	s.lockAndExit("lock request")
	writeJSON(w, s.Status())
}

// handleStop answers once no new client can reach this agent, so that
// whoever asked sees it gone when the answer arrives.
func (s *Server) handleStop(w http.ResponseWriter, r *http.Request) {
	s.cfg.Log.Printf("stop request")
	st := s.Status()
	s.closeListener()
	writeJSON(w, st)
	s.Stop()
}

// serviceType is the interface the agent serves: only its methods can be
// called, whatever else the vault behind it has.
var serviceType = reflect.TypeFor[vault.Service]()

// notServed are the Service methods that are not plain calls: Close is
// the client's own, Changes is GET /v1/events, Import POST /v1/import.
var notServed = map[string]bool{"Close": true, "Changes": true, "Import": true}

func (s *Server) handleCall(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("method")
	m, ok := serviceType.MethodByName(name)
	if !ok || notServed[name] {
		writeError(w, fmt.Errorf("%w: no method %q", vault.ErrInvalid, name))
		return
	}
	var args []json.RawMessage
	// The largest argument is a value (64 KiB); Import, which carries many,
	// streams apart (import.go).
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&args); err != nil {
		writeError(w, fmt.Errorf("%w: arguments of %s: %v", vault.ErrInvalid, name, err))
		return
	}
	mt := m.Type
	if len(args) != mt.NumIn()-1 {
		writeError(w, fmt.Errorf("%w: %s takes %d arguments, not %d", vault.ErrInvalid, name, mt.NumIn()-1, len(args)))
		return
	}
	in := []reflect.Value{reflect.ValueOf(r.Context())}
	for i, raw := range args {
		p := reflect.New(mt.In(i + 1))
		if err := json.Unmarshal(raw, p.Interface()); err != nil {
			writeError(w, fmt.Errorf("%w: argument %d of %s: %v", vault.ErrInvalid, i+1, name, err))
			return
		}
		in = append(in, p.Elem())
	}
	svc, err := s.session()
	if err != nil {
		writeError(w, err)
		return
	}
	start := time.Now()
	if pack, ok := packedMethods[name]; ok {
		s.handlePacked(w, r, name, pack, svc, in[1:], start)
		return
	}
	out := reflect.ValueOf(svc).MethodByName(name).Call(in)
	if e, _ := out[len(out)-1].Interface().(error); e != nil {
		s.cfg.Log.Printf("%s: %s (%s)", name, errorCode(e), time.Since(start).Round(time.Microsecond))
		writeError(w, e)
		return
	}
	var body bytes.Buffer
	enc := gob.NewEncoder(&body)
	for _, v := range out[:len(out)-1] {
		if err := enc.Encode(v.Interface()); err != nil {
			writeError(w, fmt.Errorf("encode result of %s: %w", name, err))
			return
		}
	}
	s.cfg.Log.Printf("%s: ok (%s)", name, time.Since(start).Round(time.Microsecond))
	w.Header().Set("Content-Type", resultsType)
	w.Header().Set("Content-Length", strconv.Itoa(body.Len()))
	w.Write(body.Bytes())
}

// handlePacked answers a call of packedMethods with its packed result.
func (s *Server) handlePacked(w http.ResponseWriter, r *http.Request, name string,
	pack func(context.Context, vault.Service, []reflect.Value) ([]byte, error),
	svc vault.Service, args []reflect.Value, start time.Time) {
	packed, err := pack(r.Context(), svc, args)
	if err != nil {
		s.cfg.Log.Printf("%s: %s (%s)", name, errorCode(err), time.Since(start).Round(time.Microsecond))
		writeError(w, err)
		return
	}
	s.cfg.Log.Printf("%s: ok (%s)", name, time.Since(start).Round(time.Microsecond))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(packed)))
	w.Write(packed)
}

// handleEvents streams the vault's changes, one JSON object a line, until
// the agent locks or the client goes away.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	ch, err := s.watch()
	if err != nil {
		writeError(w, err)
		return
	}
	defer s.unwatch(ch)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	rc.Flush()
	enc := json.NewEncoder(w)
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				return
			}
			if enc.Encode(c) != nil || rc.Flush() != nil {
				return
			}
		case <-r.Context().Done():
			return
		}
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// httpStatus is a rough HTTP status for an error code; clients go by the
// code, the status only helps someone reading the traffic.
func httpStatus(code string) int {
	switch code {
	case "not_found":
		return http.StatusNotFound
	case "invalid", "exists":
		return http.StatusBadRequest
	case codeLocked, "wrong_passphrase":
		return http.StatusUnauthorized
	case "disabled", "in_trash", "purge_protected", "policy", "read_only":
		return http.StatusForbidden
	case "busy":
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

func writeError(w http.ResponseWriter, err error) {
	body := errorBody{Error: wireErrorOf(err)}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus(body.Error.Code))
	json.NewEncoder(w).Encode(body)
}
