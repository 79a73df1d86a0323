package keyring

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

func testKeyring(t *testing.T, pass string) (*Header, *Keyring) {
	t.Helper()
	h, k, err := New([]byte(pass), MinParams)
	if err != nil {
		t.Fatal(err)
	}
	return h, k
}

func TestParamsBounds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		p    Params
		ok   bool
	}{
		{"minimum", MinParams, true},
		{"default", DefaultParams, true},
		{"maximum", MaxParams, true},
		{"memory below 64MiB", Params{MemoryKiB: 64*1024 - 1, Time: 3, Threads: 4}, false},
		{"time below 3", Params{MemoryKiB: 64 * 1024, Time: 2, Threads: 4}, false},
		{"memory above 4GiB", Params{MemoryKiB: 4*1024*1024 + 1, Time: 3, Threads: 4}, false},
		{"time above 10", Params{MemoryKiB: 64 * 1024, Time: 11, Threads: 4}, false},
		{"no threads", Params{MemoryKiB: 64 * 1024, Time: 3, Threads: 0}, false},
		{"too many threads", Params{MemoryKiB: 64 * 1024, Time: 3, Threads: 65}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.p.Validate(); (err == nil) != c.ok {
				t.Fatalf("Validate(%+v) = %v, want ok=%v", c.p, err, c.ok)
			}
			if c.ok {
				return
			}
			if _, _, err := New([]byte("pw"), c.p); err == nil {
				t.Fatalf("New accepted %+v", c.p)
			}
			// A header that asks for these parameters is refused before any
			// work is done.
			h := validHeader(t)
			h.KDF = c.p
			if _, err := ParseHeader(h.Marshal()); !errors.Is(err, ErrBadHeader) {
				t.Fatalf("ParseHeader with %+v: %v, want ErrBadHeader", c.p, err)
			}
		})
	}
}

// validHeader is a well-formed header with a random wrapped key; it is
// cheap because it runs no KDF.
func validHeader(t *testing.T) *Header {
	t.Helper()
	return &Header{Format: FormatVersion, VaultID: random(IDSize), KDF: MinParams, Salt: random(saltSize), WrappedKey: random(24 + 32 + 16)}
}

