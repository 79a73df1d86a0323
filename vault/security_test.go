package vault

// Tests of the security invariants 1-5 and 7, against the real files on
// disk and against real processes killed with SIGKILL.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"locket/internal/e2e"
)

// canary is one secret whose every field is unique and easy to find.
type canary struct {
	name, value, contentType, tagKey, tagValue string
}

func makeCanary(token string, i int) canary {
	h := sha256.Sum256(fmt.Appendf(nil, "%s/%d", token, i))
	x := hex.EncodeToString(h[:])
	return canary{
		name:        fmt.Sprintf("cnry%s/n%06d", token, i),
		value:       fmt.Sprintf("VAL%s%06d%s", token, i, x[:24]),
		contentType: fmt.Sprintf("ct/%s-%06d", token, i),
		tagKey:      fmt.Sprintf("k%s%06d", token, i),
		tagValue:    fmt.Sprintf("tv%s%06d%s", token, i, x[24:40]),
	}
}

func (c canary) strings() []string {
	return []string{c.name, c.value, c.contentType, c.tagKey, c.tagValue}
}

func (c canary) put(v *Vault) error {
	_, err := v.Put(ctx, c.name, []byte(c.value), PutOptions{ContentType: c.contentType, Tags: map[string]string{c.tagKey: c.tagValue}})
	return err
}

func newToken(t testing.TB) string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// assertNoCanary fails if any fragment of any canary is in any file under dir.
func assertNoCanary(t *testing.T, dir string, canaries []canary) {
	t.Helper()
	var all []string
	for _, c := range canaries {
		all = append(all, c.strings()...)
	}
	if leak := findIn(dirFiles(t, dir), canarySet(all)); leak != "" {
		t.Fatalf("plaintext on disk: %s", leak)
	}
}

// TestScannerFindsCanaries proves that the scan used below can fail.
func TestScannerFindsCanaries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := makeCanary("feedbeef", 7)
	os.WriteFile(filepath.Join(dir, "plain"), []byte("xx\x00\x00"+c.value[5:20]+"\x00yy"), 0o600)
	if findIn(dirFiles(t, dir), canarySet(c.strings())) == "" {
		t.Fatal("the scanner missed a fragment of a canary")
	}
}

