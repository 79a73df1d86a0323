package vault

import (
	"fmt"
	"strings"
)

// Plural says "1 secret", "2 secrets": one place for the CLI, the TUI and
// vault's own messages.
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// StatusNames lists every status as text joined with ", ", for messages.
func StatusNames() string {
	s := make([]string, len(Statuses))
	for i, st := range Statuses {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}
