package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"locket/vault"
)

// describe renders what an importer found, one line per secret or skip.
func describe(f *Found) string {
	var b strings.Builder
	for _, sd := range f.Secrets {
		v := sd.Versions[0]
		fmt.Fprintf(&b, "%s = %q", sd.Name, sd.Values[0])
		if v.ContentType != "" {
			fmt.Fprintf(&b, " ct=%s", v.ContentType)
		}
		if !v.Created.IsZero() {
			fmt.Fprintf(&b, " modified=%s", v.Created.Format(time.DateOnly))
		}
		if !sd.Created.IsZero() {
			fmt.Fprintf(&b, " created=%s", sd.Created.Format(time.DateOnly))
		}
		if len(sd.Tags) > 0 {
			fmt.Fprintf(&b, " tags=%v", sd.Tags)
		}
		b.WriteString("\n")
	}
	for _, s := range f.Skipped {
		fmt.Fprintf(&b, "skip %s: %s\n", s.Source, s.Reason)
	}
	for _, name := range slices.Sorted(maps.Keys(f.Renamed)) {
		fmt.Fprintf(&b, "renamed %s from %q\n", name, f.Renamed[name])
	}
	return b.String()
}

func TestImportDotenv(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/app.env")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	found, err := ImportDotenv(f, "myapp/dev/")
	if err != nil {
		t.Fatal(err)
	}
	want := `myapp/dev/DATABASE_URL = "postgres://app:pw@localhost:5432/app"
myapp/dev/SINGLE = "literal $HOME and \\n stay"
myapp/dev/DOUBLE = "line one\nline two\t\"quoted\" $NOT_EXPANDED"
myapp/dev/MULTI = "first\nsecond"
myapp/dev/HASH = "value#not-a-comment"
myapp/dev/API_KEY = "abc456"
skip line 3 (API_KEY): defined again on line 10; the last one is kept
skip line 4 (EMPTY): empty value
`
	if got := describe(found); got != want {
		t.Errorf("found:\n%s\nwant:\n%s", got, want)
	}
}

