package vault

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Plural says "1 secret", "2 secrets": one place for the CLI, the TUI and
// vault's own messages.
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// StatusNames lists every status as text joined with ", ", for messages.
func StatusNames() string {
	s := make([]string, len(Statuses))
	for i, st := range Statuses {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}

// Line returns line n (1-based) of a value, without its line ending: pass's
// convention keeps the password on the first line and notes below it.
func Line(value []byte, n int) ([]byte, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: line numbers start at 1", ErrInvalid)
	}
	rest := value
	for i := 1; ; i++ {
		line, after, found := bytes.Cut(rest, []byte("\n"))
		if i == n {
			return bytes.TrimSuffix(line, []byte("\r")), nil
		}
		if !found || len(after) == 0 {
			return nil, fmt.Errorf("%w: the value has %s, not %d", ErrInvalid, Plural(i, "line"), n)
		}
		rest = after
	}
}