// TestCanaryCleanCloseAndCycles is security invariant 1 after a clean close
// and after update, rename, delete, recover and purge cycles.
func TestCanaryCleanCloseAndCycles(t *testing.T) {
	t.Parallel()
	skipShort(t)
	const n = 1000
	token := newToken(t)
	v := newVault(t, DefaultSettings(), nil)
	var used []canary
	for i := range n {
		c := makeCanary(token, i)
		if err := c.put(v); err != nil {
			t.Fatal(err)
		}
		used = append(used, c)
	}
	dir := v.dir
	v.Close()
	assertNoCanary(t, dir, used)

	v = reopen(t, v, Options{})
	for i := range n {
		c := used[i]
		switch i % 5 {
		case 0: // a new version with new canary content
			nc := makeCanary(token, n+i)
			nc.name = c.name
			if _, err := v.Put(ctx, c.name, []byte(nc.value), PutOptions{ContentType: nc.contentType, Tags: map[string]string{nc.tagKey: nc.tagValue}}); err != nil {
				t.Fatal(err)
			}
			used = append(used, nc)
		case 1: // renamed
			nc := makeCanary(token, n+i)
			if err := v.Rename(ctx, c.name, nc.name); err != nil {
				t.Fatal(err)
			}
			used = append(used, canary{name: nc.name, value: nc.value, contentType: nc.contentType, tagKey: nc.tagKey, tagValue: nc.tagValue})
		case 2: // deleted and purged
			if err := v.Delete(ctx, c.name); err != nil {
				t.Fatal(err)
			}
			if i%10 == 2 {
				if err := v.Purge(ctx, c.name); err != nil {
					t.Fatal(err)
				}
			}
		case 3: // deleted and recovered, then re-tagged
			v.Delete(ctx, c.name)
			if err := v.Recover(ctx, c.name); err != nil {
				t.Fatal(err)
			}
			if err := v.Tag(ctx, c.name, TagChange{Remove: []string{c.tagKey}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	v.Close()
	assertNoCanary(t, dir, used)
	// The cycles left the data intact.
	v = reopen(t, v, Options{ReadOnly: true})
	if val, _, err := v.Get(ctx, used[4].name, 0, OpGet); err != nil || string(val) != used[4].value {
		t.Fatalf("untouched canary: %q %v", val, err)
	}
	if val, _, err := v.Get(ctx, used[0].name, 1, OpGet); err != nil || string(val) != used[0].value {
		t.Fatalf("first version of an updated canary: %q %v", val, err)
	}
	if _, err := v.Secret(ctx, used[2].name); !errors.Is(err, ErrNotFound) {
		t.Fatalf("purged canary: %v", err)
	}
	// 200 of the 1000 were deleted, 100 of those purged.
	live, err := v.List(ctx, ListOptions{})
	trash, err2 := v.List(ctx, ListOptions{Deleted: true})
	if err != nil || err2 != nil || len(live) != 800 || len(trash) != 100 {
		t.Fatalf("list after cycles: %d live, %d in the trash, %v %v", len(live), len(trash), err, err2)
	}
	for i := 1; i < len(live); i++ {
		if live[i-1].Name >= live[i].Name {
			t.Fatalf("list not sorted: %s before %s", live[i-1].Name, live[i].Name)
		}
	}
	if _, err := v.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}

// The writer subprocess: the test binary re-executed with these variables.
const (
	envWriterDir   = "LOCKET_TEST_WRITER_DIR"
	envWriterToken = "LOCKET_TEST_WRITER_TOKEN"
	envWriterStart = "LOCKET_TEST_WRITER_START"
)

// TestHelperWriter is not a test: re-executed with envWriterDir set, it
// opens that vault and writes canaries until it is killed, printing
// "put I" after each Put returns and "purge I" after each Purge returns.
func TestHelperWriter(t *testing.T) {
	dir := os.Getenv(envWriterDir)
	if dir == "" {
		return
	}
	token := os.Getenv(envWriterToken)
	start, _ := strconv.Atoi(os.Getenv(envWriterStart))
	v, err := Open(ctx, dir, testPass, Options{Wait: 5 * time.Second})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	out := bufio.NewWriter(os.Stdout)
	for i := start; ; i++ {
		if err := makeCanary(token, i).put(v); err != nil {
			fmt.Fprintln(out, "error", err)
			out.Flush()
			os.Exit(1)
		}
		fmt.Fprintln(out, "put", i)
		out.Flush()
		if i%7 == 6 && i-3 >= start {
			name := makeCanary(token, i-3).name
			if err := v.Delete(ctx, name); err != nil {
				fmt.Fprintln(out, "error", err)
				out.Flush()
				os.Exit(1)
			}
			if err := v.Purge(ctx, name); err != nil {
				fmt.Fprintln(out, "error", err)
				out.Flush()
				os.Exit(1)
			}
			fmt.Fprintln(out, "purge", i-3)
			out.Flush()
		}
	}
}

// writer is a running writer subprocess and the acknowledgements it sent.
type writer struct {
	cmd    *exec.Cmd
	acks   chan string
	puts   []int
	purges []int
}

func startWriter(t *testing.T, dir, token string, start int) *writer {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), envWriterDir+"="+dir, envWriterToken+"="+token, envWriterStart+"="+strconv.Itoa(start))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &writer{cmd: cmd, acks: make(chan string, 1<<16)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			w.acks <- sc.Text()
		}
		close(w.acks)
	}()
	return w
}

// kill sends SIGKILL and collects every acknowledgement printed before it.
func (w *writer) kill(t *testing.T) {
	t.Helper()
	w.cmd.Process.Signal(syscall.SIGKILL)
	w.cmd.Wait()
	for line := range w.acks {
		op, arg, _ := strings.Cut(line, " ")
		i, err := strconv.Atoi(arg)
		switch {
		case op == "put" && err == nil:
			w.puts = append(w.puts, i)
		case op == "purge" && err == nil:
			w.purges = append(w.purges, i)
		default:
			t.Fatalf("writer: %s", line)
		}
	}
}

// waitAcks waits until the writer has acknowledged n writes.
func (w *writer) waitAcks(t *testing.T, n int) {
	t.Helper()
	// Generous: the wait ends at the n-th acknowledgement, and a loaded
	// machine may take minutes to reach it.
	deadline := time.After(e2e.Scale(5 * time.Minute))
	for len(w.puts) < n {
		select {
		case line, ok := <-w.acks:
			if !ok {
				t.Fatal("writer exited early")
			}
			op, arg, _ := strings.Cut(line, " ")
			i, _ := strconv.Atoi(arg)
			switch op {
			case "put":
				w.puts = append(w.puts, i)
			case "purge":
				w.purges = append(w.purges, i)
			default:
				t.Fatalf("writer: %s", line)
			}
		case <-deadline:
			t.Fatal("writer too slow")
		}
	}
}

// TestCanaryKill9 is security invariant 1 after kill -9 of a writing process:
// the directory is scanned as the killed process left it.
func TestCanaryKill9(t *testing.T) {
	t.Parallel()
	skipShort(t)
	token := newToken(t)
	v := newVault(t, DefaultSettings(), nil)
	dir := v.dir
	v.Close()
	w := startWriter(t, dir, token, 0)
	w.waitAcks(t, 1000)
	w.kill(t)
	var canaries []canary
	for i := range w.puts[len(w.puts)-1] + 2 {
		canaries = append(canaries, makeCanary(token, i))
	}
	assertNoCanary(t, dir, canaries)
	// Opening replays the killed writer's log and finishes its purges;
	// that leaves no plaintext either.
	checkAcked(t, dir, token, w)
	assertNoCanary(t, dir, canaries)
}

// checkAcked opens the vault and checks every acknowledged write: puts are
// readable with their value unless their purge was acknowledged too.
func checkAcked(t *testing.T, dir, token string, w *writer) {
	t.Helper()
	// A reader comes first: it must see the acknowledged writes without
	// the repairs that opening for writing makes.
	ro, err := Open(ctx, dir, testPass, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open after kill -9: %v", err)
	}
	if len(w.puts) > 0 {
		last := w.puts[len(w.puts)-1]
		if val, _, err := ro.Get(ctx, makeCanary(token, last).name, 0, OpGet); err != nil || string(val) != makeCanary(token, last).value {
			if !(last%7 == 3 && errors.Is(err, ErrNotFound)) {
				t.Fatalf("read-only: last acknowledged put %d: %q %v", last, val, err)
			}
		}
	}
	ro.Close()
	v, err := Open(ctx, dir, testPass, Options{})
	if err != nil {
		t.Fatalf("open after kill -9: %v", err)
	}
	defer v.Close()
	for _, i := range w.puts {
		c := makeCanary(token, i)
		val, _, err := v.Get(ctx, c.name, 0, OpGet)
		if slices.Contains(w.purges, i) {
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("acknowledged purge of %d undone: %v", i, err)
			}
			continue
		}
		if purged := i%7 == 3; purged && errors.Is(err, ErrNotFound) {
			continue // its purge may have committed without its ack
		}
		if err != nil || string(val) != c.value {
			t.Fatalf("acknowledged put %d lost: %q %v", i, val, err)
		}
	}
	if _, err := v.VerifyAudit(ctx); err != nil {
		t.Fatalf("audit after kill -9: %v", err)
	}
	if got := len(v.rawKeys(t, kindScrub)); got != 0 {
		t.Fatalf("%d purges left unfinished after opening for writing", got)
	}
}

