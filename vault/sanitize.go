package vault

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sanitize renders s inert for a terminal (security invariant 6): control
// characters, including ESC and the C1 range that starts escape sequences,
// and invalid UTF-8 become visible escapes such as \x1b, so that a planted
// name or tag cannot move the cursor, retitle the window or write to the
// clipboard. Printable text is returned unchanged.
func Sanitize(s string) string {
	// Printable ASCII, what almost every name and reason is, needs no
	// look at Unicode's tables: a list or a check sanitises 100k cells.
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// SanitizeMultiline is Sanitize for multi-line values: newlines and tabs
// are kept, every other control character is escaped.
func SanitizeMultiline(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		parts := strings.Split(l, "\t")
		for j, p := range parts {
			parts[j] = Sanitize(p)
		}
		lines[i] = strings.Join(parts, "\t")
	}
	return strings.Join(lines, "\n")
}
