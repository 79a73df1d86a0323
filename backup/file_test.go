package backup

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"locket/vault"
)

func TestWriteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "b.age")
	write := func(s string, fail error) error {
		return WriteFile(path, func(w io.Writer) error {
			if _, err := io.WriteString(w, s); err != nil {
				return err
			}
			return fail
		})
	}
	if err := write("first", nil); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	boom := errors.New("boom")
	if err := write("half of the second", boom); !errors.Is(err, boom) {
		t.Fatalf("a failing writer: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Errorf("a failed write left %q, want the first file untouched", b)
	}
	if err := write("second", nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "second" {
		t.Errorf("file holds %q after the second write", b)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "b.age"), func(io.Writer) error { return nil }); err == nil {
		t.Error("a write into a missing directory succeeded")
	}
}

func TestReadRecipientsFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	x1, _ := age.GenerateX25519Identity()
	x2, _ := age.GenerateX25519Identity()
	good := filepath.Join(dir, "team.recipients")
	content := "# the team\n" + x1.Recipient().String() + "\n\n  " + x2.Recipient().String() + "  \n"
	if err := os.WriteFile(good, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	rs, err := ReadRecipientsFile(good)
	if err != nil || len(rs) != 2 {
		t.Fatalf("read %d recipients, %v; want 2", len(rs), err)
	}
	bad := filepath.Join(dir, "bad.recipients")
	if err := os.WriteFile(bad, []byte("# ok\nage1nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRecipientsFile(bad); err == nil || err.Error() != "recipients file "+bad+": line 2: not an age public key (age1...) or SSH public key" {
		t.Errorf("bad line: %v", err)
	}
	if _, err := ReadRecipientsFile(filepath.Join(dir, "none")); !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "recipients file: ") {
		t.Errorf("missing file: %v", err)
	}
}

func TestReadIdentityFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	x, _ := age.GenerateX25519Identity()
	good := filepath.Join(dir, "key.txt")
	if err := os.WriteFile(good, []byte("# created: now\n"+x.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ids, err := ReadIdentityFile(good, nil)
	if err != nil || len(ids) != 1 || ids[0].(*age.X25519Identity).String() != x.String() {
		t.Fatalf("read %v, %v", ids, err)
	}
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadIdentityFile(bad, nil); err == nil || !strings.HasPrefix(err.Error(), bad+": identity file: ") {
		t.Errorf("bad file: %v", err)
	}
	if _, err := ReadIdentityFile(filepath.Join(dir, "none"), nil); !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "identity: ") {
		t.Errorf("missing file: %v", err)
	}
}

func TestNotes(t *testing.T) {
	t.Parallel()
	if got := ExportNote("/home/a/backups/b.age"); got != "backup to b.age" {
		t.Errorf("ExportNote: %q", got)
	}
	b := &Backup{}
	if got := b.ImportNote("/tmp/b.age"); got != "backup b.age" {
		t.Errorf("ImportNote without a source vault: %q", got)
	}
	b.SourceVault = "0123abcd"
	if got := b.ImportNote("b.age"); got != "backup b.age of vault 0123abcd" {
		t.Errorf("ImportNote: %q", got)
	}
}

func TestPlanCounts(t *testing.T) {
	t.Parallel()
	r := vault.ImportReport{Items: []vault.ImportItem{
		{Name: "a", Action: vault.ActionNew}, {Name: "b", Action: vault.ActionNew},
		{Name: "c", Action: vault.ActionNewVersions},
		{Name: "d", Action: vault.ActionIdentical}, {Name: "e", Action: vault.ActionIdentical}, {Name: "f", Action: vault.ActionIdentical},
		{Name: "g", Action: vault.ActionConflict},
		{Name: "h", Action: vault.ActionSkipped},
	}}
	if got, want := PlanCounts(r, 0), "2 new, 1 with new versions, 3 identical, 1 conflicting, 1 skipped"; got != want {
		t.Errorf("PlanCounts = %q, want %q", got, want)
	}
	if got, want := PlanCounts(r, 4), "2 new, 1 with new versions, 3 identical, 1 conflicting, 5 skipped"; got != want {
		t.Errorf("PlanCounts with 4 not read = %q, want %q", got, want)
	}
}

func TestWipe(t *testing.T) {
	t.Parallel()
	b := &Backup{Secrets: []vault.SecretData{secret("a", "one", "two"), secret("b", "three")}}
	b.Wipe()
	for _, sd := range b.Secrets {
		for _, v := range sd.Values {
			if strings.Trim(string(v), "\x00") != "" {
				t.Errorf("%s: value %q survived Wipe", sd.Name, v)
			}
		}
	}
}