// TestCrashAcknowledgedWrites is security invariant 5: a writer is killed at
// random moments, 20 times, and every write it acknowledged survives.
// skipShort skips the crash and canary tests, which kill and restart
// processes many times, under -short: CI runs them in its full pass, and
// its -race pass (-short) is about calls racing in one process.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("crash and canary tests run in the full pass")
	}
}

func TestCrashAcknowledgedWrites(t *testing.T) {
	t.Parallel()
	skipShort(t)
	token := newToken(t)
	v := newVault(t, DefaultSettings(), nil)
	dir := v.dir
	v.Close()
	all := &writer{}
	next := 0
	for round := range 20 {
		w := startWriter(t, dir, token, next)
		// Kill at a random moment: in one round of four while the writer
		// is still starting and unlocking, else in the middle of its writes.
		d, _ := rand.Int(rand.Reader, big.NewInt(300))
		if round%4 != 0 {
			w.waitAcks(t, 1)
		}
		time.Sleep(time.Duration(d.Int64()) * time.Millisecond)
		w.kill(t)
		all.puts = append(all.puts, w.puts...)
		all.purges = append(all.purges, w.purges...)
		if len(w.puts) > 0 {
			next = w.puts[len(w.puts)-1] + 1
		}
		// The next writer starts past anything this one may have written
		// without acknowledging.
		next += 2
		checkAcked(t, dir, token, all)
		t.Logf("round %d: %d puts, %d purges acknowledged", round, len(w.puts), len(w.purges))
	}
	if len(all.puts) < 20 {
		t.Fatalf("only %d writes acknowledged in 20 rounds: the test did not exercise writing", len(all.puts))
	}
}

