package backup

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"

	"locket/vault"
)

// endless is a reader of a prefix followed by an endless run of fill
// bytes; it counts what was read.
type endless struct {
	prefix string
	fill   byte
	n      int64
}

func (e *endless) Read(p []byte) (int, error) {
	k := 0
	if e.n < int64(len(e.prefix)) {
		k = copy(p, e.prefix[e.n:])
	}
	for i := k; i < len(p); i++ {
		p[i] = e.fill
	}
	e.n += int64(len(p))
	return len(p), nil
}

// TestHugeValueRefused: a secret that claims an endless value is refused
// as too large after reading about one element's bound, without reading
// or holding the rest.
func TestHugeValueRefused(t *testing.T) {
	for _, doc := range []string{
		`{"format":1,"secrets":[{"name":"a","versions":[{"version":1,"value":"`,
		`{"format":1,"secrets":[{"name":"`,
		`{"format":1,"secrets":[{"name":"a","versions":[{"version":1,"value":"eA=="},{"version":2,"value":"`,
	} {
		r := &endless{prefix: doc, fill: 'A'}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Stream(r, func(vault.SecretData) error { return nil })
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "one element exceeds") {
			t.Errorf("%s...: %v, want too large", doc, err)
		}
		if r.n > 2*maxElement {
			t.Errorf("read %d bytes, want at most about %d", r.n, maxElement)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16*maxElement {
			t.Errorf("allocated %d MiB to refuse it", alloc>>20)
		}
	}
}

// TestHugeValueInFile: the same through age, from a file.
func TestHugeValueInFile(t *testing.T) {
	t.Parallel()
	x, _ := age.GenerateX25519Identity()
	doc := `{"format":1,"secrets":[{"name":"a","versions":[{"version":1,"value":"` + strings.Repeat("A", 3*maxElement) + `"}]}]}`
	file := encryptDoc(t, doc, x.Recipient())
	if _, err := Verify(bytes.NewReader(file), with(x)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("verify: %v, want too large", err)
	}
	if _, err := Decrypt(bytes.NewReader(file), with(x)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("decrypt: %v, want too large", err)
	}
}

// peakHeap runs fn while sampling the heap in use, and returns the
// largest sample above what was in use before.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > base && ms.HeapInuse-base > peak.Load() {
				peak.Store(ms.HeapInuse - base)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	fn()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// writeLarge encrypts to w, as it goes, a backup of n secrets with a
// value of size bytes each, and returns how many bytes of JSON it wrote.
func writeLarge(w io.Writer, r age.Recipient, n, size int) (int64, error) {
	ew, err := age.Encrypt(w, r)
	if err != nil {
		return 0, err
	}
	value := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("s3cr3t-", size/7+1)[:size]))
	var total int64
	put := func(s string) error {
		k, err := io.WriteString(ew, s)
		total += int64(k)
		return err
	}
	if err := put(`{"format":1,"created":"2026-01-01T00:00:00Z","secrets":[`); err != nil {
		return total, err
	}
	for i := range n {
		sep := ","
		if i == 0 {
			sep = ""
		}
		line := fmt.Sprintf(`%s
{"name":"team/app/secret-%07d","tags":{"env":"prod"},"versions":[{"version":1,"value":"%s","created":"2026-01-01T00:00:00Z","actor":"ana@laptop"}]}`, sep, i, value)
		if err := put(line); err != nil {
			return total, err
		}
	}
	if err := put("\n]}\n"); err != nil {
		return total, err
	}
	return total, ew.Close()
}

// TestVerifyLargeBoundedHeap: verifying a 200 MB backup, encrypted on the
// fly, keeps the heap far below the file's size: only one secret and the
// names are held at a time.
func TestVerifyLargeBoundedHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("200 MB backup")
	}
	id, _ := age.GenerateX25519Identity()
	const n, size = 50_000, 3000 // about 4 KB of JSON each
	var sum Summary
	var written int64
	var werr, err error
	peak := peakHeap(func() {
		pr, pw := io.Pipe()
		done := make(chan struct{})
		go func() {
			written, werr = writeLarge(pw, id.Recipient(), n, size)
			pw.CloseWithError(werr)
			close(done)
		}()
		sum, err = Verify(pr, with(id))
		pr.Close()
		<-done
	})
	if werr != nil || err != nil {
		t.Fatal(werr, err)
	}
	if sum.Secrets != n || sum.Versions != n || sum.Format != 1 {
		t.Errorf("summary %+v", sum)
	}
	t.Logf("verified %d MB of JSON with a peak heap of %d MiB", written/1e6, peak>>20)
	if written < 150e6 {
		t.Errorf("the backup is only %d MB", written/1e6)
	}
	if peak > 150<<20 {
		t.Errorf("peak heap %d MiB verifying %d MB, want under 150 MiB", peak>>20, written/1e6)
	}
}

// TestStreamFieldOrder: any order of the top-level fields reads as it did
// when the document was decoded whole.
func TestStreamFieldOrder(t *testing.T) {
	secret := `[{"versions":[{"version":1,"value":"eA=="}],"name":"a"}]`
	for doc, want := range map[string]error{
		`{"secrets":` + secret + `,"format":1}`:   nil,
		`{"Format":1,"Secrets":` + secret + `}`:   nil,
		`{"added_later":{"x":1},"format":2}`:      ErrNewerFormat,
		`{"format":1,"added_later":1}`:            ErrFormat,
		`{"added_later":1,"format":1}`:            ErrFormat,
		`{"secrets":` + secret + `}`:              ErrFormat,
		`{"format":1,"secrets":` + secret + `} x`: ErrFormat,
	} {
		b, err := Unmarshal([]byte(doc))
		if !errors.Is(err, want) || want == nil && (err != nil || len(b.Secrets) != 1) {
			t.Errorf("%s: %v, want %v", doc, err, want)
		}
	}
}
