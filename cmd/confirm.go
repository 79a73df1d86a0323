package cmd

import (
	"bufio"
	"fmt"
	"strings"
)

// confirmation is the one way a command asks before it does what cannot
// be undone: --yes answers for scripts, a terminal is asked, and without
// either the command refuses before it unlocks anything.
type confirmation struct {
	yes bool
}

// check refuses early when there is no --yes and no terminal to ask on;
// what says what would happen ("purge destroys x for good").
func (c confirmation) check(a *app, what string) error {
	if c.yes || isTerminal(a.stdin) {
		return nil
	}
	return usageError("%s and there is no terminal to confirm on; pass --yes", what)
}

// ask puts question on stderr and reports whether the answer is yes; with
// --yes it asks nothing.
func (c confirmation) ask(a *app, question string) bool {
	if c.yes {
		return true
	}
	fmt.Fprintf(a.stderr, "%s [y/N] ", question)
	line, _ := bufio.NewReader(a.stdin).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}
