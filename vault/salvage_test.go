package vault

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// salvageSource builds a closed vault of n secrets, every third with a
// second version and one in the trash, and returns its directory and the
// values by name and version.
func salvageSource(t *testing.T, n int) (string, map[string][]string) {
	t.Helper()
	c := newClock()
	v := newVault(t, DefaultSettings(), c)
	ctx := context.Background()
	want := map[string][]string{}
	for i := range n {
		name := fmt.Sprintf("app/%03d/token", i)
		val := fmt.Sprintf("value-%03d-%s", i, bytes.Repeat([]byte{'x'}, 150))
		mustPut(t, v, name, val, PutOptions{Tags: map[string]string{"n": fmt.Sprint(i)}})
		want[name] = append(want[name], val)
		if i%3 == 0 {
			c.Advance(Day)
			mustPut(t, v, name, val+"-2", PutOptions{})
			want[name] = append(want[name], val+"-2")
		}
	}
	if err := v.Delete(ctx, "app/001/token"); err != nil {
		t.Fatal(err)
	}
	if err := v.SetSetting(ctx, "rotate-every", "30d", nil); err != nil {
		t.Fatal(err)
	}
	return closeVault(t, v), want
}

// hashDir hashes every file under dir, by path.
func hashDir(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = sha256.Sum256(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runSalvage salvages src into a new directory and checks that src did
// not change by one byte.
func runSalvage(t *testing.T, src string) (SalvageReport, string) {
	t.Helper()
	before := hashDir(t, src)
	dst := filepath.Join(t.TempDir(), "saved")
	r, err := Salvage(context.Background(), src, dst, testPass, Options{Actor: "tester@host"})
	if err != nil {
		t.Fatalf("salvage: %v", err)
	}
	after := hashDir(t, src)
	if len(before) != len(after) {
		t.Fatalf("salvage changed the file set: %d files before, %d after", len(before), len(after))
	}
	for p, h := range before {
		if after[p] != h {
			t.Fatalf("salvage changed %s", p)
		}
	}
	return r, dst
}

// checkSalvaged opens the new vault and checks that every version the
// report says it saved holds the original value, that the vault verifies,
// and that every original secret is saved or reported lost.
func checkSalvaged(t *testing.T, r SalvageReport, dst string, want map[string][]string) {
	t.Helper()
	ctx := context.Background()
	v, err := Open(ctx, dst, testPass, Options{ReadOnly: true, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if rep, err := v.Verify(ctx); err != nil {
		t.Fatalf("the salvaged vault does not verify: %v %v", err, rep.Problems)
	}
	accounted := map[string]bool{}
	for _, s := range r.Saved {
		accounted[s.Name] = true
		got, err := v.Secret(ctx, s.Name)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if len(got.Versions) != len(s.Versions) {
			t.Fatalf("%s: %d versions in the vault, the report says %v", s.Name, len(got.Versions), s.Versions)
		}
		for i, n := range s.Versions {
			if got.Versions[i].Number != n {
				t.Fatalf("%s: version %d was renumbered to %d", s.Name, n, got.Versions[i].Number)
			}
			if got.InTrash() {
				continue // a reader cannot get a value from the trash
			}
			val, _, err := v.Get(ctx, s.Name, n, OpGet)
			if err != nil || string(val) != want[s.Name][n-1] {
				t.Fatalf("%s version %d: %q, %v", s.Name, n, val, err)
			}
		}
		if s.Deleted != got.InTrash() {
			t.Fatalf("%s: trash state not kept", s.Name)
		}
	}
	for _, l := range r.Lost {
		if l.Name != "" {
			accounted[l.Name] = true
		}
	}
	unnamed := 0
	for _, l := range r.Lost {
		if l.Name == "" {
			unnamed++
		}
	}
	missing := 0
	for name := range want {
		if !accounted[name] {
			missing++
		}
	}
	if missing > unnamed {
		t.Fatalf("%d secrets are neither saved nor reported lost (%d lost without a name)", missing, unnamed)
	}
}

func TestSalvageIntactVault(t *testing.T) {
	src, want := salvageSource(t, 12)
	r, dst := runSalvage(t, src)
	if !r.Complete() {
		t.Fatalf("an intact vault's salvage is incomplete: %+v", r)
	}
	if len(r.Saved) != len(want) || !r.Audit.Intact || r.Settings != "kept" {
		t.Fatalf("report: %+v", r)
	}
	checkSalvaged(t, r, dst, want)
	v, err := Open(context.Background(), dst, testPass, Options{ReadOnly: true, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	set, _ := v.Settings(context.Background())
	if set.RotateEvery != 30*Day {
		t.Fatalf("settings not kept: rotate-every %v", set.RotateEvery)
	}
	// The old audit log follows the new vault's init, event by event, and
	// still names each secret's events: the ids are kept.
	evs, err := v.Audit(context.Background(), "app/000/token")
	if err != nil {
		t.Fatal(err)
	}
	sets := 0
	for _, e := range evs {
		if e.Op == OpSet && strings.HasPrefix(e.Note, "salvaged event ") && e.Actor == "tester@host" {
			sets++
		}
	}
	if sets != 2 {
		t.Fatalf("the secret's two old set events were not kept: %+v", evs)
	}
	all, _ := v.Audit(context.Background(), "")
	if len(all) != r.Audit.Events+2 || all[0].Op != OpInit || all[len(all)-1].Op != OpImport {
		t.Fatalf("%d events (want %d old ones between init and import): first %s, last %s", len(all), r.Audit.Events, all[0].Op, all[len(all)-1].Op)
	}
}

func TestSalvageRefuses(t *testing.T) {
	src, _ := salvageSource(t, 2)
	ctx := context.Background()
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "x"), []byte("x"), 0o600)
	if _, err := Salvage(ctx, src, full, testPass, Options{}); !errors.Is(err, ErrExists) {
		t.Fatalf("a non-empty target: %v", err)
	}
	if _, err := Salvage(ctx, src, filepath.Join(src, "saved"), testPass, Options{}); !errors.Is(err, ErrInvalid) || exists(filepath.Join(src, "saved")) {
		t.Fatalf("a target inside the source: %v", err)
	}
	dst := filepath.Join(t.TempDir(), "new")
	if _, err := Salvage(ctx, src, dst, []byte("wrong"), Options{}); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("a wrong passphrase: %v", err)
	}
	if exists(dst) {
		t.Fatal("a refused salvage made its target")
	}
	// A vault another process holds for writing is not read under it.
	held, err := Open(ctx, src, testPass, Options{Actor: "tester@host"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Salvage(ctx, src, dst, testPass, Options{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("a held vault: %v", err)
	}
	held.Close()
	os.Rename(filepath.Join(src, headerFile), filepath.Join(src, "header.gone"))
	if _, err := Salvage(ctx, src, dst, testPass, Options{}); !errors.Is(err, ErrHeaderLost) {
		t.Fatalf("a lost header: %v", err)
	}
}

// storeFiles lists the store's files matching pattern, sorted.
func storeFiles(t *testing.T, dir, pattern string) []string {
	t.Helper()
	fs, err := filepath.Glob(filepath.Join(dir, dbDir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(fs)
	return fs
}

// largest returns the largest of files.
func largest(t *testing.T, files []string) string {
	t.Helper()
	best, size := "", int64(-1)
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Size() > size {
			best, size = f, fi.Size()
		}
	}
	if best == "" {
		t.Fatal("no such file")
	}
	return best
}

func TestSalvageFaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		// fault damages the closed vault in dir.
		fault func(t *testing.T, dir string)
		// complete: the fault touches nothing salvage needs.
		complete bool
	}{
		{"flipped bit in a table", func(t *testing.T, dir string) {
			f := largest(t, storeFiles(t, dir, "*.sst"))
			b, _ := os.ReadFile(f)
			b[len(b)/3] ^= 0x10 // inside a data block, not the index at the end
			os.WriteFile(f, b, 0o600)
		}, false},
		{"zeroed page in a table", func(t *testing.T, dir string) {
			f := largest(t, storeFiles(t, dir, "*.sst"))
			b, _ := os.ReadFile(f)
			clear(b[4096:8192])
			os.WriteFile(f, b, 0o600)
		}, false},
		{"truncated value log", func(t *testing.T, dir string) {
			for _, f := range storeFiles(t, dir, "*.vlog") {
				fi, _ := os.Stat(f)
				os.Truncate(f, fi.Size()/2)
			}
		}, true},
		{"deleted MANIFEST", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, dbDir, "MANIFEST")); err != nil {
				t.Fatal(err)
			}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, want := salvageSource(t, 60)
			tc.fault(t, src)
			r, dst := runSalvage(t, src)
			if r.Complete() != tc.complete {
				t.Fatalf("complete = %v, want %v: %+v", r.Complete(), tc.complete, r)
			}
			if !tc.complete && len(r.Damaged) == 0 {
				t.Fatalf("the damage is not reported: %+v", r)
			}
			if len(r.Saved) == 0 {
				t.Fatal("nothing saved")
			}
			if tc.complete && len(r.Saved) != len(want) {
				t.Fatalf("saved %d of %d secrets", len(r.Saved), len(want))
			}
			t.Logf("saved %d, lost %d, damaged %q, audit %+v", len(r.Saved), len(r.Lost), r.Damaged, r.Audit)
			checkSalvaged(t, r, dst, want)
		})
	}
}

// A store copied while its writer still runs holds its newest writes
// only in the write-ahead log (*.mem): salvage replays it.
func TestSalvageReplaysWriteAheadLog(t *testing.T) {
	c := newClock()
	v := newVault(t, DefaultSettings(), c)
	want := map[string][]string{}
	for i := range 5 {
		name := fmt.Sprintf("wal/%d", i)
		val := fmt.Sprintf("unflushed value %d", i)
		mustPut(t, v, name, val, PutOptions{})
		want[name] = []string{val}
	}
	// Copy the directory as a crash would leave it: the store still open.
	src := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(src, os.DirFS(v.dir)); err != nil {
		t.Fatal(err)
	}
	os.Chmod(src, 0o700)
	if len(storeFiles(t, src, "*.mem")) == 0 {
		t.Fatal("no write-ahead log in the copy")
	}
	r, dst := runSalvage(t, src)
	if len(r.Saved) != len(want) {
		t.Fatalf("saved %d of %d secrets: %+v", len(r.Saved), len(want), r)
	}
	checkSalvaged(t, r, dst, want)
}

func TestBackupReminder(t *testing.T) {
	c := newClock()
	v := newVault(t, DefaultSettings(), c)
	ctx := context.Background()
	created := c.Now()
	set, _ := v.Settings(ctx)
	if !set.Since.Equal(created) || set.BackupEvery != 7*Day {
		t.Fatalf("a new vault: since %v, backup-every %v", set.Since, set.BackupEvery)
	}
	if r := set.BackupReminder(created.Add(7*Day - time.Second)); r != "" {
		t.Fatalf("reminded early: %q", r)
	}
	if r := set.BackupReminder(created.Add(9 * Day)); r != "no backup export in 9 days (none since the vault was created)" {
		t.Fatalf("reminder: %q", r)
	}
	c.Advance(3 * Day)
	if err := v.RecordBackup(ctx); err != nil {
		t.Fatal(err)
	}
	v = reopen(t, v, Options{Now: c.Now})
	set, _ = v.Settings(ctx)
	if r := set.BackupReminder(created.Add(9 * Day)); r != "" {
		t.Fatalf("reminded 6 days after a backup: %q", r)
	}
	if r := set.BackupReminder(created.Add(11 * Day)); r != "no backup export in 8 days" {
		t.Fatalf("reminder: %q", r)
	}
	// Restoring settings from a backup keeps the vault's own clock.
	restored := DefaultSettings()
	if _, err := v.Import(ctx, SecretsOf(nil), ImportOptions{Settings: &restored}); err != nil {
		t.Fatal(err)
	}
	set, _ = v.Settings(ctx)
	if !set.LastBackup.Equal(created.Add(3*Day)) || !set.Since.Equal(created) {
		t.Fatalf("an import of settings moved the backup clock: %v %v", set.LastBackup, set.Since)
	}
	if err := v.SetSetting(ctx, "backup-every", "off", nil); err != nil {
		t.Fatal(err)
	}
	set, _ = v.Settings(ctx)
	if got, _ := set.Get("backup-every"); got != "off" || set.BackupReminder(created.Add(400*Day)) != "" {
		t.Fatalf("off: %q", got)
	}
	// A vault from before the record has no clock: never backed up.
	if r := (Settings{BackupEvery: Day}).BackupReminder(created); r != "no backup export yet" {
		t.Fatalf("an old vault: %q", r)
	}
}
