package kvsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"
)

// Errors, matched with errors.Is. Their text never holds a value: the
// server's messages about a write do not echo the data, and ours name
// paths only.
var (
	// ErrPermission: the token is wrong, expired, or its policy does not
	// allow the request.
	ErrPermission = errors.New("permission denied")
	// ErrUnreachable: nothing answers at the server address.
	ErrUnreachable = errors.New("server does not answer")
	// ErrNotKV2: the mount is missing or is not a KV version 2 engine.
	ErrNotKV2 = errors.New("not a kv version 2 mount")
	// ErrConflict: a secret changed on both sides; it was not pushed.
	ErrConflict = errors.New("sync conflict")
	// ErrServer: any other refusal of the server.
	ErrServer = errors.New("server error")
	// errCAS: a data write's check-and-set did not match.
	errCAS = errors.New("check-and-set did not match")
)

// NewClient builds a client from the Vault CLI's environment: VAULT_ADDR
// (addr, when not empty, wins), VAULT_TOKEN else ~/.vault-token,
// VAULT_NAMESPACE, VAULT_CACERT, VAULT_SKIP_VERIFY and the rest that the
// official client reads. locket never stores the token.
func NewClient(addr string) (*api.Client, error) {
	cfg := api.DefaultConfig()
	if cfg.Error != nil {
		return nil, fmt.Errorf("vault client configuration: %w", cfg.Error)
	}
	if addr != "" {
		cfg.Address = addr
	}
	// A failed request is reported at once rather than retried: every
	// write carries a check-and-set, so running push again is the retry.
	cfg.MaxRetries = 0
	if os.Getenv(api.EnvVaultClientTimeout) == "" {
		cfg.Timeout = 30 * time.Second
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("vault client: %w", err)
	}
	if c.Token() == "" {
		if home, err := os.UserHomeDir(); err == nil {
			if b, err := os.ReadFile(filepath.Join(home, ".vault-token")); err == nil {
				c.SetToken(strings.TrimSpace(string(b)))
			}
		}
	}
	if c.Token() == "" {
		return nil, fmt.Errorf("%w: no token: set VAULT_TOKEN or log in with vault login (~/.vault-token)", ErrPermission)
	}
	return c, nil
}

// remote is one KV v2 mount, with locket's secrets under dir.
type remote struct {
	c     *api.Client
	mount string
	dir   string
}

// serverMeta is what the metadata endpoint says of one secret.
type serverMeta struct {
	Current     int
	Oldest      int
	MaxVersions int
	// Meta is the custom_metadata as locket reads it (see effectiveMeta);
	// Raw is what the server holds.
	Meta     map[string]string
	Raw      map[string]string
	Versions map[int]versionState
	// Removed lists the versions before the current one that are deleted
	// or destroyed on the server (see removedVersions).
	Removed string
}

type versionState struct {
	Deleted   bool
	Destroyed bool
	Created   time.Time
	DeletedAt time.Time
}

// effectiveMeta is the custom_metadata with the trash state read from the
// current version itself, so that a delete or an undelete made with the
// Vault CLI, which leaves custom_metadata alone, is a change like any
// other: locket-trashed is present exactly when the current version is
// deleted or destroyed, with locket's own time when locket trashed it,
// else the server's deletion time.
func (m *serverMeta) effectiveMeta() map[string]string {
	out := maps.Clone(m.Raw)
	if out == nil {
		out = map[string]string{}
	}
	delete(out, metaTrashed)
	if vs, ok := m.Versions[m.Current]; ok && (vs.Deleted || vs.Destroyed) {
		switch {
		case m.Raw[metaTrashed] != "":
			out[metaTrashed] = m.Raw[metaTrashed]
		case !vs.DeletedAt.IsZero():
			out[metaTrashed] = formatTime(vs.DeletedAt)
		default:
			out[metaTrashed] = formatTime(vs.Created)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// removedVersions describes which versions other than the current one are
// deleted ("d") or destroyed ("x") on the server, e.g. "2d 3x": a change
// of it is a change made on the server that adds no version.
func (m *serverMeta) removedVersions() string {
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(m.Versions)) {
		vs := m.Versions[n]
		switch {
		case n == m.Current || n < m.Oldest:
		case vs.Destroyed:
			parts = append(parts, fmt.Sprintf("%dx", n))
		case vs.Deleted:
			parts = append(parts, fmt.Sprintf("%dd", n))
		}
	}
	return strings.Join(parts, " ")
}

// currentDeleted reports whether the current version is soft-deleted.
func (m *serverMeta) currentDeleted() bool {
	vs, ok := m.Versions[m.Current]
	return ok && (vs.Deleted || vs.Destroyed)
}

func (r *remote) key(name string) string {
	if r.dir == "" {
		return name
	}
	return r.dir + "/" + name
}

func (r *remote) addr() string { return r.c.Address() }

// wrap turns a client error into one of ours, with one line of text that
// names what was asked and where.
func (r *remote) wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// The client's timeout (or the caller's deadline) ran out: say
		// where, so that a hanging server is told from a slow network.
		return fmt.Errorf("%w at %s: %s: no answer in time (%w)", ErrUnreachable, r.addr(), what, err)
	}
	var re *api.ResponseError
	if errors.As(err, &re) {
		msg := oneLine(strings.Join(re.Errors, "; "))
		switch {
		case re.StatusCode == 403:
			return fmt.Errorf("%w: %s (%s)", ErrPermission, what, r.addr())
		case strings.Contains(msg, "check-and-set"):
			return fmt.Errorf("%w: %s", errCAS, what)
		case msg == "":
			msg = fmt.Sprintf("status %d", re.StatusCode)
		}
		return fmt.Errorf("%w: %s: %s", ErrServer, what, msg)
	}
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) {
		cause := err.Error()
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Err != nil {
			cause = oe.Err.Error()
		}
		return fmt.Errorf("%w at %s: %s: %s", ErrUnreachable, r.addr(), what, oneLine(cause))
	}
	return fmt.Errorf("%s: %s", what, oneLine(err.Error()))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// checkMount refuses a mount that is not KV version 2, through the