func TestUnlockAndWrongPassphrase(t *testing.T) {
	t.Parallel()
	h, k := testKeyring(t, "correct horse")
	h2, err := ParseHeader(h.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	k2, err := h2.Unlock([]byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	sealed := k.Seal('m', []byte("key"), 0, []byte("plain"))
	if pt, err := k2.Open('m', []byte("key"), 0, sealed); err != nil || string(pt) != "plain" {
		t.Fatalf("reopened keyring: %q, %v", pt, err)
	}
	_, err = h2.Unlock([]byte("correct horsf"))
	if !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	// security invariant 4 fixes the words the user sees.
	if err.Error() != "wrong passphrase or damaged vault header" {
		t.Fatalf("error text %q", err)
	}
}

func TestRewrapKeepsDataKey(t *testing.T) {
	t.Parallel()
	h, k := testKeyring(t, "old")
	sealed := k.Seal('v', []byte("record"), 7, []byte("sealed before passwd"))
	nh, err := h.Rewrap(k, []byte("new"), Params{MemoryKiB: 64 * 1024, Time: 4, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(nh.VaultID, h.VaultID) || bytes.Equal(nh.Salt, h.Salt) || bytes.Equal(nh.WrappedKey, h.WrappedKey) {
		t.Fatal("rewrap must keep the vault id and change the salt and the wrap")
	}
	if nh.KDF.Time != 4 || nh.KDF.Threads != 2 {
		t.Fatalf("new parameters not applied: %+v", nh.KDF)
	}
	if _, err := nh.Unlock([]byte("old")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("old passphrase on the new header: %v", err)
	}
	k2, err := nh.Unlock([]byte("new"))
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := k2.Open('v', []byte("record"), 7, sealed); err != nil || string(pt) != "sealed before passwd" {
		t.Fatalf("record sealed before passwd: %q, %v", pt, err)
	}
	if !bytes.Equal(k.Index("name", []byte("a")), k2.Index("name", []byte("a"))) {
		t.Fatal("the index key changed with the passphrase")
	}
	if _, err := h.Rewrap(k, []byte("new"), Params{MemoryKiB: 1024, Time: 3, Threads: 1}); err == nil {
		t.Fatal("rewrap accepted parameters below the minimum")
	}
}

// TestTamperedHeader edits each header field: parameters that stay in
// range must fail to unwrap (they are the wrap's associated data), the rest
// must fail to parse.
func TestTamperedHeader(t *testing.T) {
	t.Parallel()
	h, _ := testKeyring(t, "pw")
	unwrapFails := map[string]func(*Header){
		"salt":        func(h *Header) { h.Salt[0] ^= 1 },
		"vault id":    func(h *Header) { h.VaultID[5] ^= 1 },
		"kdf time":    func(h *Header) { h.KDF.Time++ },
		"kdf memory":  func(h *Header) { h.KDF.MemoryKiB += 1024 },
		"kdf threads": func(h *Header) { h.KDF.Threads = 1 },
		"wrapped key": func(h *Header) { h.WrappedKey[30] ^= 0x80 },
		"nonce":       func(h *Header) { h.WrappedKey[0] ^= 0x80 },
	}
	for name, edit := range unwrapFails {
		t.Run(name, func(t *testing.T) {
			c, err := ParseHeader(h.Marshal())
			if err != nil {
				t.Fatal(err)
			}
			edit(c)
			c, err = ParseHeader(c.Marshal())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Unlock([]byte("pw")); !errors.Is(err, ErrWrongPassphrase) {
				t.Fatalf("unlock after editing the %s: %v", name, err)
			}
		})
	}
	parseFails := map[string][]byte{
		"truncated":    h.Marshal()[:40],
		"empty":        nil,
		"not json":     []byte("locket\x00"),
		"format 2":     bytes.Replace(h.Marshal(), []byte(`"format": 1`), []byte(`"format": 2`), 1),
		"short salt":   mustMarshal(t, func(c *Header) { c.Salt = c.Salt[:8] }, h),
		"short id":     mustMarshal(t, func(c *Header) { c.VaultID = c.VaultID[:4] }, h),
		"long wrap":    mustMarshal(t, func(c *Header) { c.WrappedKey = append(c.WrappedKey, 0) }, h),
		"memory 4GiB+": mustMarshal(t, func(c *Header) { c.KDF.MemoryKiB = 4<<20 + 1 }, h),
		"time 11":      mustMarshal(t, func(c *Header) { c.KDF.Time = 11 }, h),
		"memory 32MiB": mustMarshal(t, func(c *Header) { c.KDF.MemoryKiB = 32 << 10 }, h),
	}
	for name, b := range parseFails {
		if _, err := ParseHeader(b); !errors.Is(err, ErrBadHeader) {
			t.Errorf("%s: ParseHeader = %v, want ErrBadHeader", name, err)
		}
	}
}

func mustMarshal(t *testing.T, edit func(*Header), h *Header) []byte {
	t.Helper()
	c, err := ParseHeader(h.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	edit(c)
	return c.Marshal()
}

// TestAssociatedData checks security invariant 3 at its root: a sealed record
// opens only as the kind, key and version of the vault it was sealed for.
func TestAssociatedData(t *testing.T) {
	t.Parallel()
	_, k := testKeyring(t, "pw")
	_, other := testKeyring(t, "pw")
	sealed := k.Seal('m', []byte("key-1"), 3, []byte("payload"))
	if pt, err := k.Open('m', []byte("key-1"), 3, sealed); err != nil || string(pt) != "payload" {
		t.Fatalf("open: %q, %v", pt, err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)/2] ^= 1
	cases := map[string]func() ([]byte, error){
		"kind":      func() ([]byte, error) { return k.Open('v', []byte("key-1"), 3, sealed) },
		"key":       func() ([]byte, error) { return k.Open('m', []byte("key-2"), 3, sealed) },
		"key shift": func() ([]byte, error) { return k.Open('m', []byte("key-"), 3, sealed) },
		"version":   func() ([]byte, error) { return k.Open('m', []byte("key-1"), 4, sealed) },
		"vault":     func() ([]byte, error) { return other.Open('m', []byte("key-1"), 3, sealed) },
		"flipped":   func() ([]byte, error) { return k.Open('m', []byte("key-1"), 3, flipped) },
		"truncated": func() ([]byte, error) { return k.Open('m', []byte("key-1"), 3, sealed[:len(sealed)-1]) },
		"short":     func() ([]byte, error) { return k.Open('m', []byte("key-1"), 3, sealed[:10]) },
		"empty":     func() ([]byte, error) { return k.Open('m', []byte("key-1"), 3, nil) },
	}
	for name, open := range cases {
		if pt, err := open(); !errors.Is(err, ErrIntegrity) || pt != nil {
			t.Errorf("%s mismatch: %q, %v; want ErrIntegrity and no data", name, pt, err)
		}
	}
	a, b := k.Seal('m', []byte("k"), 0, []byte("same")), k.Seal('m', []byte("k"), 0, []byte("same"))
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are equal: the nonce is not random")
	}
}

func TestIndex(t *testing.T) {
	t.Parallel()
	_, k := testKeyring(t, "pw")
	_, other := testKeyring(t, "pw")
	a := k.Index("name", []byte("prod/db"))
	if len(a) != 32 || !bytes.Equal(a, k.Index("name", []byte("prod/db"))) {
		t.Fatal("index is not a stable 32-byte HMAC")
	}
	for _, b := range [][]byte{k.Index("other", []byte("prod/db")), k.Index("name", []byte("prod/dc")), other.Index("name", []byte("prod/db"))} {
		if bytes.Equal(a, b) {
			t.Fatal("index does not separate purpose, name or vault")
		}
	}
	if bytes.Contains(a, []byte("prod")) {
		t.Fatal("index leaks the name")
	}
}

func TestWipe(t *testing.T) {
	t.Parallel()
	_, k := testKeyring(t, "pw")
	dk := k.dataKey
	k.Wipe()
	if !bytes.Equal(dk, make([]byte, len(dk))) {
		t.Fatal("data key still in memory after Wipe")
	}
}

// vectors pins the on-disk format: a header and records written by this
// version must open in every later version.
type vectors struct {
	Passphrase string          `json:"passphrase"`
	Header     json.RawMessage `json:"header"`
	Records    []vectorRecord  `json:"records"`
	IndexName  string          `json:"index_name"`
	Index      string          `json:"index"`
}

type vectorRecord struct {
	Kind      string `json:"kind"`
	Key       string `json:"key"`
	Version   uint64 `json:"version"`
	Plaintext string `json:"plaintext"`
	Sealed    string `json:"sealed"`
}

func TestVectors(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "vectors.json")
	if *update {
		h, k := testKeyring(t, "locket test vector")
		vs := vectors{Passphrase: "locket test vector", Header: h.Marshal(), IndexName: "prod/db/password", Index: hex.EncodeToString(k.Index("name", []byte("prod/db/password")))}
		for _, r := range []vectorRecord{{Kind: "m", Key: "6d0102", Plaintext: "metadata"}, {Kind: "v", Key: "7601020000000000000002", Version: 2, Plaintext: "hunter2"}} {
			key, _ := hex.DecodeString(r.Key)
			r.Sealed = hex.EncodeToString(k.Seal(r.Kind[0], key, r.Version, []byte(r.Plaintext)))
			vs.Records = append(vs.Records, r)
		}
		b, _ := json.MarshalIndent(vs, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var vs vectors
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	h, err := ParseHeader(vs.Header)
	if err != nil {
		t.Fatal(err)
	}
	k, err := h.Unlock([]byte(vs.Passphrase))
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(k.Index("name", []byte(vs.IndexName))); got != vs.Index {
		t.Fatalf("index %s, want %s", got, vs.Index)
	}
	if len(vs.Records) == 0 {
		t.Fatal("testdata/vectors.json holds no records: the loop below would check nothing")
	}
	for _, r := range vs.Records {
		key, _ := hex.DecodeString(r.Key)
		sealed, _ := hex.DecodeString(r.Sealed)
		pt, err := k.Open(r.Kind[0], key, r.Version, sealed)
		if err != nil || string(pt) != r.Plaintext {
			t.Fatalf("record %s/%s: %q, %v", r.Kind, r.Key, pt, err)
		}
	}
}

// TestPackageDoc keeps the package documentation explaining the key
// hierarchy and the security model.
func TestPackageDoc(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "keyring.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	text := f.Doc.Text()
	for _, want := range []string{"Argon2id", "data key", "XChaCha20-Poly1305", "associated data", "HMAC", "passphrase", "ErrIntegrity"} {
		if !strings.Contains(text, want) {
			t.Errorf("package doc does not mention %q", want)
		}
	}
}

func FuzzParseHeader(f *testing.F) {
	h := &Header{Format: FormatVersion, VaultID: make([]byte, IDSize), KDF: MinParams, Salt: make([]byte, saltSize), WrappedKey: make([]byte, 72)}
	f.Add(h.Marshal())
	f.Add([]byte(`{"format":1}`))
	f.Add([]byte(`{"format":1,"kdf":{"memory_kib":4294967295,"time":4294967295,"threads":255}}`))
	f.Add([]byte(`null`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			if !errors.Is(err, ErrBadHeader) {
				t.Fatalf("error %v is not ErrBadHeader", err)
			}
			return
		}
		if err := h.KDF.Validate(); err != nil {
			t.Fatalf("accepted out-of-range parameters: %v", err)
		}
		h2, err := ParseHeader(h.Marshal())
		if err != nil || !bytes.Equal(h2.Marshal(), h.Marshal()) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
