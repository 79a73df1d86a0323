package tmpl

import (
	"errors"
	"strings"
	"testing"

	"locket/internal/ref"
)

func render(t *testing.T, src string) (string, error) {
	t.Helper()
	tags, err := Parse([]byte(src))
	if err != nil {
		return "", err
	}
	return string(Render([]byte(src), tags, func(tg Tag) []byte {
		return []byte(strings.ToUpper(tg.Ref.String()[len(ref.Scheme):]))
	})), nil
}

func TestRender(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"no tags":                  "no tags",
		"a={{ locket://db/pw }}\n": "a=DB/PW\n",
		"a={{locket://x}}{{\tlocket://y?version=2 }}": "a=XY?VERSION=2",
		"helm: {{ .Values.x }} and {{ locket://k }}":  "helm: {{ .Values.x }} and K",
		"{{ {{ locket://k }}":                         "{{ K",
		"}} {{ locket://k }} }}":                      "}} K }}",
		"":                                            "",
	} {
		got, err := render(t, in)
		if err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"a\nb {{ locket://x\n":         "template line 2: {{ is never closed with }}",
		"{{ locket://x }}\n{{":         "template line 2: {{ is never closed",
		"\n\n{{ locket://a b }}":       `template line 3: malformed reference "locket://a b"`,
		"{{ locket:/typo }}":           "template line 1: malformed reference",
		"{{ locket://a?version=0 }}":   "template line 1: malformed reference",
		"{{ locket://ok }} {{ locket}": "template line 1: {{ is never closed",
	} {
		_, err := render(t, in)
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

// FuzzParse: Parse never panics, and rendering each tag as its own text
// gives back the template.
func FuzzParse(f *testing.F) {
	f.Add("a={{ locket://x }} {{ y }}")
	f.Fuzz(func(t *testing.T, src string) {
		tags, err := Parse([]byte(src))
		if err != nil {
			return
		}
		got := Render([]byte(src), tags, func(tg Tag) []byte { return []byte(src[tg.start:tg.end]) })
		if string(got) != src {
			t.Fatalf("%q renders back as %q", src, got)
		}
	})
}
