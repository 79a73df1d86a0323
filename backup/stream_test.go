package backup

import (
	"bytes"
	"context"
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

// TestRestoreStream: a backup streamed from its file into a vault
// restores what decoding it whole and importing it does, with progress
// that ends at its total though the number of secrets is not known in
// advance.
func TestRestoreStream(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := sourceVault(t)
	b := snapshotAll(t, src)
	x, _ := age.GenerateX25519Identity()
	file := encryptTo(t, b, false, x.Recipient())
	rd, err := OpenReader(bytes.NewReader(file), with(x))
	if err != nil {
		t.Fatal(err)
	}
	if h := rd.Head(); h.Settings == nil || h.SourceVault != mustInfo(t, src).ID || h.Format != FormatVersion {
		t.Fatalf("head %+v", h)
	}
	dst := newVault(t, vault.DefaultSettings())
	progress := make(chan vault.ImportProgress)
	var got []vault.ImportProgress
	read := make(chan struct{})
	go func() {
		defer close(read)
		for p := range progress {
			got = append(got, p)
		}
	}()
	rep, err := Restore(ctx, dst, rd, "team.age", RestoreOptions{Settings: true, Progress: progress})
	close(progress)
	<-read
	if err != nil || !rep.Applied || !rep.Settings || rep.Count(vault.ActionNew) != len(b.Secrets) {
		t.Fatalf("restore %+v: %v", rep, err)
	}
	if len(got) == 0 || got[len(got)-1].Done != 2*len(b.Secrets) || got[len(got)-1].Total != 2*len(b.Secrets) {
		t.Errorf("progress %+v", got)
	}
	restored, _, err := dst.Snapshot(ctx, vault.SnapshotOptions{Passphrase: testPass})
	if err != nil {
		t.Fatal(err)
	}
	if comparable(t, restored) != comparable(t, b.Secrets) {
		t.Errorf("streamed restore:\n%s\nwant:\n%s", comparable(t, restored), comparable(t, b.Secrets))
	}
	if got := mustSettings(t, dst).Retention; got != 30*vault.Day {
		t.Errorf("restored retention %v", got)
	}
	// A stream is read once.
	if _, err := Restore(ctx, dst, rd, "team.age", RestoreOptions{}); err == nil {
		t.Error("a used stream imported again")
	}
}

// TestRestoreSettingsPlace: restoring the settings needs them before the
// secrets; a backup that holds them after, or holds none, is refused
// whole, with its own error, and the vault is left as it was.
func TestRestoreSettingsPlace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	x, _ := age.GenerateX25519Identity()
	secrets := `"secrets":[{"name":"a","versions":[{"version":1,"value":"eA=="}]}]`
	settings := `"settings":{"retention":"30d"}`
	v := newVault(t, vault.DefaultSettings())
	dir := mustInfo(t, v).Dir
	v.Close()
	before := vaultDigest(t, dir)
	for doc, want := range map[string]error{
		`{"format":1,` + secrets + `,` + settings + `}`: ErrSettingsLate,
		`{"format":1,` + secrets + `}`:                  ErrNoSettings,
		`{"format":1,"secrets":[]}`:                     ErrNoSettings,
		`{` + secrets + `,"format":1,` + settings + `}`: ErrSettingsLate,
	} {
		rd, err := OpenReader(bytes.NewReader(encryptDoc(t, doc, x.Recipient())), with(x))
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		_, err = rd.RestoreSettings()
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", doc, err, want)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "\n") {
			t.Errorf("error is not one line: %q", msg)
		}
		v, err := vault.Open(ctx, dir, testPass, vault.Options{Now: clock()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = Restore(ctx, v, rd, "f.age", RestoreOptions{Settings: true})
		v.Close()
		if !errors.Is(err, want) {
			t.Errorf("%s: restore %v", doc, err)
		}
	}
	if vaultDigest(t, dir) != before {
		t.Error("a refused restore changed the vault")
	}
	// Without --restore-settings the settings may come anywhere.
	rd, err := OpenReader(bytes.NewReader(encryptDoc(t, `{"format":1,`+secrets+`,`+settings+`}`, x.Recipient())), with(x))
	if err != nil {
		t.Fatal(err)
	}
	v, err = vault.Open(ctx, dir, testPass, vault.Options{Now: clock()})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if rep, err := Restore(ctx, v, rd, "f.age", RestoreOptions{}); err != nil || rep.Count(vault.ActionNew) != 1 {
		t.Fatalf("restore without settings: %+v %v", rep, err)
	}
	if rd.Head().Settings == nil {
		t.Error("the settings after the secrets are not in the head once read")
	}
}

// TestRestoreStreamDamagedEnd: a large backup cut short or changed near
// its end fails where the stream reaches the damage, after thousands of
// secrets were planned and staged, and the vault keeps none of them.
func TestRestoreStreamDamagedEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	x, _ := age.GenerateX25519Identity()
	file := encryptTo(t, &Backup{Format: FormatVersion, Secrets: benchSecrets(6000)}, false, x.Recipient())
	v := newVault(t, vault.DefaultSettings())
	if _, err := v.Put(ctx, "kept", []byte("k"), vault.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := mustInfo(t, v).Dir
	v.Close()
	before := vaultDigest(t, dir)
	flipped := bytes.Clone(file)
	flipped[len(flipped)-100] ^= 1
	for name, f := range map[string][]byte{"truncated": file[:len(file)-20], "flipped": flipped} {
		if err := restore(dir, f, with(x)); !errors.Is(err, ErrDamaged) {
			t.Errorf("%s: %v, want ErrDamaged", name, err)
		}
	}
	if vaultDigest(t, dir) != before {
		t.Error("a damaged backup changed the vault")
	}
	if err := restore(dir, file, with(x)); err != nil {
		t.Fatalf("the whole file: %v", err)
	}
}
