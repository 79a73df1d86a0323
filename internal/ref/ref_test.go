package ref

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Ref{
		"locket://db/password":             {Name: "db/password"},
		"locket://a?version=1":             {Name: "a", Version: 1},
		"locket://prod/x.y@z+1?version=42": {Name: "prod/x.y@z+1", Version: 42},
	} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("%q prints back as %q", in, got.String())
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                         "does not start with locket://",
		"locket:/a":                "does not start with locket://",
		"LOCKET://a":               "does not start with locket://",
		"locket://":                "empty secret name",
		"locket://a//b":            "empty segment",
		"locket://a/../b":          `".." segment`,
		"locket://a b":             "character outside",
		"locket://a/":              "empty segment",
		"locket://a#frag":          "character outside",
		"locket://a?":              "the only query is ?version=N",
		"locket://a?v=1":           "the only query is ?version=N",
		"locket://a?version=1&x=2": "version must be a whole number",
		"locket://a?version=0":     "version must be a whole number",
		"locket://a?version=-1":    "version must be a whole number",
		"locket://a?version=+1":    "version must be a whole number",
		"locket://a?version=01":    "version must be a whole number",
		"locket://a?version=":      "version must be a whole number",
		"locket://a?version=1?x":   "version must be a whole number",
		"locket://a?version=99999999999999999999": "version must be a whole number",
		"locket://" + strings.Repeat("x", 257):    "limit is 256",
	} {
		_, err := Parse(in)
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) error %v, want %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "invalid input") {
			t.Errorf("Parse(%q) error %q repeats the vault sentinel", in, err)
		}
	}
}

// FuzzParse: Parse never panics, and what it accepts has exactly one
// spelling, the one it was given.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"locket://a", "locket://a/b?version=3", "locket://a?version=0", "locket://a?x", "locket://../a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse(%q): error %v does not wrap ErrMalformed", s, err)
			}
			return
		}
		if r.String() != s {
			t.Fatalf("Parse(%q) accepted a second spelling of %q", s, r.String())
		}
		if r.Version < 0 {
			t.Fatalf("Parse(%q): version %d", s, r.Version)
		}
	})
}
