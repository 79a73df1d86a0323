package vault

import (
	"context"
	"locket/internal/e2e"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// TestMain runs more tests at once than there are CPUs: the crash tests
// mostly wait on the processes they kill and restart.
func TestMain(m *testing.M) {
	e2e.ParallelWaits()
	os.Exit(m.Run())
}

// testPass is the passphrase of every test vault.
var testPass = []byte("test passphrase")

// clock is an adjustable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)} }

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

// newVault creates a vault with the minimum KDF in a temporary directory.
func newVault(t testing.TB, set Settings, c *clock) *Vault {
	t.Helper()
	return newVaultWith(t, set, c, Options{})
}

// newVaultWith is newVault with options.
func newVaultWith(t testing.TB, set Settings, c *clock, opts Options) *Vault {
	t.Helper()
	if opts.Actor == "" {
		opts.Actor = "tester@host"
	}
	if c != nil {
		opts.Now = c.Now
	}
	v, err := Create(context.Background(), filepath.Join(t.TempDir(), "vault"), testPass, MinKDF, set, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// reopen closes v and opens its directory again with opts.
func reopen(t testing.TB, v *Vault, opts Options) *Vault {
	t.Helper()
	dir := v.dir
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if opts.Actor == "" {
		opts.Actor = "tester@host"
	}
	nv, err := Open(context.Background(), dir, testPass, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nv.Close() })
	return nv
}

func mustPut(t testing.TB, v *Vault, name, value string, o PutOptions) Version {
	t.Helper()
	ver, err := v.Put(context.Background(), name, []byte(value), o)
	if err != nil {
		t.Fatalf("put %s: %v", name, err)
	}
	return ver
}

// secretID returns the id under which name is stored.
func (v *Vault) secretID(t testing.TB, name string) []byte {
	t.Helper()
	var id []byte
	err := v.view(func(tx *txn) error {
		var err error
		id, _, err = tx.lookup(name)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// rawGet reads the sealed bytes stored under k, bypassing the keyring.
func (v *Vault) rawGet(t testing.TB, k []byte) []byte {
	t.Helper()
	var out []byte
	err := v.db.View(func(tx *badger.Txn) error {
		item, err := tx.Get(k)
		if err != nil {
			return err
		}
		out, err = item.ValueCopy(nil)
		return err
	})
	if err != nil {
		t.Fatalf("raw get %x: %v", k, err)
	}
	return out
}

// rawSet writes sealed bytes under k as an attacker with the disk would:
// without the keys.
func (v *Vault) rawSet(t testing.TB, k, val []byte) {
	t.Helper()
	if err := v.db.Update(func(tx *badger.Txn) error { return tx.Set(k, val) }); err != nil {
		t.Fatal(err)
	}
}

func (v *Vault) rawDelete(t testing.TB, k []byte) {
	t.Helper()
	if err := v.db.Update(func(tx *badger.Txn) error { return tx.Delete(k) }); err != nil {
		t.Fatal(err)
	}
}

// rawKeys lists every Badger key with the given first byte.
func (v *Vault) rawKeys(t testing.TB, kind byte) [][]byte {
	t.Helper()
	var keys [][]byte
	err := v.db.View(func(tx *badger.Txn) error {
		it := tx.NewIterator(badger.IteratorOptions{Prefix: []byte{kind}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// reseal writes plaintext under k sealed with the vault's own keys, as only
// a holder of the data key could: it tests the checks behind the AEAD.
func (v *Vault) reseal(t testing.TB, kind byte, k []byte, plaintext []byte) {
	t.Helper()
	v.rawSet(t, k, v.kr.Seal(kind, k, 0, plaintext))
}

// open returns the plaintext of the record at k.
func (v *Vault) open(t testing.TB, kind byte, k []byte) []byte {
	t.Helper()
	pt, err := v.kr.Open(kind, k, 0, v.rawGet(t, k))
	if err != nil {
		t.Fatal(err)
	}
	return pt
}

// dirFiles returns the contents of every regular file under dir.
func dirFiles(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files[path] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// canaryWindow is the fragment length findIn looks for: any 12 bytes of a
// canary found on disk is a leak, not only the whole canary.
const canaryWindow = 12

// canarySet indexes every canaryWindow-byte fragment of the needles.
func canarySet(needles []string) map[string]string {
	set := map[string]string{}
	for _, n := range needles {
		if len(n) < canaryWindow {
			panic("canary shorter than the search window: " + n)
		}
		for i := 0; i+canaryWindow <= len(n); i++ {
			set[n[i:i+canaryWindow]] = n
		}
	}
	return set
}

// findIn reports the first fragment of a canary found in any file, or "".
// Canaries hold no zero byte, which lets the scan skip the zero-filled
// tails of Badger's preallocated files quickly.
func findIn(files map[string][]byte, set map[string]string) string {
	for path, b := range files {
		for i := 0; i+canaryWindow <= len(b); i++ {
			if b[i+canaryWindow-1] == 0 {
				i += canaryWindow - 1
				continue
			}
			if n, ok := set[string(b[i:i+canaryWindow])]; ok {
				return "a fragment of " + n + " in " + path
			}
		}
	}
	return ""
}

func mustInfo(t testing.TB, v Service) Info {
	t.Helper()
	info, err := v.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info
}
