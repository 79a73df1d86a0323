package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"locket/internal/agent/proto"
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

	// protocol is the version served (0: proto.Version()); tests serve
	// an older one to meet a client of another version. maxConns and
	// importStall replace the limits of limits.go when set (tests).
	protocol    int
	maxConns    int64
	importStall time.Duration
}

// Server is an agent: it holds one unlocked vault and serves it to the
// processes of its user over a Unix socket.
type Server struct {
	cfg       Config
	started   time.Time
	listener  *peerListener
	conns     *capListener
	sockInfo  os.FileInfo
	http      *http.Server
	done      chan struct{}
	stopOnce  sync.Once
	closeOnce sync.Once
	unlockMu  sync.Mutex

	mu       sync.Mutex
	svc      vault.Service // nil while locked
	cancel   context.CancelFunc
	sctx     context.Context // ends when the vault locks: calls in flight stop
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
	if cfg.protocol == 0 {
		cfg.protocol = proto.Version()
	}
	if cfg.maxConns == 0 {
		cfg.maxConns = maxConns
	}
	if cfg.importStall == 0 {
		cfg.importStall = importStall
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
	s.conns = &capListener{Listener: s.listener, max: cfg.maxConns, log: cfg.Log.Printf}
	p := proto.Prefix(cfg.protocol)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p+"status", s.handleStatus)
	mux.HandleFunc("POST "+p+"unlock", s.handleUnlock)
	mux.HandleFunc("POST "+p+"lock", s.handleLock)
	mux.HandleFunc("POST "+p+"stop", s.handleStop)
	// Stop is what a client of another version is told to run: it works
	// on every version's path.
	mux.HandleFunc("POST /{version}/stop", s.handleStop)
	mux.HandleFunc("POST "+p+"call/{method}", s.handleCall)
	mux.HandleFunc("POST "+p+"import", s.handleImport)
	mux.HandleFunc("GET "+p+"events", s.handleEvents)
	mux.HandleFunc("/", s.handleUnknown)
	s.http = &http.Server{
		Handler: mux,
		// The client's identity is fixed for the connection: read its
		// command line once, not on every request.
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			pc, ok := peerOfConn(c)
			if !ok {
				return ctx
			}
			ctx = context.WithValue(ctx, peerKey{}, pc.peer)
			return vault.WithClient(ctx, vault.Client{PID: pc.peer.PID, Command: pc.peer.Command()})
		},
		ReadHeaderTimeout: headerTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          cfg.Log,
	}
	return s, nil
}

// Serve answers requests until ctx ends or a client stops the agent; it
// then locks the vault and removes the socket.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.conns) }()
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
		Protocol:    s.cfg.protocol,
		Revision:    proto.Revision(),
		Connections: s.conns.open.Load(),
		Watchers:    len(s.watchers),
		Dir:         s.cfg.Dir,
		Socket:      s.cfg.Socket,
		PID:         os.Getpid(),
		Started:     s.started.UTC(),
		Locked:      s.svc == nil,
		Since:       s.since.UTC(),
		LocksAt:     s.locksAtLocked().UTC(),
		Idle:        s.idle,
		TTL:         s.ttl,
		Clients:     s.listener.accepted.Load(),
		Now:         s.cfg.Now().UTC(),
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
	s.sctx = sctx
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
// limit, or ErrLocked. The context is the request's, ended also when the
// vault locks, so that lock stops a call in flight (an import) at once;
// the caller must call stop when the call is over.
func (s *Server) session(rctx context.Context) (_ vault.Service, ctx context.Context, stop func(), _ error) {
	s.Expire()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.svc == nil {
		return nil, nil, nil, ErrLocked
	}
	s.lastUse = s.cfg.Now()
	ctx, cancel := context.WithCancel(rctx)
	after := context.AfterFunc(s.sctx, cancel)
	return s.svc, ctx, func() { after(); cancel() }, nil
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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err == nil {
		err = proto.DecodeStrict(body, &req)
	}
	clear(body)
	if err != nil {
		writeError(w, fmt.Errorf("unlock request: %w", err))
		return
	}
	err = s.Unlock(r.Context(), req.Passphrase, req.TTL)
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

// handleCall serves a call of the dispatch table (calls.go). A locked
// agent refuses before it reads the body.
func (s *Server) handleCall(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("method")
	serve, ok := calls[name]
	if !ok {
		writeError(w, fmt.Errorf("%w: no call %q in protocol %d", proto.ErrUnsupported, name, s.cfg.protocol))
		return
	}
	svc, ctx, stop, err := s.session(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	defer stop()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, fmt.Errorf("request of %s: %w", name, err))
		return
	}
	start := time.Now()
	out, err := serve(ctx, svc, body)
	clear(body) // it may hold a value or a passphrase
	if err != nil {
		s.cfg.Log.Printf("%s: %s (%s)", name, errorCode(err), time.Since(start).Round(time.Microsecond))
		writeError(w, err)
		return
	}
	var b []byte
	if p, ok := out.(packed); ok {
		b = p
		w.Header().Set("Content-Type", "application/octet-stream")
	} else {
		if b, err = json.Marshal(out); err != nil {
			writeError(w, fmt.Errorf("encode answer of %s: %w", name, err))
			return
		}
		w.Header().Set("Content-Type", "application/json")
	}
	s.cfg.Log.Printf("%s: ok (%s)", name, time.Since(start).Round(time.Microsecond))
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// handleUnknown answers every other path: a client of another protocol
// version learns which one the agent speaks, and nothing is done.
func (s *Server) handleUnknown(w http.ResponseWriter, r *http.Request) {
	var n int
	if _, err := fmt.Sscanf(r.URL.Path, "/v%d/", &n); err == nil && n != s.cfg.protocol {
		err := &codedError{msg: (&SkewError{Agent: s.cfg.protocol, Client: n}).Error(), err: proto.ErrUnsupported}
		writeErrorBody(w, proto.ErrorBody{Error: wireErrorOf(err), Protocol: s.cfg.protocol})
		return
	}
	writeError(w, fmt.Errorf("%w: %s %s", proto.ErrUnsupported, r.Method, r.URL.Path))
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
	case proto.CodeLocked, "wrong_passphrase":
		return http.StatusUnauthorized
	case "disabled", "in_trash", "purge_protected", "policy", "read_only":
		return http.StatusForbidden
	case "busy":
		return http.StatusConflict
	case proto.CodeUnsupported:
		return http.StatusNotImplemented
	case proto.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

func writeError(w http.ResponseWriter, err error) {
	writeErrorBody(w, proto.ErrorBody{Error: wireErrorOf(err), Protocol: proto.Version()})
}

func writeErrorBody(w http.ResponseWriter, body proto.ErrorBody) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus(body.Error.Code))
	json.NewEncoder(w).Encode(body)
}
