package backup

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"locket/internal/e2e"
)

// TestImportKeePassXCCLI imports a database made by the real keepassxc-cli
// (db-create, mkdir, add with notes, export -f csv): its root group is
// "Passwords", not the "Root" of the GUI's exports, and a group with
// accents, multi-line notes and notes longer than a tag come out whole.
func TestImportKeePassXCCLI(t *testing.T) {
	e2e.NeedTools(t, "keepassxc-cli")
	t.Parallel()
	db := filepath.Join(t.TempDir(), "test.kdbx")
	kp := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("keepassxc-cli", args...)
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("keepassxc-cli %s: %v: %s", strings.Join(args, " "), err, errb.String())
		}
		return out.String()
	}
	// The lowest decryption time keepassxc-cli allows (100 ms) keeps
	// each call short.
	kp("pw\npw\n", "db-create", "-q", "-p", "-t", "100", db)
	kp("pw\n", "mkdir", "-q", db, "Ünïcödé")
	kp("pw\n", "mkdir", "-q", db, "Servers")
	kp("pw\n", "mkdir", "-q", db, "Servers/Prod")
	kp("pw\ngh-pass\n", "add", "-q", "-u", "octo", "--url", "https://github.com", "--notes", "two-factor on", "-p", db, "GitHub")
	kp("pw\nroot-pw\n", "add", "-q", "-u", "root", "--notes", "root acct\nsecond line", "-p", db, "Servers/Prod/db: primary")
	kp("pw\ncafe-pw\n", "add", "-q", "-p", db, "Ünïcödé/Café")
	long := strings.Repeat("n", 700)
	kp("pw\nlong-pw\n", "add", "-q", "--notes", long, "-p", db, "Long notes")
	csv := kp("pw\n", "export", "-q", "-f", "csv", db)

	found, err := ImportKeePassXC(strings.NewReader(csv), "kp")
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	for _, sd := range found.Secrets {
		values[sd.Name] = string(sd.Values[0])
		for k, v := range sd.Tags {
			if k == "notes" || strings.Contains(v, "\n") {
				t.Errorf("%s has tag %s=%q: notes belong in their own secret", sd.Name, k, v)
			}
		}
	}
	want := map[string]string{
		"kp/GitHub":                        "gh-pass",
		"kp/GitHub/notes":                  "two-factor on",
		"kp/Servers/Prod/db-primary":       "root-pw",
		"kp/Servers/Prod/db-primary/notes": "root acct\nsecond line",
		"kp/Unicode/Cafe":                  "cafe-pw",
		"kp/Long-notes":                    "long-pw",
		"kp/Long-notes/notes":              long,
	}
	for name, v := range want {
		if values[name] != v {
			t.Errorf("%s = %q, want %q", name, values[name], v)
		}
	}
	if len(values) != len(want) {
		t.Errorf("imported %v, want %d secrets", values, len(want))
	}
	if len(found.Skipped) != 0 {
		t.Errorf("skipped %v", found.Skipped)
	}
	if got := found.Renamed["kp/Unicode/Cafe"]; got != "Ünïcödé/Café" {
		t.Errorf("rename of kp/Unicode/Cafe recorded as %q", got)
	}
}
