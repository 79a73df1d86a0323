//go:build unix

package cmd

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// The reference in docs/cli and docs/man is generated from the commands by
// this test with -update-docs (go generate runs it). The generator lives in
// a test so that cobra/doc and its Markdown and YAML packages, whose init
// costs every process milliseconds, stay out of the locket binary.
//go:generate go test -run ^TestGeneratedDocs$ -update-docs .

var updateDocs = flag.Bool("update-docs", false, "write docs/cli and docs/man instead of comparing them")

// regenerate is what to run when TestGeneratedDocs fails.
const regenerate = "go generate ./cmd (or: go test ./cmd -run TestGeneratedDocs -update-docs)"

// TestGeneratedDocs fails when docs/cli or docs/man differ from what the
// commands generate now: a command or flag changed without the reference.
func TestGeneratedDocs(t *testing.T) {
	t.Parallel()
	a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, now: func() time.Time { return scriptNow }}
	if *updateDocs {
		if err := genDocsAt(a.docRoot(), filepath.Join("..", "docs", "cli"), filepath.Join("..", "docs", "man"), manDateOf(t.Context())); err != nil {
			t.Fatal(err)
		}
		return
	}
	dir := t.TempDir()
	md, man := filepath.Join(dir, "cli"), filepath.Join(dir, "man")
	// The pages carry the date of the commit that generated them; compare
	// with that date, so that only a changed command makes them stale.
	date, err := committedManDate(filepath.Join("..", "docs", "man", "locket.1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := genDocsAt(a.docRoot(), md, man, date); err != nil {
		t.Fatal(err)
	}
	compareGenerated(t, md, filepath.Join("..", "docs", "cli"), "locket*.md")
	compareGenerated(t, man, filepath.Join("..", "docs", "man"), "locket*.1")
}

// TestManSections: every man page has EXIT STATUS, the main one also
// ENVIRONMENT and FILES, and no page carries the old fixed date.
func TestManSections(t *testing.T) {
	t.Parallel()
	pages, err := filepath.Glob(filepath.Join("..", "docs", "man", "locket*.1"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("no man pages: %v", err)
	}
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		page := string(b)
		want := []string{".SH EXIT STATUS", "\\fB3\\fP"}
		if filepath.Base(p) == "locket.1" {
			want = append(want, ".SH ENVIRONMENT", "LOCKET_PASSPHRASE_FILE", ".SH FILES", "XDG_RUNTIME_DIR")
		}
		for _, w := range want {
			if !strings.Contains(page, w) {
				t.Errorf("%s lacks %q", filepath.Base(p), w)
			}
		}
		if strings.Contains(page, `"Jan 2026"`) {
			t.Errorf("%s still has the fixed date Jan 2026", filepath.Base(p))
		}
	}
	if d := manDateOf(t.Context()); d.IsZero() {
		t.Error("no date for new man pages")
	}
}

func compareGenerated(t *testing.T, fresh, committed, pattern string) {
	t.Helper()
	names := func(dir string) []string {
		paths, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		slices.Sort(out)
		return out
	}
	want, have := names(fresh), names(committed)
	if len(want) == 0 {
		t.Fatalf("nothing generated into %s", fresh)
	}
	rel := strings.TrimPrefix(filepath.ToSlash(committed), "../")
	for _, n := range want {
		if !slices.Contains(have, n) {
			t.Errorf("%s/%s is missing: run %s", rel, n, regenerate)
			continue
		}
		w, err := os.ReadFile(filepath.Join(fresh, n))
		if err != nil {
			t.Fatal(err)
		}
		h, err := os.ReadFile(filepath.Join(committed, n))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(w, h) {
			t.Errorf("%s/%s is stale: run %s", rel, n, regenerate)
		}
	}
	for _, n := range have {
		if !slices.Contains(want, n) {
			t.Errorf("%s/%s describes no command: run %s", rel, n, regenerate)
		}
	}
}

// manDateOf is the date new man pages carry: that of the commit they are
// generated at (git log -1 --format=%cs), else the VCS time the binary was
// built with, else today. A fixed date would claim pages never change.
func manDateOf(ctx context.Context) time.Time {
	if out, err := exec.CommandContext(ctx, "git", "log", "-1", "--format=%cs").Output(); err == nil {
		if d, err := time.Parse(time.DateOnly, strings.TrimSpace(string(out))); err == nil {
			return d
		}
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.time" {
				if d, err := time.Parse(time.RFC3339, s.Value); err == nil {
					return d.UTC()
				}
			}
		}
	}
	return time.Now().UTC()
}

