package cmd

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// regenerate is what to run when TestGeneratedDocs fails.
const regenerate = "go generate ./... (or: go run . gendocs --markdown docs/cli --man docs/man)"

// TestGeneratedDocs fails when docs/cli or docs/man differ from what the
// commands generate now: a command or flag changed without the reference.
func TestGeneratedDocs(t *testing.T) {
	a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, now: time.Now}
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
