package vault

import (
	"errors"
	"strings"
	"testing"

	"github.com/sethvargo/go-diceware/diceware"
)

func TestParseGenerateSpec(t *testing.T) {
	t.Parallel()
	good := map[string]GenerateOptions{
		"":                                   DefaultGenerateOptions(),
		"length=32,charset=alnum":            {Length: 32, Charset: "alnum", Separator: "-"},
		"charset=lower+digits,no-lookalikes": {Length: 24, Charset: "lower+digits", NoLookalikes: true, Separator: "-"},
		"words=6,sep=.":                      {Length: 24, Charset: "all", Words: 6, Separator: "."},
	}
	for spec, want := range good {
		got, err := ParseGenerateSpec(spec)
		if err != nil || got != want {
			t.Errorf("ParseGenerateSpec(%q) = %+v, %v; want %+v", spec, got, err, want)
		}
	}
	for _, spec := range []string{"length=abc", "length=0", "length=5000", "charset=klingon", "words=0x", "words=65", "size=3", "no-lookalikes=yes", "length=3,charset=all", "sep=\x1b"} {
		if _, err := ParseGenerateSpec(spec); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseGenerateSpec(%q) = %v, want ErrInvalid", spec, err)
		}
	}
}

func TestGeneratePassword(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opts    GenerateOptions
		classes []string
	}{
		{DefaultGenerateOptions(), []string{classLower, classUpper, classDigits, classSymbols}},
		{GenerateOptions{Length: 4, Charset: "all"}, []string{classLower, classUpper, classDigits, classSymbols}},
		{GenerateOptions{Length: 2, Charset: "lower+digits"}, []string{classLower, classDigits}},
		{GenerateOptions{Length: 40, Charset: "hex"}, []string{classHex}},
		{GenerateOptions{Length: 30, Charset: "alnum", NoLookalikes: true}, []string{classLower, classUpper, classDigits}},
	} {
		union := strings.Join(tc.classes, "")
		for range 200 {
			b, err := Generate(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != tc.opts.Length {
				t.Fatalf("%+v: got %d characters", tc.opts, len(b))
			}
			for _, c := range tc.classes {
				if !strings.ContainsAny(string(b), c) {
					t.Fatalf("%+v: %q lacks a character of %q", tc.opts, b, c)
				}
			}
			for _, r := range string(b) {
				if !strings.ContainsRune(union, r) {
					t.Fatalf("%+v: %q has %q outside the charset", tc.opts, b, r)
				}
				if tc.opts.NoLookalikes && strings.ContainsRune(lookalikes, r) {
					t.Fatalf("%+v: %q has look-alike %q", tc.opts, b, r)
				}
			}
		}
	}
}

// TestGenerateUniform checks that every character of the alphabet turns up
// with roughly equal frequency: a modulo bias or a fixed-position class
// character would skew the counts.
func TestGenerateUniform(t *testing.T) {
	t.Parallel()
	counts := map[byte]int{}
	const n = 2000
	for range n {
		b, err := Generate(GenerateOptions{Length: 16, Charset: "hex"})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range b {
			counts[c]++
		}
	}
	want := float64(n*16) / 16
	for _, c := range []byte(classHex) {
		if got := float64(counts[c]); got < want*0.85 || got > want*1.15 {
			t.Errorf("character %q drawn %v times, want about %v", c, got, want)
		}
	}
}

func TestGenerateWords(t *testing.T) {
	t.Parallel()
	words := map[string]bool{}
	b, err := Generate(GenerateOptions{Words: 6, Separator: " "})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(string(b), " ")
	if len(parts) != 6 {
		t.Fatalf("got %q, want 6 words", b)
	}
	for _, p := range parts {
		if p == "" || words[p] {
			t.Fatalf("got %q: empty or repeated word", b)
		}
		words[p] = true
		if !isEFFWord(p) {
			t.Fatalf("%q is not on the EFF large list", p)
		}
	}
}

func isEFFWord(w string) bool {
	l := diceware.WordListEffLarge()
	for _, a := range []int{1, 2, 3, 4, 5, 6} {
		for _, b := range []int{1, 2, 3, 4, 5, 6} {
			for _, c := range []int{1, 2, 3, 4, 5, 6} {
				for _, d := range []int{1, 2, 3, 4, 5, 6} {
					for _, e := range []int{1, 2, 3, 4, 5, 6} {
						if l.WordAt(a*10000+b*1000+c*100+d*10+e) == w {
							return true
						}
					}
				}
			}
		}
	}
	return false
}