// copyVault copies a closed vault directory.
func copyVault(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	for path, b := range dirFiles(t, src) {
		rel, _ := filepath.Rel(src, path)
		os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o700)
		if err := os.WriteFile(filepath.Join(dst, rel), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(dst, 0o700)
	return dst
}

// readAll opens dir and reads every secret; it returns the values read
// and the first error met.
func readAll(dir string, names []string) (map[string]string, error) {
	v, err := Open(ctx, dir, testPass, Options{Wait: time.Second})
	if err != nil {
		return nil, err
	}
	defer v.Close()
	got := map[string]string{}
	l, err := v.List(ctx, ListOptions{})
	if err != nil {
		return got, err
	}
	for _, s := range l {
		if !slices.Contains(names, s.Name) {
			return got, fmt.Errorf("list returned unknown name %q", s.Name)
		}
	}
	var first error
	for _, n := range names {
		val, _, err := v.Get(ctx, n, 0, OpGet)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		got[n] = string(val)
	}
	return got, first
}

// TestTamper flips bytes in the store files: every read either fails or
// returns the true value, never other data (security invariant 3).
func TestTamper(t *testing.T) {
	t.Parallel()
	v := newVault(t, DefaultSettings(), nil)
	want := map[string]string{}
	var names []string
	for i := range 40 {
		n, val := fmt.Sprintf("s/%02d", i), fmt.Sprintf("value-%02d-%s", i, strings.Repeat("x", i))
		mustPut(t, v, n, val, PutOptions{})
		want[n], names = val, append(names, n)
	}
	target := v.rawGet(t, valueKey(v.secretID(t, "s/07"), 1))
	// Half the records in a table, half still in the memtable's log.
	v = reopen(t, v, Options{})
	for i := 40; i < 60; i++ {
		n, val := fmt.Sprintf("s/%02d", i), fmt.Sprintf("value-%02d", i)
		mustPut(t, v, n, val, PutOptions{})
		want[n], names = val, append(names, n)
	}
	memTarget := v.rawGet(t, valueKey(v.secretID(t, "s/55"), 1))
	dir := v.dir
	v.Close()

	detected := 0
	check := func(t *testing.T, d string, what string) {
		got, err := readAll(d, names)
		for n, val := range got {
			if val != want[n] {
				t.Fatalf("%s: %s read as %q, want %q", what, n, val, want[n])
			}
		}
		if err != nil {
			detected++
		}
	}
	// A flip inside a sealed value must be reported as an integrity error.
	for _, tgt := range [][]byte{target, memTarget} {
		found := false
		for path, b := range dirFiles(t, dir) {
			at := bytes.Index(b, tgt)
			if at < 0 {
				continue
			}
			found = true
			d := copyVault(t, dir)
			rel, _ := filepath.Rel(dir, path)
			b = bytes.Clone(b)
			b[at+30] ^= 0x01
			os.WriteFile(filepath.Join(d, rel), b, 0o600)
			got, err := readAll(d, names)
			if len(got) > 0 && err == nil {
				t.Fatalf("flip in %s: every value read", rel)
			}
			for n, val := range got {
				if val != want[n] {
					t.Fatalf("flip in %s: %s read as %q", rel, n, val)
				}
			}
			if strings.HasSuffix(rel, ".sst") && !errors.Is(err, ErrIntegrity) && !strings.Contains(fmt.Sprint(err), "checksum") {
				t.Fatalf("flip in %s: %v, want an integrity or checksum error", rel, err)
			}
		}
		if !found {
			t.Fatal("sealed value not found in any file")
		}
	}
	// Random flips anywhere in the used part of every file.
	files := dirFiles(t, dir)
	var paths []string
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, path := range paths {
		b := files[path]
		rel, _ := filepath.Rel(dir, path)
		used := len(bytes.TrimRight(b, "\x00"))
		if used == 0 || rel == headerFile {
			continue
		}
		for range 4 {
			r, _ := rand.Int(rand.Reader, big.NewInt(int64(used)))
			at := int(r.Int64())
			d := copyVault(t, dir)
			c := bytes.Clone(b)
			c[at] ^= 0x5a
			os.WriteFile(filepath.Join(d, rel), c, 0o600)
			check(t, d, fmt.Sprintf("flip at %d of %s", at, rel))
		}
	}
	if detected == 0 {
		t.Fatal("no flip was detected at all")
	}
}

// TestSwap copies sealed records over other records' keys: each copy is
// detected (security invariant 3).
func TestSwap(t *testing.T) {
	t.Parallel()
	v := newVault(t, DefaultSettings(), nil)
	mustPut(t, v, "a", "value-a", PutOptions{})
	mustPut(t, v, "a", "value-a2", PutOptions{})
	mustPut(t, v, "b", "value-b", PutOptions{})
	ida, idb := v.secretID(t, "a"), v.secretID(t, "b")
	swaps := []struct {
		name     string
		from, to []byte
		read     func() error
	}{
		{"value onto another secret's value", valueKey(ida, 1), valueKey(idb, 1),
			func() error { _, _, err := v.Get(ctx, "b", 0, OpGet); return err }},
		{"value onto another version", valueKey(ida, 1), valueKey(ida, 2),
			func() error { _, _, err := v.Get(ctx, "a", 2, OpGet); return err }},
		{"metadata onto another secret", key(kindMeta, ida), key(kindMeta, idb),
			func() error { _, err := v.Secret(ctx, "b"); return err }},
		{"index onto another name", v.indexKeyOf("a"), v.indexKeyOf("b"),
			func() error { _, err := v.Secret(ctx, "b"); return err }},
		{"settings onto metadata", []byte{kindSettings}, key(kindMeta, idb),
			func() error { _, err := v.List(ctx, ListOptions{}); return err }},
	}
	for _, s := range swaps {
		t.Run(s.name, func(t *testing.T) {
			orig := v.rawGet(t, s.to)
			v.rawSet(t, s.to, v.rawGet(t, s.from))
			if err := s.read(); !errors.Is(err, ErrIntegrity) {
				t.Fatalf("read after the swap: %v, want ErrIntegrity", err)
			}
			v.rawSet(t, s.to, orig)
			if err := s.read(); err != nil {
				t.Fatalf("read after restoring: %v", err)
			}
		})
	}
	// Both index entries pointing at one record is a moved record too.
	v.reseal(t, kindIndex, v.indexKeyOf("b"), ida)
	if _, err := v.Secret(ctx, "b"); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("index resealed to another id: %v", err)
	}
	// A record from another vault never opens here.
	other := newVault(t, DefaultSettings(), nil)
	mustPut(t, other, "b", "other-b", PutOptions{})
	v.reseal(t, kindIndex, v.indexKeyOf("b"), idb)
	v.rawSet(t, key(kindMeta, idb), other.rawGet(t, key(kindMeta, other.secretID(t, "b"))))
	if _, err := v.Secret(ctx, "b"); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("record from another vault: %v", err)
	}
}