// endpoint the Vault CLI itself asks, which any token with a capability
// under the mount may read.
//
// It returns the mount's uuid, which the server gives a mount when it is
// created: a server wiped or a mount recreated at the same address has
// another.
func (r *remote) checkMount(ctx context.Context) (string, error) {
	s, err := r.c.Logical().ReadWithContext(ctx, "sys/internal/ui/mounts/"+r.mount)
	if err != nil {
		err = r.wrap(err, "reading mount "+r.mount)
		// The server answers 403 for a mount that does not exist too, so
		// as not to reveal its mounts: a token that is itself valid
		// learns that the mount is missing or out of its reach.
		if errors.Is(err, ErrPermission) {
			if _, lerr := r.c.Auth().Token().LookupSelfWithContext(ctx); lerr == nil {
				return "", fmt.Errorf("%w: no mount %q at %s, or the token may not use it", ErrNotKV2, r.mount, r.addr())
			}
		}
		return "", err
	}
	if s == nil || s.Data == nil {
		return "", fmt.Errorf("%w: no mount %q at %s", ErrNotKV2, r.mount, r.addr())
	}
	typ, _ := s.Data["type"].(string)
	version := ""
	if opts, ok := s.Data["options"].(map[string]any); ok {
		version, _ = opts["version"].(string)
	}
	if typ != "kv" || version != "2" {
		if typ == "kv" {
			typ = "kv version 1"
		}
		return "", fmt.Errorf("%w: mount %q at %s is %s", ErrNotKV2, r.mount, r.addr(), orUnknown(typ))
	}
	id, _ := s.Data["uuid"].(string)
	return id, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "of unknown type"
	}
	return s
}

// list returns the names (relative to r.dir) of every secret under the
// directory that holds prefix, recursively, that start with prefix. A
// directory per secret (app/db/password) is one LIST request each, so the
// walk lists up to workers directories at once.
func (r *remote) list(ctx context.Context, prefix string, workers int) ([]string, error) {
	start := ""
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		start = prefix[:i+1]
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		out   []string
		first error
		wg    sync.WaitGroup
		slots = make(chan struct{}, max(workers, 1))
	)
	var walk func(dir string)
	walk = func(dir string) {
		defer wg.Done()
		p := r.mount + "/metadata/" + r.key(dir)
		if r.dir == "" && dir == "" {
			p = r.mount + "/metadata/"
		}
		slots <- struct{}{}
		s, err := r.c.Logical().ListWithContext(ctx, p)
		<-slots
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if first == nil {
				first = r.wrap(err, "listing "+p)
				cancel()
			}
			return
		}
		if s == nil || s.Data == nil {
			return
		}
		keys, _ := s.Data["keys"].([]any)
		for _, k := range keys {
			ks, _ := k.(string)
			full := dir + ks
			if strings.HasSuffix(ks, "/") {
				// Only descend where names with the prefix can be.
				if strings.HasPrefix(full, prefix) || strings.HasPrefix(prefix, full) {
					wg.Add(1)
					go walk(full)
				}
				continue
			}
			if strings.HasPrefix(full, prefix) {
				out = append(out, full)
			}
		}
	}
	wg.Add(1)
	walk(start)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	sort.Strings(out)
	return out, nil
}

