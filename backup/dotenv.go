package backup

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"locket/vault"
)

var errUnterminated = errors.New("unterminated")

// maxDotenv bounds a .env file; far above any real one.
const maxDotenv = 16 << 20

// DotenvError is a syntax error on a line of a .env file. Callers that
// know the file's name print it as NAME:LINE: Err.
type DotenvError struct {
	Line int
	Err  error
}

func (e *DotenvError) Error() string { return fmt.Sprintf(".env line %d: %v", e.Line, e.Err) }
func (e *DotenvError) Unwrap() error { return e.Err }

// DotenvEntry is one KEY=VALUE of a .env file.
type DotenvEntry struct {
	Key, Value string
	Line       int
}

// ParseDotenv reads a .env file the way docker compose and the dotenv
// libraries do: KEY=VALUE lines, an optional "export " before the key,
// blank lines and # comments. A value is unquoted (ends at the line or at
// " #"), 'single-quoted' (literal) or "double-quoted" (\n \r \t \" \\ \$ \`
// escapes). Quoted values may span lines. There is no variable expansion:
// a secret's value is taken as written.
func ParseDotenv(r io.Reader) ([]DotenvEntry, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxDotenv+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxDotenv {
		return nil, fmt.Errorf(".env file is larger than %d MiB", maxDotenv>>20)
	}
	if !utf8.Valid(b) {
		return nil, errors.New(".env file is not UTF-8 text")
	}
	p := &envParser{s: strings.ReplaceAll(string(b), "\r\n", "\n"), line: 1}
	var out []DotenvEntry
	for p.pos < len(p.s) {
		start := p.line
		e, ok, err := p.entry()
		if err != nil {
			// An unterminated quote ran to the end of the file: the line
			// it opened on is the one to fix.
			line := p.line
			if errors.Is(err, errUnterminated) {
				line = start
			}
			return nil, &DotenvError{Line: line, Err: err}
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

type envParser struct {
	s    string
	pos  int
	line int
}

// rest returns what is left of the current physical line.
func (p *envParser) rest() string {
	end := strings.IndexByte(p.s[p.pos:], '\n')
	if end < 0 {
		return p.s[p.pos:]
	}
	return p.s[p.pos : p.pos+end]
}

// nextLine moves past the current physical line.
func (p *envParser) nextLine() {
	p.pos += len(p.rest())
	if p.pos < len(p.s) {
		p.pos++
		p.line++
	}
}

func (p *envParser) skipBlanks() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

func (p *envParser) entry() (DotenvEntry, bool, error) {
	p.skipBlanks()
	if r := p.rest(); r == "" || r[0] == '#' {
		p.nextLine()
		return DotenvEntry{}, false, nil
	}
	if r := p.rest(); strings.HasPrefix(r, "export ") || strings.HasPrefix(r, "export\t") {
		p.pos += len("export")
		p.skipBlanks()
	}
	r := p.rest()
	eq := strings.IndexByte(r, '=')
	if eq < 0 {
		return DotenvEntry{}, false, errors.New("expected KEY=VALUE")
	}
	e := DotenvEntry{Key: strings.TrimRight(r[:eq], " \t"), Line: p.line}
	if !envKeyOK(e.Key) {
		return DotenvEntry{}, false, fmt.Errorf("%q is not a variable name", e.Key)
	}
	p.pos += eq + 1
	p.skipBlanks()
	var err error
	switch {
	case p.pos < len(p.s) && p.s[p.pos] == '"':
		e.Value, err = p.quoted('"')
	case p.pos < len(p.s) && p.s[p.pos] == '\'':
		e.Value, err = p.quoted('\'')
	default:
		v := p.rest()
		if i := strings.Index(v, " #"); i >= 0 {
			v = v[:i]
		}
		if i := strings.Index(v, "\t#"); i >= 0 {
			v = v[:i]
		}
		e.Value = strings.TrimRight(v, " \t")
		p.nextLine()
		return e, true, nil
	}
	if err != nil {
		return DotenvEntry{}, false, err
	}
	// After the closing quote only blanks and a comment may follow.
	p.skipBlanks()
	if r := p.rest(); r != "" && r[0] != '#' {
		return DotenvEntry{}, false, errors.New("unexpected text after the closing quote")
	}
	p.nextLine()
	return e, true, nil
}

// quoted reads a quoted value starting at the opening quote.
func (p *envParser) quoted(q byte) (string, error) {
	var b strings.Builder
	for i := p.pos + 1; i < len(p.s); i++ {
		c := p.s[i]
		switch {
		case c == q:
			p.pos = i + 1
			return b.String(), nil
		case c == '\n':
			p.line++
			b.WriteByte(c)
		case c == '\\' && q == '"' && i+1 < len(p.s):
			i++
			switch e := p.s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '"', '\\', '$', '`':
				b.WriteByte(e)
			default:
				if e == '\n' {
					p.line++
				}
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("%w %c quote", errUnterminated, q)
}

func envKeyOK(k string) bool {
	if k == "" || k[0] >= '0' && k[0] <= '9' || k[0] == '.' || k[0] == '-' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// ImportDotenv reads a .env file into secrets named PREFIX/KEY. A key
// defined twice keeps its last value, as a shell would; empty values are
// skipped, since a secret cannot be empty.
func ImportDotenv(r io.Reader, prefix string) (*Found, error) {
	entries, err := ParseDotenv(r)
	if err != nil {
		return nil, err
	}
	last := map[string]int{}
	for i, e := range entries {
		last[e.Key] = i
	}
	f := &Found{}
	for i, e := range entries {
		src := fmt.Sprintf("line %d (%s)", e.Line, e.Key)
		switch {
		case last[e.Key] != i:
			f.skip(src, "defined again on line %d; the last one is kept", entries[last[e.Key]].Line)
		case e.Value == "":
			f.skip(src, "empty value")
		default:
			f.addAt(src, prefix, []string{e.Key}, []byte(e.Value), "", timeZero, timeZero, nil)
		}
	}
	return f, nil
}

// ExportDotenv writes the current values of the live, enabled secrets as
// KEY="VALUE" lines, the key being the name after prefix with every
// character a variable cannot hold turned into "_". It returns what it
// left out: disabled and deleted secrets, values a .env file cannot hold
// (NUL and other control bytes, invalid UTF-8) and clashing keys.
func ExportDotenv(w io.Writer, secrets []vault.SecretData, prefix string) (written int, skipped []Skipped, err error) {
	seen := map[string]string{}
	for _, sd := range secrets {
		skip := func(format string, a ...any) {
			skipped = append(skipped, Skipped{Source: sd.Name, Reason: fmt.Sprintf(format, a...)})
		}
		key := EnvKey(strings.TrimPrefix(strings.TrimPrefix(sd.Name, prefix), "/"))
		val := string(sd.Values[len(sd.Values)-1])
		switch {
		case sd.InTrash():
			skip("in the trash")
		case !sd.Enabled:
			skip("disabled")
		case !envValueOK(val):
			skip("the value holds bytes a .env file cannot (control characters or invalid UTF-8)")
		case seen[key] != "":
			skip("becomes %s, like %s", key, seen[key])
		default:
			seen[key] = sd.Name
			if _, err := fmt.Fprintf(w, "%s=%s\n", key, envQuote(val)); err != nil {
				return written, skipped, err
			}
			written++
		}
	}
	return written, skipped, nil
}

// EnvKey turns a name's tail into a variable name: every character a
// variable cannot hold becomes "_", and a leading digit gets one before it.
func EnvKey(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || b[0] >= '0' && b[0] <= '9' {
		b = append([]byte{'_'}, b...)
	}
	return string(b)
}

func envValueOK(v string) bool {
	if !utf8.ValidString(v) {
		return false
	}
	for _, r := range v {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f {
			return false
		}
	}
	return true
}

// envQuote writes a value so that both ParseDotenv and a shell's
// `source` read it back exactly: single quotes, literal in both, unless
// the value holds a quote; then double quotes with the four characters a
// shell treats specially there escaped and newlines kept as they are. A
// carriage return would be lost to CRLF handling, so values holding one
// keep the escaped form only ParseDotenv reads.
func envQuote(v string) string {
	plain := v != ""
	for i := 0; i < len(v) && plain; i++ {
		c := v[i]
		plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_-.,:/@+=%", c) >= 0
	}
	switch {
	case plain:
		return v
	case strings.ContainsRune(v, '\r'):
		r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`", "\n", `\n`, "\r", `\r`, "\t", `\t`)
		return `"` + r.Replace(v) + `"`
	case !strings.ContainsRune(v, '\''):
		return "'" + v + "'"
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	return `"` + r.Replace(v) + `"`
}
