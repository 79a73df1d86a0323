// Package tmpl finds {{ locket://NAME }} tags in a template and renders
// it once their values are known. Parsing and rendering are separate so
// that every reference is checked and resolved before a byte is written:
// a template renders whole or not at all.
//
// Only tags whose content starts with "locket:" are references; any other
// {{ ... }} is copied as it is, so a template meant for another engine
// (Helm, Jinja, Go templates) can have its secrets injected first. An
// unclosed {{ is an error all the same: it usually means a tag was cut.
package tmpl

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"locket/internal/ref"
)

// ErrSyntax is wrapped by every template error.
var ErrSyntax = errors.New("template syntax")

// Error is a template error on a line. Callers that know the template's
// name print it as NAME:LINE: Err.
type Error struct {
	Line int
	Err  error
}

func (e *Error) Error() string   { return fmt.Sprintf("template line %d: %v", e.Line, e.Err) }
func (e *Error) Unwrap() []error { return []error{ErrSyntax, e.Err} }

// Tag is one reference in a template.
type Tag struct {
	Ref  ref.Ref
	Line int
	// start and end delimit the tag, braces included.
	start, end int
}

// Parse returns the reference tags of src in order.
func Parse(src []byte) ([]Tag, error) {
	var tags []Tag
	for at := 0; ; {
		i := bytes.Index(src[at:], []byte("{{"))
		if i < 0 {
			return tags, nil
		}
		open := at + i
		line := 1 + bytes.Count(src[:open], []byte("\n"))
		j := bytes.Index(src[open+2:], []byte("}}"))
		if j < 0 {
			return nil, &Error{Line: line, Err: errors.New("{{ is never closed with }}")}
		}
		inner := src[open+2 : open+2+j]
		// "{{ {{ locket://a }}": the first {{ holds no tag of its own;
		// start again at the inner one.
		if k := bytes.LastIndex(inner, []byte("{{")); k >= 0 {
			at = open + 2 + k
			continue
		}
		end := open + 2 + j + 2
		at = end
		text := strings.Trim(string(inner), " \t")
		if !strings.HasPrefix(text, "locket:") {
			continue
		}
		r, err := ref.Parse(text)
		if err != nil {
			return nil, &Error{Line: line, Err: err}
		}
		tags = append(tags, Tag{Ref: r, Line: line, start: open, end: end})
	}
}

// Render returns src with each tag replaced by value(tag). tags must be
// what Parse returned for src.
func Render(src []byte, tags []Tag, value func(Tag) []byte) []byte {
	var out bytes.Buffer
	at := 0
	for _, t := range tags {
		out.Write(src[at:t.start])
		out.Write(value(t))
		at = t.end
	}
	out.Write(src[at:])
	return out.Bytes()
}