// committedManDate reads the date of the committed page path, as cobra
// wrote it into .TH ("Dec 2026").
func committedManDate(path string) (time.Time, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Split(l, `"`); strings.HasPrefix(l, ".TH ") && len(f) > 5 {
			return time.Parse("Jan 2006", f[5])
		}
	}
	return time.Time{}, fmt.Errorf("%s has no .TH date", path)
}

// docRoot builds the command tree the reference describes: the real one,
// plus cobra's completion command, which is hidden from the command list
// but documented.
func (a *app) docRoot() *cobra.Command {
	root := a.rootCommand()
	root.CompletionOptions.HiddenDefaultCmd = false
	root.InitDefaultCompletionCmd()
	var quiet func(c *cobra.Command)
	quiet = func(c *cobra.Command) {
		c.DisableAutoGenTag = true
		for _, sub := range c.Commands() {
			quiet(sub)
		}
	}
	quiet(root)
	return root
}

// genDocs writes the reference of root into the directories that are not
// empty strings. It first removes the files an earlier run wrote there
// (locket*.md, locket*.1), so that a removed command loses its page.
func genDocsAt(root *cobra.Command, markdown, man string, date time.Time) error {
	if markdown != "" {
		if err := clearGenerated(markdown, "locket*.md"); err != nil {
			return err
		}
		if err := doc.GenMarkdownTree(root, markdown); err != nil {
			return fmt.Errorf("markdown reference: %w", err)
		}
	}
	if man != "" {
		if err := clearGenerated(man, "locket*.1"); err != nil {
			return err
		}
		header := &doc.GenManHeader{Section: "1", Date: &date, Source: "locket", Manual: "locket manual"}
		if err := doc.GenManTree(root, header, man); err != nil {
			return fmt.Errorf("man pages: %w", err)
		}
		if err := addManSections(man); err != nil {
			return fmt.Errorf("man pages: %w", err)
		}
	}
	return nil
}

func clearGenerated(dir, pattern string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	return nil
}

// manExit, manEnv and manFiles are the sections cobra does not write:
// what scripts test, what configures locket, and where it keeps things.
const manExit = `.SH EXIT STATUS
.TP
\fB0\fP
success
.TP
\fB1\fP
an error (integrity, I/O, a full disk)
.TP
\fB2\fP
a usage error
.TP
\fB3\fP
no such secret
.TP
\fB4\fP
the vault cannot be unlocked (wrong passphrase, none supplied, the agent locked)
.TP
\fB5\fP
the vault is busy: another process holds it
.TP
\fB6\fP
refused by policy (purge protection, a disabled secret, a name in the trash)
.TP
\fB7\fP
denied by the agent's access rules
.TP
\fB10\fP
check found secrets that need attention

`

const manEnv = `.SH ENVIRONMENT
.TP
\fBLOCKET_VAULT\fP
the vault directory, as --vault
.TP
\fBLOCKET_PASSPHRASE_FILE\fP, \fBLOCKET_PASSPHRASE_COMMAND\fP, \fBLOCKET_PASSPHRASE\fP
where the vault passphrase comes from, in this order after --passphrase-file and before the terminal
.TP
\fBLOCKET_BACKUP_PASSPHRASE_FILE\fP
the backup passphrase, as --backup-passphrase-file
.TP
\fBLOCKET_AGENT\fP
off keeps every command direct, as --no-agent
.TP
\fBLOCKET_AGENT_SOCK\fP
the agent's socket instead of the one named after the vault
.TP
\fBLOCKET_CLIP_TIME\fP
how long a copied value stays on the clipboard (default 20s)
.TP
\fBLOCKET_DEBUG\fP, \fBLOCKET_LOG\fP
the store's diagnostics on stderr; the TUI's log file
.TP
\fBNO_COLOR\fP
no colour; status words carry the meaning

.SH FILES
.TP
\fB$XDG_DATA_HOME/locket/vault\fP
the default vault (~/.local/share/locket/vault)
.TP
\fB$XDG_RUNTIME_DIR/locket/\fP
the agents' sockets
.TP
\fB$XDG_STATE_HOME/locket/\fP
the highest state seen of each vault, which catches a rollback

`

// addManSections puts EXIT STATUS in every page of dir, and ENVIRONMENT
// and FILES in locket.1, before SEE ALSO as man-pages(7) orders them.
func addManSections(dir string) error {
	pages, err := filepath.Glob(filepath.Join(dir, "locket*.1"))
	if err != nil {
		return err
	}
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		extra := manExit
		if filepath.Base(p) == "locket.1" {
			extra = manEnv + manExit
		}
		page := string(b)
		if i := strings.Index(page, ".SH SEE ALSO"); i >= 0 {
			page = page[:i] + extra + page[i:]
		} else {
			page += "\n" + extra
		}
		if err := os.WriteFile(p, []byte(page), 0o644); err != nil {
			return err
		}
	}
	return nil
}
