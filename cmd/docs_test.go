package cmd

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"unicode"

	"filippo.io/age"
	"github.com/rogpeppe/go-internal/testscript"

	"locket/internal/agent"
)

// The manual's pages, relative to the repository root. The generated
// reference (docs/cli, docs/man) is checked by TestGeneratedDocs.
func docPages(t *testing.T) []string {
	t.Helper()
	pages := []string{"README.md"}
	err := filepath.WalkDir(filepath.Join("..", "docs"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, _ := filepath.Rel("..", p)
			pages = append(pages, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

func generatedPage(page string) bool {
	return strings.HasPrefix(page, "docs/cli/locket") || strings.HasPrefix(page, "docs/man/")
}

// docBlock is one fenced code block of a page.
type docBlock struct {
	line     int    // line of the opening fence, 1-based
	lang     string // the fence's info string
	body     string
	notRun   bool     // preceded by <!-- not run: why -->
	requires []string // preceded by <!-- requires: tool... -->
}

var fenceRE = regexp.MustCompile("^\\s*(```+)\\s*([^`\\s]*)")

// parseDoc reads a page's fenced blocks and its <!-- setup: ... --> lines.
func parseDoc(text string) (blocks []docBlock, setup string) {
	lines := strings.Split(text, "\n")
	var marker string // the last HTML comment line before a fence
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		trim := strings.TrimSpace(l)
		if strings.HasPrefix(trim, "<!-- setup:") {
			for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "-->"; i++ {
				setup += lines[i] + "\n"
			}
			continue
		}
		if strings.HasPrefix(trim, "<!--") {
			marker = trim
			continue
		}
		m := fenceRE.FindStringSubmatch(l)
		if m == nil {
			if trim != "" {
				marker = ""
			}
			continue
		}
		indent := len(l) - len(strings.TrimLeft(l, " "))
		b := docBlock{line: i + 1, lang: m[2]}
		switch {
		case strings.HasPrefix(marker, "<!-- not run"):
			b.notRun = true
		case strings.HasPrefix(marker, "<!-- requires:"):
			b.requires = strings.Fields(strings.TrimSuffix(strings.TrimPrefix(marker, "<!-- requires:"), "-->"))
		}
		marker = ""
		var body []string
		for i++; i < len(lines); i++ {
			if strings.HasPrefix(strings.TrimSpace(lines[i]), m[1]) {
				break
			}
			body = append(body, strings.TrimPrefix(lines[i], strings.Repeat(" ", indent)))
		}
		b.body = strings.Join(body, "\n") + "\n"
		blocks = append(blocks, b)
	}
	return blocks, setup
}

// docPrelude runs before every block: init uses the minimum KDF, so that
// the examples run in seconds, and then unlocks the page's vault in an
// agent, as a reader's first command after init does on a terminal
// (docs/agent.md): the page's later commands use that agent instead of
// each running the KDF. A vault made elsewhere (--vault) is left alone.
const docPrelude = `locket() {
	if [ "${1-}" = init ]; then
		shift
		command locket init "$@" --kdf-memory 64MiB || return
		case " $* " in
		*" --vault"*) ;;
		*) command locket unlock >/dev/null ;;
		esac
	else
		command locket "$@"
	fi
}
`

// consoleScript turns a transcript into a script: its "$ " lines run, their
// output is not compared, and only a command that is not found or misused
// (exit 127 or 2) fails.
func consoleScript(body string) string {
	var b strings.Builder
	for _, l := range strings.Split(body, "\n") {
		cmd, ok := strings.CutPrefix(l, "$ ")
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "set +e\n%s\nrc=$?\nset -e\n", cmd)
		fmt.Fprintf(&b, "case $rc in 2|127) echo %q exited $rc >&2; exit 1;; esac\n", cmd)
	}
	return b.String()
}

// TestDocs runs every shell example in README.md and docs/: see "The
// examples in the docs" in docs/architecture.md for the conventions.
func TestDocs(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is needed to run the examples")
	}
	dir := t.TempDir()
	e2e := os.Getenv("LOCKET_E2E") == "1"
	var notRun []string
	for _, page := range docPages(t) {
		if generatedPage(page) {
			continue
		}
		text, err := os.ReadFile(filepath.Join("..", page))
		if err != nil {
			t.Fatal(err)
		}
		blocks, setup := parseDoc(string(text))
		var script, files strings.Builder
		n := 0
		add := func(where, body string) {
			n++
			name := fmt.Sprintf(".docs/%d.sh", n)
			fmt.Fprintf(&script, "# %s\nexec bash -e %s\n", where, name)
			fmt.Fprintf(&files, "-- %s --\n%s%s", name, docPrelude, body)
		}
		if setup != "" {
			add(page+": setup", setup)
		}
		for _, b := range blocks {
			where := fmt.Sprintf("%s:%d", page, b.line)
			var body string
			switch b.lang {
			case "sh", "bash", "shell":
				body = b.body
			case "console":
				body = consoleScript(b.body)
			default:
				continue
			}
			if b.notRun {
				notRun = append(notRun, where)
				continue
			}
			for _, tool := range unmarkedTools(body, b.requires) {
				t.Errorf("%s runs %s without <!-- requires: %s --> before it: it fails where %s is not installed", where, tool, tool, tool)
			}
			if missing := missingTools(b.requires); len(missing) > 0 {
				if e2e {
					t.Errorf("%s needs %s (LOCKET_E2E=1)", where, strings.Join(missing, ", "))
				} else {
					t.Logf("%s skipped: %s not installed", where, strings.Join(missing, ", "))
				}
				continue
			}
			add(where, body)
		}
		if n == 0 {
			continue
		}
		name := strings.NewReplacer("/", "_", ".md", "").Replace(page) + ".txtar"
		err = os.WriteFile(filepath.Join(dir, name), []byte(script.String()+files.String()), 0o600)
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("not run (marked <!-- not run -->): %s", strings.Join(notRun, ", "))
	testscript.Run(t, testscript.Params{
		Dir: dir,
		Setup: func(e *testscript.Env) error {
			if err := setupScript(e); err != nil {
				return err
			}
			// The page's vault is unlocked in an agent after init (see
			// docPrelude), as the README's unlock does: commands must use
			// it. The page's agents listen in a short directory of its own
			// (a socket path has at most 107 bytes), and every one found
			// there is stopped when the page is done, whatever its vault.
			e.Setenv("LOCKET_AGENT", "")
			runtime, err := os.MkdirTemp("", "lkdoc")
			if err != nil {
				return err
			}
			e.Setenv("XDG_RUNTIME_DIR", runtime)
			e.Defer(func() { os.RemoveAll(runtime) })
			e.Defer(func() {
				socks, _ := filepath.Glob(filepath.Join(runtime, "locket", "*.sock"))
				for _, sock := range socks {
					cmd := exec.Command("locket", "agent", "stop")
					cmd.Env = append(slices.Clone(e.Vars), agent.SocketEnv+"="+sock)
					cmd.Run()
				}
			})
			pass := filepath.Join(e.WorkDir, "backup-pass")
			e.Setenv("LOCKET_BACKUP_PASSPHRASE_FILE", pass)
			return os.WriteFile(pass, []byte("a backup passphrase for the docs\n"), 0o600)
		},
	})
}

// optionalTools are the programs an example may run that a fresh machine
// may lack (CI installs them): a block that runs one must say so with a
// requires marker, so that it skips instead of failing there.
var optionalTools = []string{"age", "gpg", "jq", "tmux", "xclip", "Xvfb", "curl"}

// shellComment is a comment in a shell example: from # at the start of a
// line or after a space to the end of the line.
var shellComment = regexp.MustCompile(`(?m)(^|\s)#.*$`)

// unmarkedTools are the optional tools body runs as a command that
// requires does not name. Comments do not count ("# to age keys").
func unmarkedTools(body string, requires []string) []string {
	body = shellComment.ReplaceAllString(body, "")
	var out []string
	for _, tool := range optionalTools {
		re := regexp.MustCompile(`(?m)(^|[\s|;&(` + "`" + `]|\$\()` + regexp.QuoteMeta(tool) + `(\s|$)`)
		if re.MatchString(body) && !slices.Contains(requires, tool) {
			out = append(out, tool)
		}
	}
	return out
}

func missingTools(tools []string) []string {
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	return missing
}

// ageKeygen stands in for age-keygen in the examples: it runs the real
// age-keygen when one is installed, else -o FILE writes a new identity and
// -y FILE prints its recipient.
func ageKeygen() int {
	if real := realTool("age-keygen"); real != "" {
		err := syscall.Exec(real, append([]string{real}, os.Args[1:]...), os.Environ())
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	args := os.Args[1:]
	if len(args) != 2 || (args[0] != "-o" && args[0] != "-y") {
		fmt.Fprintln(os.Stderr, "usage: age-keygen -o FILE | -y FILE (the test stand-in)")
		return 1
	}
	if args[0] == "-y" {
		f, err := os.Open(args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer f.Close()
		ids, err := age.ParseIdentities(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(ids[0].(*age.X25519Identity).Recipient())
		return 0
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	text := fmt.Sprintf("# public key: %s\n%s\n", id.Recipient(), id)
	if err := os.WriteFile(args[1], []byte(text), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "Public key: %s\n", id.Recipient())
	return 0
}

// docCommands adds the stand-ins the examples need to the commands the
// test binary can act as; a real tool on PATH is always preferred.
func docCommands(cmds map[string]func()) {
	cmds["age-keygen"] = func() { os.Exit(ageKeygen()) }
}

// realTool finds name on PATH, passing over this test binary (which
// testscript puts on PATH under the names of its commands).
func realTool(name string) string {
	self, err := os.Stat("/proc/self/exe")
	if err != nil {
		return ""
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 || os.SameFile(fi, self) {
			continue
		}
		return p
	}
	return ""
}

var linkRE = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestDocLinks checks that every relative link in README.md and docs/
// points at a file that exists and, with a #fragment, at a heading of it,
// and that every page can be reached from README.md by following links.
func TestDocLinks(t *testing.T) {
	t.Parallel()
	links := map[string][]string{} // page -> pages it links to, repository-relative
	anchors := map[string][]string{}
	headings := func(path string) []string {
		if a, ok := anchors[path]; ok {
			return a
		}
		a := headingAnchors(t, path)
		anchors[path] = a
		return a
	}
	for _, page := range docPages(t) {
		src := filepath.Join("..", page)
		for _, l := range proseLines(t, src) {
			for _, m := range linkRE.FindAllStringSubmatch(l.text, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				file, frag, _ := strings.Cut(target, "#")
				path := src
				if file != "" {
					path = filepath.Join(filepath.Dir(src), file)
				}
				where := fmt.Sprintf("%s:%d", page, l.n)
				if _, err := os.Stat(path); err != nil {
					t.Errorf("%s: link %s: no such file", where, target)
					continue
				}
				if frag != "" && strings.HasSuffix(path, ".md") && !slices.Contains(headings(path), frag) {
					t.Errorf("%s: link %s: no heading #%s in %s", where, target, frag, file)
				}
				if rel, err := filepath.Rel("..", path); err == nil {
					links[page] = append(links[page], filepath.ToSlash(rel))
				}
			}
		}
	}
	reached := map[string]bool{"README.md": true}
	for queue := []string{"README.md"}; len(queue) > 0; queue = queue[1:] {
		for _, to := range links[queue[0]] {
			if !reached[to] {
				reached[to] = true
				queue = append(queue, to)
			}
		}
	}
	for _, page := range docPages(t) {
		if !reached[page] {
			t.Errorf("%s cannot be reached from README.md", page)
		}
	}
}

// TestDocsSelfContained checks that the hand-written pages refer to no
// document outside the repository, and that every test security.md names
// exists.
func TestDocsSelfContained(t *testing.T) {
	t.Parallel()
	outside := regexp.MustCompile(`(^|[^=\[])\bSPEC\b|DESIGN\.md|(?i)\bissues? #?[0-9]+`)
	for _, page := range docPages(t) {
		if generatedPage(page) {
			continue
		}
		for _, l := range allLines(t, filepath.Join("..", page)) {
			if m := outside.FindString(l.text); m != "" {
				t.Errorf("%s:%d refers to something outside the repository: %q", page, l.n, strings.TrimSpace(m))
			}
		}
	}
	tests := map[string]bool{}
	err := filepath.WalkDir("..", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && p != ".." {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, "_test.go") {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, m := range regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Benchmark)\w+)\(`).FindAllStringSubmatch(string(b), -1) {
				tests[m[1]] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile("`((?:Test|Fuzz|Benchmark)[A-Z]\\w*)`")
	for _, l := range allLines(t, filepath.Join("..", "docs", "security.md")) {
		for _, m := range named.FindAllStringSubmatch(l.text, -1) {
			if !tests[m[1]] {
				t.Errorf("docs/security.md:%d names %s, which is no test", l.n, m[1])
			}
		}
	}
}

type numberedLine struct {
	n         int
	text, raw string
}

func allLines(t *testing.T, path string) []numberedLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []numberedLine
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for n := 1; s.Scan(); n++ {
		out = append(out, numberedLine{n, s.Text(), s.Text()})
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// proseLines are a page's lines outside fenced code blocks, with inline
// code removed.
func proseLines(t *testing.T, path string) []numberedLine {
	var out []numberedLine
	fence := ""
	for _, l := range allLines(t, path) {
		if m := fenceRE.FindStringSubmatch(l.text); m != nil {
			switch {
			case fence == "":
				fence = m[1]
				continue
			case strings.HasPrefix(strings.TrimSpace(l.text), fence):
				fence = ""
				continue
			}
		}
		if fence != "" {
			continue
		}
		out = append(out, numberedLine{l.n, stripInlineCode(l.text), l.text})
	}
	return out
}

var inlineCodeRE = regexp.MustCompile("`+[^`]*`+")

func stripInlineCode(s string) string { return inlineCodeRE.ReplaceAllString(s, "") }

// headingAnchors lists the anchors GitHub makes for a page's headings:
// lower case, punctuation dropped, spaces as hyphens, -1, -2 for repeats.
func headingAnchors(t *testing.T, path string) []string {
	var out []string
	seen := map[string]int{}
	for _, l := range proseLines(t, path) {
		if !strings.HasPrefix(l.raw, "#") {
			continue
		}
		text := strings.TrimLeft(l.raw, "#")
		if !strings.HasPrefix(text, " ") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(text)) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		a := b.String()
		if k := seen[a]; k > 0 {
			out = append(out, fmt.Sprintf("%s-%d", a, k))
		} else {
			out = append(out, a)
		}
		seen[a]++
	}
	return out
}

// TestUnmarkedTools: an example that runs an optional tool without a
// requires marker naming it is found, wherever the tool sits in a line.
func TestUnmarkedTools(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		body     string
		requires []string
		want     []string
	}{
		{"locket check --json | jq -r '.[]'\n", nil, []string{"jq"}},
		{"locket check --json | jq -r '.[]'\n", []string{"jq"}, nil},
		{"x=$(jq .a f)\nage -d -i key backup.age > out\n", []string{"jq"}, []string{"age"}},
		{"locket backup export f --recipient age1xyz\nage-keygen -o key\n", nil, nil},
		{"echo fine\n", nil, nil},
		{"# To age or SSH keys:\nlocket backup export f # then jq it\n", nil, nil},
	} {
		if got := unmarkedTools(c.body, c.requires); !slices.Equal(got, c.want) {
			t.Errorf("unmarkedTools(%q, %q) = %q, want %q", c.body, c.requires, got, c.want)
		}
	}
}