func TestParseDotenvErrors(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"JUST_A_WORD\n":         "line 1: expected KEY=VALUE",
		"A=1\n1BAD=x\n":         `line 2: "1BAD" is not a variable name`,
		"A=\"open\nstill\n":     "line 1: unterminated \" quote",
		"A=1\nB='x\n":           "line 2: unterminated ' quote",
		"A='x' trailing\n":      "line 1: unexpected text after the closing quote",
		"A=\xff\n":              "not UTF-8",
		"B=ok\nexport =nokey\n": `line 2: "" is not a variable name`,
	} {
		_, err := ParseDotenv(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

func TestExportDotenvRoundTrip(t *testing.T) {
	t.Parallel()
	secrets := []vault.SecretData{
		secret("app/db/password", "old", "p@ss word \"$HOME\"\n\ttab"),
		secret("app/plain", "simple-value_1"),
		secret("app/db-password", "clash"),
		secret("app/bin", "nul\x00byte"),
		secret("app/9lives", "cat"),
	}
	off := secret("app/off", "x")
	off.Enabled = false
	gone := secret("app/gone", "x")
	gone.Deleted = time.Now()
	secrets = append(secrets, off, gone)
	var buf bytes.Buffer
	n, skipped, err := ExportDotenv(&buf, secrets, "app/")
	if err != nil || n != 3 {
		t.Fatalf("wrote %d: %v", n, err)
	}
	wantOut := "db_password='p@ss word \"$HOME\"\n\ttab'\nplain=simple-value_1\n_9lives=cat\n"
	if buf.String() != wantOut {
		t.Errorf("wrote:\n%s\nwant:\n%s", buf.String(), wantOut)
	}
	if len(skipped) != 4 {
		t.Errorf("skipped %v", skipped)
	}
	found, err := ImportDotenv(&buf, "app2")
	if err != nil {
		t.Fatal(err)
	}
	if got := describe(found); !strings.Contains(got, `app2/db_password = "p@ss word \"$HOME\"\n\ttab"`) {
		t.Errorf("read back:\n%s", got)
	}
}

func TestImportKeePassXC(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/keepassxc.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	found, err := ImportKeePassXC(f, "kp")
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 700)
	want := `kp/GitHub = "gh-pass-1" modified=2025-11-02 created=2024-01-05 tags=map[url:https://github.com username:octo]
kp/GitHub/notes = "two-factor on" ct=text/plain modified=2025-11-02 created=2024-01-05
kp/GitHub/totp = "otpauth://totp/GitHub:octo?secret=JBSWY3DPEHPK3PXP&period=30&digits=6&issuer=GitHub" ct=otpauth modified=2025-11-02 created=2024-01-05
kp/Email/Work-Mail = "mail pass" modified=2026-01-15 created=2023-06-01 tags=map[url:https://mail.example.com username:ana@example.com]
kp/Email/Work-Mail-2 = "second" modified=2026-01-16 created=2023-06-01 tags=map[username:ana2@example.com]
kp/Servers/Prod/db-primary-ro = "p@ss, with \"quotes\"" modified=2026-02-01 created=2026-02-01 tags=map[username:dbadmin]
kp/Servers/Prod/db-primary-ro/notes = "root acct\nsecond line" ct=text/plain modified=2026-02-01 created=2026-02-01
kp/Unicode/__ = "dots" tags=map[username:x]
kp/Long-notes = "long-pw" modified=2026-02-01 created=2026-02-01
kp/Long-notes/notes = "` + long + `" ct=text/plain modified=2026-02-01 created=2026-02-01
skip line 7 (kp/No-Password): no password
renamed kp/Email/Work-Mail from "Email/Work Mail"
renamed kp/Email/Work-Mail-2 from "Email/Work Mail"
renamed kp/Long-notes from "Long notes"
renamed kp/Servers/Prod/db-primary-ro from "Servers/Prod/db: primary (ro)"
renamed kp/Unicode/__ from "Ünïcödé/.."
`
	if got := describe(found); got != want {
		t.Errorf("found:\n%s\nwant:\n%s", got, want)
	}
	for _, bad := range []string{"", "a,b\n1,2\n", "\"Title\",\"Password\"\n\"x\"\n", "\"Title\",\"Password\"\n\"x\n"} {
		if _, err := ImportKeePassXC(strings.NewReader(bad), ""); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// fakeGPG "decrypts" the plaintext fixtures, failing on broken.gpg as gpg
// fails on a file for a key it lacks.
func fakeGPG(ctx context.Context, path string) ([]byte, error) {
	if filepath.Base(path) == "broken.gpg" {
		return nil, errors.New("gpg: decryption failed: No secret key")
	}
	return os.ReadFile(path)
}

func TestImportPassWalk(t *testing.T) {
	t.Parallel()
	found, err := ImportPass(context.Background(), "testdata/pass-store", "pass/", fakeGPG)
	if err != nil {
		t.Fatal(err)
	}
	got := describe(found)
	// Times are the files' modification times; drop them to compare.
	got = regexpDates(got)
	want := `pass/email = "pass1" modified=D created=D
pass/web/My-Site = "pw2\nlogin: ana\nurl: https://example.com\n" modified=D created=D
skip broken: gpg: decryption failed: No secret key
renamed pass/web/My-Site from "web/My Site"
`
	if got != want {
		t.Errorf("found:\n%s\nwant:\n%s", got, want)
	}
	if _, err := ImportPass(context.Background(), "testdata/nothing-here", "", fakeGPG); err == nil {
		t.Error("missing store accepted")
	}
}

func regexpDates(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		for _, k := range []string{"modified=", "created="} {
			if i := strings.Index(line, k); i >= 0 {
				line = line[:i+len(k)] + "D" + line[i+len(k)+len(time.DateOnly):]
			}
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// TestImportPassGPG runs the real gpg on a throw-away key and store. It
// skips without gpg unless LOCKET_E2E=1 demands it (CI installs gnupg);
// TestImportPassWalk covers the walking and parsing without it.
func TestImportPassGPG(t *testing.T) {
	if _, err := exec.LookPath("gpg"); err != nil {
		if os.Getenv("LOCKET_E2E") == "1" {
			t.Fatal("gpg is not installed (Debian package gnupg) and LOCKET_E2E=1")
		}
		t.Skip("gpg is not installed")
	}
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(home)
	os.Chmod(home, 0o700)
	t.Setenv("GNUPGHOME", home)
	defer exec.Command("gpgconf", "--kill", "gpg-agent").Run()
	gpg := func(stdin string, args ...string) {
		t.Helper()
		c := exec.Command("gpg", append([]string{"--batch", "--quiet", "--yes"}, args...)...)
		c.Stdin = strings.NewReader(stdin)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("gpg %v: %v\n%s", args, err, out)
		}
	}
	gpg("", "--passphrase", "", "--quick-generate-key", "locket test <test@example.invalid>", "ed25519", "default", "never")
	gpg("", "--passphrase", "", "--quick-add-key", firstFingerprint(t), "cv25519", "encr", "never")
	store := t.TempDir()
	os.MkdirAll(filepath.Join(store, "mail"), 0o700)
	gpg("hunter2\n", "--encrypt", "--recipient", "test@example.invalid", "--trust-model", "always", "-o", filepath.Join(store, "mail", "work.gpg"))
	// A compression bomb: 64 MiB of zeros in a file of a few KiB.
	gpg(strings.Repeat("\x00", 64<<20), "--encrypt", "--recipient", "test@example.invalid", "--trust-model", "always", "-o", filepath.Join(store, "bomb.gpg"))
	// A link that could lead out of the store.
	if err := os.Symlink("work.gpg", filepath.Join(store, "mail", "link.gpg")); err != nil {
		t.Fatal(err)
	}
	found, err := ImportPass(context.Background(), store, "", GPGDecrypt)
	if err != nil {
		t.Fatal(err)
	}
	if len(found.Secrets) != 1 || found.Secrets[0].Name != "mail/work" || string(found.Secrets[0].Values[0]) != "hunter2" {
		t.Errorf("found %s", describe(found))
	}
	reasons := map[string]string{}
	for _, sk := range found.Skipped {
		reasons[sk.Source] = sk.Reason
	}
	if !strings.Contains(reasons["bomb"], "more than 64 KiB") {
		t.Errorf("the bomb: %q, want it cut off and reported", reasons["bomb"])
	}
	if !strings.Contains(reasons["mail/link.gpg"], "symbolic link") {
		t.Errorf("the link: %q, want it reported as not read (skipped: %+v)", reasons["mail/link.gpg"], found.Skipped)
	}
}

func firstFingerprint(t *testing.T) string {
	out, err := exec.Command("gpg", "--batch", "--with-colons", "--list-secret-keys").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Split(line, ":"); f[0] == "fpr" {
			return f[9]
		}
	}
	t.Fatal("no key generated")
	return ""
}

func TestNameFrom(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Web Sites/Ünïcode Bank": "p/Web-Sites/Unicode-Bank",
		"Ünïcödé/Café":           "p/Unicode/Cafe",
		"../..":                  "p/__/__",
		"a//b/":                  "p/a/b",
		"  spaced  ":             "p/spaced",
		"\x1b[31mred":            "p/31mred",
	} {
		if got, _ := nameFrom("p/", strings.Split(in, "/")...); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
}
