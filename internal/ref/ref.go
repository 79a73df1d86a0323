// Package ref reads and writes secret references: locket://NAME names a
// secret's current version, locket://NAME?version=N a given one. A
// reference stands in an environment variable, an env file or a template
// where a value would otherwise be written down, so that the value itself
// never lands in a file.
//
// The parser is strict on purpose: a reference that almost parses is far
// more likely a typo than an intent, and a typo must not silently become
// a literal value handed to a program.
package ref

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"locket/vault"
)

// Scheme starts every reference.
const Scheme = "locket://"

// ErrMalformed is wrapped by every parse error.
var ErrMalformed = errors.New("malformed reference")

// Ref names a secret and optionally one of its versions.
type Ref struct {
	Name string
	// Version is 0 for the current version.
	Version int
}

// Is reports whether s is meant as a reference: it starts with the
// scheme. Such a string must then Parse; anything else is a plain value.
func Is(s string) bool { return strings.HasPrefix(s, Scheme) }

// Parse reads a reference. Only the version query key is known, and its
// value must be a positive decimal number without leading zeros, so that
// a reference has exactly one spelling.
func Parse(s string) (Ref, error) {
	if !Is(s) {
		return Ref{}, fmt.Errorf("%w %q: it does not start with %s", ErrMalformed, s, Scheme)
	}
	name, query, hasQuery := strings.Cut(s[len(Scheme):], "?")
	if err := vault.ValidateName(name); err != nil {
		return Ref{}, fmt.Errorf("%w %q: %s", ErrMalformed, s, strings.TrimPrefix(err.Error(), vault.ErrInvalid.Error()+": "))
	}
	r := Ref{Name: name}
	if !hasQuery {
		return r, nil
	}
	key, val, _ := strings.Cut(query, "=")
	if key != "version" {
		return Ref{}, fmt.Errorf("%w %q: the only query is ?version=N", ErrMalformed, s)
	}
	n, err := strconv.Atoi(val)
	if err != nil || n < 1 || val[0] == '0' || val[0] == '+' {
		return Ref{}, fmt.Errorf("%w %q: version must be a whole number from 1", ErrMalformed, s)
	}
	r.Version = n
	return r, nil
}

// String is the reference's one spelling; Parse reads it back.
func (r Ref) String() string {
	if r.Version == 0 {
		return Scheme + r.Name
	}
	return Scheme + r.Name + "?version=" + strconv.Itoa(r.Version)
}

// ForName is the reference to a secret's current version.
func ForName(name string) string { return Ref{Name: name}.String() }
