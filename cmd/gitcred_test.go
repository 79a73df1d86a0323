//go:build unix

package cmd

import (
	"slices"
	"strings"
	"testing"
)

func TestCredentialSecretNames(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][]string{
		"host=github.com":                           {"git/github.com"},
		"host=github.com\npath=acme/app.git":        {"git/github.com/acme/app.git", "git/github.com"},
		"host=git.example.com:8443\npath=/a/b.git/": {"git/git.example.com+8443/a/b.git", "git/git.example.com+8443"},
		"host=github.com\npath=has space":           {"git/github.com"},
		"host=bad host":                             nil,
		"protocol=https":                            nil,
	} {
		c, err := readCredential(strings.NewReader(in + "\n\nignored=after-the-blank-line\n"))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got := c.secretNames(); !slices.Equal(got, want) {
			t.Errorf("%q: names %q, want %q", in, got, want)
		}
		if c["ignored"] != "" {
			t.Errorf("%q: read past the blank line", in)
		}
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"tok": "tok", "tok\n": "tok", "tok\r\n": "tok", "a\nb": "", "a\x00": ""} {
		got, err := token([]byte(in))
		if string(got) != want || (want == "") != (err != nil) {
			t.Errorf("token(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