func (v *Vault) indexKeyOf(name string) []byte {
	return key(kindIndex, v.kr.Index("name", []byte(name)))
}

// sealedRecords returns every stored version of every record of a secret:
// the sealed bytes that security invariant 7 says purge destroys.
func (v *Vault) sealedRecords(t *testing.T, name string) [][]byte {
	t.Helper()
	id := v.secretID(t, name)
	var out [][]byte
	err := v.db.View(func(tx *badger.Txn) error {
		for _, prefix := range [][]byte{key(kindMeta, id), key(kindValue, id), key(kindTrash, id), v.indexKeyOf(name)} {
			it := tx.NewIterator(badger.IteratorOptions{Prefix: prefix, AllVersions: true})
			for it.Rewind(); it.Valid(); it.Next() {
				if it.Item().IsDeletedOrExpired() {
					continue
				}
				b, err := it.Item().ValueCopy(nil)
				if err != nil {
					it.Close()
					return err
				}
				out = append(out, b)
			}
			it.Close()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPurgeLeavesNoSealedCopy is security invariant 7, for records still in
// the memtable's log and for records already in tables.
func TestPurgeLeavesNoSealedCopy(t *testing.T) {
	t.Parallel()
	for _, flushed := range []bool{false, true} {
		t.Run(fmt.Sprintf("flushed=%v", flushed), func(t *testing.T) {
			v := newVault(t, DefaultSettings(), nil)
			mustPut(t, v, "bystander", "still here", PutOptions{})
			for i := range 3 {
				mustPut(t, v, "victim", fmt.Sprintf("victim value %d", i), PutOptions{Tags: map[string]string{"i": strconv.Itoa(i)}})
			}
			v.Tag(ctx, "victim", TagChange{Set: map[string]string{"x": "y"}})
			if flushed {
				v = reopen(t, v, Options{})
			}
			if err := v.Delete(ctx, "victim"); err != nil {
				t.Fatal(err)
			}
			sealed := v.sealedRecords(t, "victim")
			if len(sealed) < 6 {
				t.Fatalf("only %d sealed records found before purge", len(sealed))
			}
			dir := v.dir
			files := dirFiles(t, dir)
			present := 0
			for _, s := range sealed {
				if findSealed(files, s) != "" {
					present++
				}
			}
			if present == 0 {
				t.Fatal("no sealed record found on disk before purge: the check below could not fail")
			}
			if err := v.Purge(ctx, "victim"); err != nil {
				t.Fatal(err)
			}
			for _, check := range []string{"open", "closed"} {
				if check == "closed" {
					v.Close()
				}
				files := dirFiles(t, dir)
				for _, s := range sealed {
					if where := findSealed(files, s); where != "" {
						t.Fatalf("%s: a sealed record of the purged secret remains in %s", check, where)
					}
				}
			}
			v = reopen(t, v, Options{})
			if val, _, err := v.Get(ctx, "bystander", 0, OpGet); err != nil || string(val) != "still here" {
				t.Fatalf("bystander after purge: %q %v", val, err)
			}
		})
	}
}

// findSealed reports the file holding the sealed record, matched by its
// random nonce and the start of its ciphertext.
func findSealed(files map[string][]byte, sealed []byte) string {
	needle := sealed[:min(len(sealed), 40)]
	for path, b := range files {
		if bytes.Contains(b, needle) {
			return path
		}
	}
	return ""
}

// TestNewVaultSize is the size target: a new empty vault takes at most
// 64 MiB on disk, counting allocated blocks and apparent sizes.
func TestNewVaultSize(t *testing.T) {
	t.Parallel()
	v := newVault(t, DefaultSettings(), nil)
	dir := v.dir
	var apparent, allocated int64
	check := func(when string) {
		apparent, allocated = 0, 0
		filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			apparent += fi.Size()
			allocated += int64(diskUsage(fi))
			return nil
		})
		if apparent > 64<<20 || allocated > 64<<20 {
			t.Fatalf("%s: new vault is %d bytes apparent, %d allocated; the limit is 64 MiB", when, apparent, allocated)
		}
		t.Logf("%s: %d bytes apparent, %d allocated", when, apparent, allocated)
	}
	check("open")
	v.Close()
	check("closed")
}

func TestBadgerOptions(t *testing.T) {
	t.Parallel()
	o := badgerOptions(t.TempDir(), debugLog{})
	batch := o.MemTableSize * 15 / 100
	// SyncWrites stays off: updateLocked syncs every change itself so that
	// the audit event of a read needs no fsync. TestCrashAcknowledgedWrites covers kill -9.
	switch {
	case o.ValueThreshold >= batch:
		t.Errorf("ValueThreshold %d is not below the batch size %d", o.ValueThreshold, batch)
	case o.ValueThreshold < int64(MaxValueLen)+200:
		t.Errorf("ValueThreshold %d puts the largest sealed value in the value log, out of reach of purge", o.ValueThreshold)
	case o.BlockCacheSize > 32<<20 || o.IndexCacheSize > 32<<20 || o.MemTableSize > 16<<20:
		t.Errorf("caches sized for a server: block %d, index %d, memtable %d", o.BlockCacheSize, o.IndexCacheSize, o.MemTableSize)
	case o.ValueLogFileSize > 16<<20:
		t.Errorf("value log files of %d bytes", o.ValueLogFileSize)
	}
}

// TestEmptyMemtableLog: a kill between Badger creating a memtable log and
// sizing it leaves an empty file, which Badger alone refuses to open.
func TestEmptyMemtableLog(t *testing.T) {
	t.Parallel()
	v := newVault(t, DefaultSettings(), nil)
	mustPut(t, v, "k", "v", PutOptions{})
	dir := v.dir
	v.Close()
	for _, readOnly := range []bool{true, false} {
		if err := os.WriteFile(filepath.Join(dir, dbDir, "00099.mem"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		v, err := Open(ctx, dir, testPass, Options{ReadOnly: readOnly})
		if err != nil {
			t.Fatalf("read-only=%v: open with an empty memtable log: %v", readOnly, err)
		}
		if val, _, err := v.Get(ctx, "k", 0, OpGet); err != nil || string(val) != "v" {
			t.Fatalf("read-only=%v: %q %v", readOnly, val, err)
		}
		v.Close()
	}
}

const (
	envPasswdDir  = "LOCKET_TEST_PASSWD_DIR"
	envPasswdFrom = "LOCKET_TEST_PASSWD_FROM"
)

// TestEmptyValueLog: a kill while Badger creates a value log leaves it
// empty, alone or beside a write-ahead log that needs replaying. Readers
// and writers must still open the vault and read every write.
func TestEmptyValueLog(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		readOnly bool
		killed   bool // copy the files of a vault still open, as kill -9 leaves them
	}{
		{"writer", false, false},
		{"reader", true, false},
		{"writer after a kill", false, true},
		{"reader after a kill", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newVault(t, DefaultSettings(), nil)
			mustPut(t, v, "k", "value", PutOptions{})
			dir := v.dir
			if tc.killed {
				dir = copyVault(t, dir)
			}
			v.Close()
			if err := os.WriteFile(filepath.Join(dir, dbDir, "000999.vlog"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			v, err := Open(ctx, dir, testPass, Options{ReadOnly: tc.readOnly})
			if err != nil {
				t.Fatalf("open with an empty value log: %v", err)
			}
			defer v.Close()
			if val, _, err := v.Get(ctx, "k", 0, OpGet); err != nil || string(val) != "value" {
				t.Errorf("get: %q %v", val, err)
			}
		})
	}
}

// TestHelperPasswd is not a test: re-executed with envPasswdDir set, it
// opens that vault with "pass-F" (F from envPasswdFrom) and changes the
// passphrase back and forth between "pass-0" and "pass-1" until killed, printing "passwd N" after each change to
// pass-N returns.
func TestHelperPasswd(t *testing.T) {
	dir := os.Getenv(envPasswdDir)
	if dir == "" {
		return
	}
	from, _ := strconv.Atoi(os.Getenv(envPasswdFrom))
	v, err := Open(ctx, dir, fmt.Appendf(nil, "pass-%d", from), Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	for i := from + 1; ; i++ {
		if err := v.ChangePassphrase(ctx, fmt.Appendf(nil, "pass-%d", (i+1)%2), fmt.Appendf(nil, "pass-%d", i%2), MinKDF); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("passwd", i%2)
	}
}

// TestPasswdCrash kills a process in the middle of changing passphrases:
// the vault always opens with the last acknowledged passphrase or the one
// being set, never neither.
func TestPasswdCrash(t *testing.T) {
	t.Parallel()
	skipShort(t)
	dir := filepath.Join(t.TempDir(), "vault")
	v, err := Create(ctx, dir, []byte("pass-0"), MinKDF, DefaultSettings(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, v, "k", "survives passwd", PutOptions{})
	v.Close()
	current, changes := 0, 0
	for round := range 5 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPasswd$", "-test.count=1")
		cmd.Env = append(os.Environ(), envPasswdDir+"="+dir, envPasswdFrom+"="+strconv.Itoa(current))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		acked := current
		read := func(line string) {
			if n, ok := strings.CutPrefix(line, "passwd "); ok {
				acked, _ = strconv.Atoi(n)
				changes++
			} else if line != "ready" {
				t.Fatalf("round %d: helper: %s", round, line)
			}
		}
		// The kill must land while a change is under way, whatever the
		// machine's load: wait until the helper has opened the vault and
		// finished one change, which also times a change here and now,
		// then kill it at a random moment within about two more.
		next := func(what string) string {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("round %d: the helper ended before %s", round, what)
				}
				return line
			case <-time.After(e2e.Scale(2 * time.Minute)):
				t.Fatalf("round %d: no %s from the helper", round, what)
			}
			return ""
		}
		read(next("readiness"))
		start := time.Now()
		read(next("first change"))
		d, _ := rand.Int(rand.Reader, big.NewInt(2*int64(time.Since(start))+1))
		time.Sleep(time.Duration(d.Int64()))
		cmd.Process.Signal(syscall.SIGKILL)
		for line := range lines {
			read(line)
		}
		cmd.Wait()
		var opened *Vault
		for _, p := range []int{acked, 1 - acked} {
			if opened, err = Open(ctx, dir, fmt.Appendf(nil, "pass-%d", p), Options{}); err == nil {
				current = p
				break
			}
			if !errors.Is(err, ErrWrongPassphrase) {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if opened == nil {
			t.Fatalf("round %d: the vault opens with neither passphrase", round)
		}
		if val, _, err := opened.Get(ctx, "k", 0, OpGet); err != nil || string(val) != "survives passwd" {
			t.Fatalf("round %d: %q %v", round, val, err)
		}
		if _, err := opened.VerifyAudit(ctx); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		opened.Close()
		entries, _ := os.ReadDir(dir)
		if len(entries) > 3 { // header, db and at most one temporary file of the killed write
			t.Fatalf("round %d: temporary files pile up: %v", round, entries)
		}
	}
	if changes == 0 {
		t.Fatal("no passphrase change was acknowledged: the test did not exercise passwd")
	}
}
