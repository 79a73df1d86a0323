package vault

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// digest hashes every record of the store, keys and sealed values, so that
// a test can show an operation left the vault untouched.
func (v *Vault) digest(t testing.TB) [32]byte {
	t.Helper()
	h := sha256.New()
	err := v.db.View(func(tx *badger.Txn) error {
		it := tx.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			h.Write(it.Item().Key())
			val, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			h.Write(val)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

func countEvents(t testing.TB, v *Vault, op string) int {
	t.Helper()
	evs, err := v.Audit(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if string(e.Op) == op {
			n++
		}
	}
	return n
}

// fillSource builds a vault with versions, tags, a disabled secret and a
// secret in the trash.
func fillSource(t *testing.T, c *clock) *Vault {
	ctx := context.Background()
	set := DefaultSettings()
	set.RotateEvery = 30 * Day
	v := newVault(t, set, c)
	mustPut(t, v, "app/db/password", "one", PutOptions{ContentType: "text/plain", Tags: map[string]string{"env": "prod"}})
	c.Advance(Day)
	mustPut(t, v, "app/db/password", "two", PutOptions{Expires: c.Now().Add(90 * Day)})
	mustPut(t, v, "app/api-key", "k", PutOptions{Tags: map[string]string{"env": "dev"}})
	mustPut(t, v, "other/token", "tok", PutOptions{})
	mustPut(t, v, "app/old", "gone", PutOptions{})
	if err := v.Delete(ctx, "app/old"); err != nil {
		t.Fatal(err)
	}
	if err := v.Update(ctx, "app/api-key", Attributes{Enabled: new(false)}); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSnapshot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	v := fillSource(t, c)
	before := countEvents(t, v, "export")
	all, set, err := v.Snapshot(ctx, SnapshotOptions{Passphrase: testPass})
	if err != nil {
		t.Fatal(err)
	}
	if set.RotateEvery != 30*Day {
		t.Errorf("settings not in snapshot: %+v", set)
	}
	var names []string
	for _, sd := range all {
		names = append(names, sd.Name)
	}
	if fmt.Sprint(names) != "[app/api-key app/db/password app/old other/token]" {
		t.Fatalf("names %v", names)
	}
	db := all[1]
	if len(db.Values) != 2 || string(db.Values[0]) != "one" || string(db.Values[1]) != "two" || db.Versions[0].ContentType != "text/plain" || db.Versions[1].Expires.IsZero() {
		t.Errorf("versions not complete: %+v %q", db.Versions, db.Values)
	}
	if all[0].Enabled || !all[2].InTrash() || all[1].Tags["env"] != "prod" {
		t.Errorf("state lost: %+v", all)
	}
	if got := countEvents(t, v, "export"); got != before+1 {
		t.Errorf("export events %d, want %d", got, before+1)
	}

	unchanged := v.digest(t)
	if none, _, err := v.Snapshot(ctx, SnapshotOptions{Prefix: "nothing/"}); err != nil || len(none) != 0 {
		t.Fatalf("empty snapshot: %v %v", none, err)
	}
	if v.digest(t) != unchanged {
		t.Error("a snapshot that matched nothing changed the vault")
	}

	sel, _, err := v.Snapshot(ctx, SnapshotOptions{Prefix: "app/", Tags: map[string]string{"env": "prod"}})
	if err != nil || len(sel) != 1 || sel[0].Name != "app/db/password" {
		t.Fatalf("filtered snapshot %v %v", sel, err)
	}

	ro := reopen(t, v, Options{ReadOnly: true, Now: c.Now})
	d := ro.digest(t)
	if _, _, err := ro.Snapshot(ctx, SnapshotOptions{Passphrase: testPass}); err != nil {
		t.Fatal(err)
	}
	if ro.digest(t) != d {
		t.Error("a read-only snapshot wrote to the vault")
	}
}

func snapshot(t *testing.T, v *Vault) []SecretData {
	t.Helper()
	s, _, err := v.Snapshot(context.Background(), SnapshotOptions{Passphrase: testPass})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sameData(t *testing.T, got, want []SecretData) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d secrets, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Enabled != w.Enabled || !g.Deleted.Equal(w.Deleted) || fmt.Sprint(g.Tags) != fmt.Sprint(w.Tags) || !g.Created.Equal(w.Created) {
			t.Errorf("secret %s: got %+v, want %+v", w.Name, g.Secret, w.Secret)
		}
		if len(g.Versions) != len(w.Versions) {
			t.Fatalf("%s: %d versions, want %d", w.Name, len(g.Versions), len(w.Versions))
		}
		for j := range w.Versions {
			gv, wv := g.Versions[j], w.Versions[j]
			if !bytes.Equal(g.Values[j], w.Values[j]) || gv.Number != wv.Number || gv.ContentType != wv.ContentType ||
				!gv.Created.Equal(wv.Created) || !gv.Expires.Equal(wv.Expires) || gv.Actor != wv.Actor || gv.Size != wv.Size {
				t.Errorf("%s v%d: got %+v %q, want %+v %q", w.Name, wv.Number, gv, g.Values[j], wv, w.Values[j])
			}
		}
	}
}

func TestImportRoundTrip(t *testing.T) {
	t.Parallel()
	for _, journal := range []bool{false, true} {
		t.Run(fmt.Sprintf("journal=%v", journal), func(t *testing.T) {
			t.Parallel()
			var o Options
			if journal {
				o.limits = journalled()
			}
			ctx := context.Background()
			c := newClock()
			src := snapshot(t, fillSource(t, c))
			c.Advance(Day)
			dst := newVaultWith(t, DefaultSettings(), c, o)
			var done, total int
			progress := make(chan ImportProgress)
			read := make(chan struct{})
			go func() {
				defer close(read)
				for p := range progress {
					done, total = p.Done, p.Total
				}
			}()
			rep, err := dst.Import(ctx, SecretsOf(src), ImportOptions{Note: "test", Progress: progress})
			close(progress)
			<-read
			if err != nil {
				t.Fatal(err)
			}
			if total == 0 || done != total {
				t.Errorf("progress ended at %d of %d", done, total)
			}
			if !rep.Applied || rep.Count(ActionNew) != 4 || rep.Changes() != 4 {
				t.Fatalf("report %+v", rep)
			}
			sameData(t, snapshot(t, dst), src)
			if n := countEvents(t, dst, "import"); n != 1 {
				t.Errorf("%d import events, want 1", n)
			}
			if _, err := dst.VerifyAudit(ctx); err != nil {
				t.Error(err)
			}
			// Imported secrets are ordinary: the trash one can be recovered,
			// the live one takes new versions.
			if err := dst.Recover(ctx, "app/old"); err != nil {
				t.Error(err)
			}
			if ver := mustPut(t, dst, "app/db/password", "three", PutOptions{}); ver.Number != 3 {
				t.Errorf("next version %d", ver.Number)
			}
			// Importing the same again changes nothing.
			d := dst.digest(t)
			rep, err = dst.Import(ctx, SecretsOf(src[:2]), ImportOptions{DryRun: true})
			if err != nil || rep.Applied || rep.Count(ActionIdentical) != 1 || rep.Count(ActionSkipped) != 1 {
				t.Errorf("dry run %+v %v", rep, err)
			}
			if dst.digest(t) != d {
				t.Error("dry run wrote")
			}
		})
	}
}

// journalled are import limits that send every import through the
// journal in small chunks.
func journalled() *importLimits {
	return &importLimits{singleTxn: 0, chunk: 200}
}

func data(name string, values ...string) SecretData {
	sd := SecretData{Secret: Secret{Name: name, Enabled: true}}
	for _, val := range values {
		sd.Versions = append(sd.Versions, Version{ContentType: "text/plain"})
		sd.Values = append(sd.Values, []byte(val))
	}
	return sd
}

func values(t *testing.T, v *Vault, name string) string {
	t.Helper()
	// A prefix: a snapshot of one secret asks for no passphrase, which a
	// test may have changed.
	got, _, err := v.Snapshot(context.Background(), SnapshotOptions{Prefix: name})
	if err != nil {
		t.Fatal(err)
	}
	for _, sd := range got {
		if sd.Name == name {
			return string(bytes.Join(sd.Values, []byte(",")))
		}
	}
	return "<none>"
}

func TestImportPlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	setup := func(t *testing.T) *Vault {
		v := newVault(t, DefaultSettings(), newClock())
		mustPut(t, v, "same", "a", PutOptions{})
		mustPut(t, v, "behind", "a", PutOptions{})
		mustPut(t, v, "ahead", "a", PutOptions{})
		mustPut(t, v, "ahead", "b", PutOptions{})
		mustPut(t, v, "diverged", "a", PutOptions{})
		mustPut(t, v, "diverged", "local", PutOptions{})
		mustPut(t, v, "trashed", "a", PutOptions{})
		if err := v.Delete(ctx, "trashed"); err != nil {
			t.Fatal(err)
		}
		return v
	}
	deleted := data("deleted-there", "x")
	deleted.Deleted = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	liveDeleted := data("same", "z")
	liveDeleted.Name = "ahead2"
	in := []SecretData{
		data("same", "a"),
		data("behind", "a", "b", "c"),
		data("ahead", "a"),
		data("diverged", "a", "remote"),
		data("trashed", "b"),
		data("fresh", "f1", "f2"),
		deleted,
	}
	want := map[OnConflict]map[string]ImportItem{
		ConflictNewVersion: {
			"diverged": {Action: ActionConflict, Versions: 1},
		},
		ConflictSkip: {
			"diverged": {Action: ActionConflict},
		},
	}
	common := map[string]ImportItem{
		"same":          {Action: ActionIdentical},
		"behind":        {Action: ActionNewVersions, Versions: 2},
		"ahead":         {Action: ActionSkipped},
		"trashed":       {Action: ActionConflict},
		"fresh":         {Action: ActionNew, Versions: 2},
		"deleted-there": {Action: ActionNew, Versions: 1},
	}
	for policy, w := range want {
		t.Run(string(policy), func(t *testing.T) {
			v := setup(t)
			rep, err := v.Import(ctx, SecretsOf(in), ImportOptions{OnConflict: policy})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range rep.Items {
				exp, ok := w[it.Name]
				if !ok {
					exp = common[it.Name]
				}
				if it.Action != exp.Action || it.Versions != exp.Versions {
					t.Errorf("%s: %s/%d, want %s/%d (%s)", it.Name, it.Action, it.Versions, exp.Action, exp.Versions, it.Reason)
				}
			}
			if got := values(t, v, "behind"); got != "a,b,c" {
				t.Errorf("behind = %s", got)
			}
			if got := values(t, v, "ahead"); got != "a,b" {
				t.Errorf("ahead = %s", got)
			}
			wantDiv := map[OnConflict]string{ConflictNewVersion: "a,local,remote", ConflictSkip: "a,local"}[policy]
			if got := values(t, v, "diverged"); got != wantDiv {
				t.Errorf("diverged = %s, want %s", got, wantDiv)
			}
			if got := values(t, v, "trashed"); got != "a" {
				t.Errorf("trashed = %s", got)
			}
			s, err := v.Secret(ctx, "deleted-there")
			if err != nil || !s.InTrash() {
				t.Errorf("deleted secret imported as %+v %v", s, err)
			}
		})
	}
	t.Run("fail", func(t *testing.T) {
		v := setup(t)
		d := v.digest(t)
		rep, err := v.Import(ctx, SecretsOf(in), ImportOptions{OnConflict: ConflictFail})
		if !errors.Is(err, ErrConflict) || rep.Count(ActionConflict) != 2 {
			t.Fatalf("err %v, report %+v", err, rep)
		}
		if v.digest(t) != d {
			t.Error("a refused import changed the vault")
		}
	})
}

func TestImportRejectsBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v := newVault(t, DefaultSettings(), newClock())
	mustPut(t, v, "keep", "k", PutOptions{})
	d := v.digest(t)
	bad := map[string][]SecretData{
		"duplicate":    {data("a", "1"), data("a", "2")},
		"invalid name": {data("a", "1"), data("../x", "2")},
		"no versions":  {data("a")},
		"empty value":  {data("a", "")},
		"huge value":   {data("a", string(make([]byte, MaxValueLen+1)))},
		"bad tag":      {{Secret: Secret{Name: "a", Tags: map[string]string{"bad key": "v"}, Versions: []Version{{}}}, Values: [][]byte{[]byte("v")}}},
		"control ct":   {{Secret: Secret{Name: "a", Versions: []Version{{ContentType: "\x1b[31m"}}}, Values: [][]byte{[]byte("v")}}},
	}
	for name, in := range bad {
		if _, err := v.Import(ctx, SecretsOf(in), ImportOptions{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", name, err)
		}
	}
	if v.digest(t) != d {
		t.Error("a rejected import changed the vault")
	}
	ro := reopen(t, v, Options{ReadOnly: true})
	if _, err := ro.Import(ctx, SecretsOf([]SecretData{data("a", "1")}), ImportOptions{}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only import: %v", err)
	}
	if rep, err := ro.Import(ctx, SecretsOf([]SecretData{data("a", "1")}), ImportOptions{DryRun: true}); err != nil || rep.Count(ActionNew) != 1 {
		t.Errorf("read-only dry run: %+v %v", rep, err)
	}
}

func TestImportSettingsAndPruning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	set := DefaultSettings()
	set.PurgeProtection = true
	set.Retention = 7 * Day
	set.MaxVersions = 2
	v := newVault(t, set, newClock())
	mustPut(t, v, "s", "1", PutOptions{})
	mustPut(t, v, "s", "2", PutOptions{})
	imported := DefaultSettings()
	imported.Retention = 30 * Day
	imported.MaxVersions = 2
	_, err := v.Import(ctx, SecretsOf([]SecretData{data("s", "2", "3", "4"), data("n", "a", "b", "c")}), ImportOptions{Settings: &imported})
	if err != nil {
		t.Fatal(err)
	}
	got := v.currentSettings()
	if got.Retention != 30*Day || !got.PurgeProtection {
		t.Errorf("settings %+v: retention not restored or purge protection turned off", got)
	}
	if s := values(t, v, "s"); s != "3,4" {
		t.Errorf("s = %s, want the last 2 versions", s)
	}
	if s := values(t, v, "n"); s != "b,c" {
		t.Errorf("n = %s", s)
	}
	sec, _ := v.Secret(ctx, "s")
	if sec.Versions[0].Number != 3 || sec.Current().Number != 4 {
		t.Errorf("versions %+v", sec.Versions)
	}
	// The settings survive a reopen: they were written, not only cached.
	v = reopen(t, v, Options{})
	if v.currentSettings().Retention != 30*Day {
		t.Error("restored settings not stored")
	}
	// Under purge protection a restore cannot shorten the retention: that
	// would purge the trash early.
	unprotected := DefaultSettings()
	unprotected.Retention = 7 * Day
	if _, err := v.Import(ctx, SecretsOf(nil), ImportOptions{Settings: &unprotected}); err != nil {
		t.Fatal(err)
	}
	if got := v.currentSettings(); got.Retention != 30*Day || !got.PurgeProtection {
		t.Errorf("settings %+v after restoring 7d without protection; want 30d, protected", got)
	}
}

