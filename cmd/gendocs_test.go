package cmd

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
		if err := genDocs(a.docRoot(), filepath.Join("..", "docs", "cli"), filepath.Join("..", "docs", "man")); err != nil {
			t.Fatal(err)
		}
		return
	}
	dir := t.TempDir()
	md, man := filepath.Join(dir, "cli"), filepath.Join(dir, "man")
	if err := genDocs(a.docRoot(), md, man); err != nil {
		t.Fatal(err)
	}
	compareGenerated(t, md, filepath.Join("..", "docs", "cli"), "locket*.md")
	compareGenerated(t, man, filepath.Join("..", "docs", "man"), "locket*.1")
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

// manDate is the date in every man page's header. It is fixed so that the
// output changes only when a command does.
var manDate = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

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
func genDocs(root *cobra.Command, markdown, man string) error {
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
		date := manDate
		header := &doc.GenManHeader{Section: "1", Date: &date, Source: "locket", Manual: "locket manual"}
		if err := doc.GenManTree(root, header, man); err != nil {
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