// metadata reads a secret's metadata; nil when there is none.
func (r *remote) metadata(ctx context.Context, name string) (*serverMeta, error) {
	p := r.mount + "/metadata/" + r.key(name)
	s, err := r.c.Logical().ReadWithContext(ctx, p)
	if err != nil {
		return nil, r.wrap(err, "reading "+p)
	}
	if s == nil || s.Data == nil {
		return nil, nil
	}
	var raw struct {
		Current  json.Number       `json:"current_version"`
		Oldest   json.Number       `json:"oldest_version"`
		Max      json.Number       `json:"max_versions"`
		Custom   map[string]string `json:"custom_metadata"`
		Versions map[string]struct {
			Created   time.Time `json:"created_time"`
			Deletion  string    `json:"deletion_time"`
			Destroyed bool      `json:"destroyed"`
		} `json:"versions"`
	}
	b, err := json.Marshal(s.Data)
	if err == nil {
		err = json.Unmarshal(b, &raw)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading %s: unexpected answer", ErrServer, p)
	}
	m := &serverMeta{Raw: raw.Custom, Versions: map[int]versionState{}}
	cur, _ := raw.Current.Int64()
	old, _ := raw.Oldest.Int64()
	mx, _ := raw.Max.Int64()
	m.Current, m.Oldest, m.MaxVersions = int(cur), int(old), int(mx)
	for k, v := range raw.Versions {
		n, err := strconv.Atoi(k)
		if err != nil {
			continue
		}
		vs := versionState{Deleted: v.Deletion != "", Destroyed: v.Destroyed, Created: v.Created.UTC()}
		if t, err := time.Parse(time.RFC3339Nano, v.Deletion); err == nil {
			vs.DeletedAt = t.UTC()
			// A deletion_time in the future is a delete_version_after
			// that has not come yet: the version is still live.
			vs.Deleted = !t.After(time.Now())
		}
		m.Versions[n] = vs
	}
	if len(m.Raw) == 0 {
		m.Raw = nil
	}
	m.Meta, m.Removed = m.effectiveMeta(), m.removedVersions()
	return m, nil
}

// readVersion returns version n's data; nil when it is deleted or
// destroyed.
func (r *remote) readVersion(ctx context.Context, name string, n int) (map[string]any, error) {
	p := r.mount + "/data/" + r.key(name)
	s, err := r.c.Logical().ReadWithDataWithContext(ctx, p, map[string][]string{"version": {strconv.Itoa(n)}})
	if err != nil {
		return nil, r.wrap(err, fmt.Sprintf("reading %s version %d", p, n))
	}
	if s == nil || s.Data == nil {
		return nil, nil
	}
	data, _ := s.Data["data"].(map[string]any)
	return data, nil
}

// write adds a version with check-and-set cas and returns its number.
func (r *remote) write(ctx context.Context, name string, data map[string]any, cas int) (int, error) {
	p := r.mount + "/data/" + r.key(name)
	s, err := r.c.Logical().WriteWithContext(ctx, p, map[string]any{"data": data, "options": map[string]any{"cas": cas}})
	if err != nil {
		return 0, r.wrap(err, "writing "+p)
	}
	if s == nil || s.Data == nil {
		return 0, fmt.Errorf("%w: writing %s: no version in the answer", ErrServer, p)
	}
	n, err := s.Data["version"].(json.Number).Int64()
	if err != nil {
		return 0, fmt.Errorf("%w: writing %s: no version in the answer", ErrServer, p)
	}
	return int(n), nil
}

// writeMeta sets max_versions and, when meta is not nil, replaces the
// custom_metadata; the key's other settings stay as the team set them.
func (r *remote) writeMeta(ctx context.Context, name string, maxVersions int, meta map[string]string, withMeta bool) error {
	p := r.mount + "/metadata/" + r.key(name)
	body := map[string]any{"max_versions": maxVersions}
	if withMeta {
		cm := map[string]any{}
		for k, v := range meta {
			cm[k] = v
		}
		body["custom_metadata"] = cm
	}
	_, err := r.c.Logical().WriteWithContext(ctx, p, body)
	return r.wrap(err, "writing "+p)
}

// deleteCurrent soft-deletes the current version.
func (r *remote) deleteCurrent(ctx context.Context, name string) error {
	p := r.mount + "/data/" + r.key(name)
	_, err := r.c.Logical().DeleteWithContext(ctx, p)
	return r.wrap(err, "deleting "+p)
}

func (r *remote) versionsOp(ctx context.Context, op, name string, versions ...int) error {
	p := r.mount + "/" + op + "/" + r.key(name)
	_, err := r.c.Logical().WriteWithContext(ctx, p, map[string]any{"versions": versions})
	return r.wrap(err, op+" "+p)
}

// destroy removes every version and the metadata of a secret.
func (r *remote) destroy(ctx context.Context, name string) error {
	p := r.mount + "/metadata/" + r.key(name)
	_, err := r.c.Logical().DeleteWithContext(ctx, p)
	return r.wrap(err, "destroying "+p)
}

// capabilities returns the token's capabilities on each path.
func (r *remote) capabilities(ctx context.Context, paths []string) (map[string][]string, error) {
	s, err := r.c.Logical().WriteWithContext(ctx, "sys/capabilities-self", map[string]any{"paths": paths})
	if err != nil {
		return nil, r.wrap(err, "asking the token's capabilities")
	}
	out := map[string][]string{}
	if s == nil {
		return out, nil
	}
	for _, p := range paths {
		caps, _ := s.Data[p].([]any)
		for _, c := range caps {
			if cs, ok := c.(string); ok {
				out[p] = append(out[p], cs)
			}
		}
	}
	return out, nil
}