// TestImportCrash stops a journalled import where a crash could stop it
// and checks that the next writable open leaves all or nothing.
func TestImportCrash(t *testing.T) {
	t.Parallel()
	for _, step := range []string{"staged", "committed"} {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			limits := journalled()
			crash := false
			limits.crash = func(s string) bool { return crash && s == step }
			ctx := context.Background()
			v := newVaultWith(t, DefaultSettings(), newClock(), Options{limits: limits})
			mustPut(t, v, "existing", "a", PutOptions{})
			before := snapshot(t, v)
			crash = true
			in := []SecretData{data("existing", "a", "b"), data("new/one", "1"), data("new/two", "2", "3")}
			_, err := v.Import(ctx, SecretsOf(in), ImportOptions{})
			crash = false
			if !errors.Is(err, errSimulatedCrash) {
				t.Fatalf("err %v", err)
			}
			if len(v.rawKeys(t, kindJournal)) == 0 {
				t.Fatal("no journal left behind")
			}
			// A reader sees all of a committed import or none of it: it
			// has a writer finish a committed one first, and ignores the
			// chunks of one that never committed.
			ro := reopen(t, v, Options{ReadOnly: true})
			seen, err := ro.List(ctx, ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]int{"staged": 1, "committed": 3}[step]; len(seen) != want {
				t.Errorf("a reader after a crash sees %d secrets, want %d", len(seen), want)
			}
			v = reopen(t, ro, Options{})
			if n := len(v.rawKeys(t, kindJournal)) + len(v.rawKeys(t, kindJournalHead)); n != 0 {
				t.Errorf("%d journal records left after recovery", n)
			}
			after := snapshot(t, v)
			if step == "staged" {
				sameData(t, after[:1], before)
				if len(after) != 1 {
					t.Errorf("uncommitted import visible: %d secrets", len(after))
				}
				return
			}
			if len(after) != 3 || values(t, v, "existing") != "a,b" || values(t, v, "new/two") != "2,3" {
				t.Errorf("committed import not finished: %v", after)
			}
			if n := countEvents(t, v, "import"); n != 1 {
				t.Errorf("%d import events", n)
			}
		})
	}
}

func TestJournalOpsRoundTrip(t *testing.T) {
	t.Parallel()
	ops := []importOp{{key: []byte("k1"), val: []byte("v1")}, {del: true, key: []byte("k2")}}
	var b []byte
	for _, op := range ops {
		b = appendOp(b, op)
	}
	var got []importOp
	err := eachOp(b, func(op importOp) error { got = append(got, op); return nil })
	if err != nil || len(got) != 2 || !got[1].del || string(got[0].val) != "v1" {
		t.Fatalf("%+v %v", got, err)
	}
	if err := eachOp(b[:len(b)-1], func(importOp) error { return nil }); !errors.Is(err, ErrIntegrity) {
		t.Errorf("truncated chunk: %v", err)
	}
}
