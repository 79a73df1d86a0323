package vault

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/adjacency"
	"github.com/trustelem/zxcvbn/frequency"
)

// WeakScore is the zxcvbn score below which a value is weak. Scores run
// from 0 to 4; 3 means "safely unguessable" (at least 10^10 guesses), the
// level zxcvbn's authors recommend for passwords that guard anything of
// value.
const WeakScore = 3

// maxJudged is the longest value zxcvbn judges. Its cost grows with the
// square of the length, and a value longer than this was not typed by a
// person; longer values are judged weak only when they use fewer than
// minDistinct different bytes.
const (
	maxJudged   = 64
	minDistinct = 6
)

// passwordLike reports whether values of content type ct are judged for
// strength: typed secrets are, structured ones (JSON, PEM, connection
// strings) are not.
func passwordLike(ct string) bool {
	ct, _, _ = strings.Cut(strings.ToLower(strings.TrimSpace(ct)), ";")
	switch strings.TrimSpace(ct) {
	case "", "text/plain", "password", "passphrase", "pin":
		return true
	}
	return false
}

// strength memoises zxcvbn scores by keyed hash and name for the life of
// the process, so that a TUI that checks again after each change runs
// zxcvbn only on new values. It holds no plaintext and is never written to
// disk.
var strength = struct {
	sync.Mutex
	m map[string]int
}{m: map[string]int{}}

const strengthMemo = 1 << 18

// strengthTask is one value to judge, with its secret's name (whose
// segments it should not contain), its keyed hash for the memo and where
// its score goes.
type strengthTask struct {
	value, key, name string
	score            *int
}

// judge starts scoring values with zxcvbn on every core while the caller
// feeds tasks; closing the channel and waiting on the group ends it.
func judge(ctx context.Context) (chan<- strengthTask, *sync.WaitGroup) {
	tasks := make(chan strengthTask, 256)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range tasks {
				if ctx.Err() != nil {
					continue
				}
				if certainlyStrong(t.value, t.name) {
					*t.score = WeakScore
					continue
				}
				memo := t.key + "\x00" + t.name
				strength.Lock()
				sc, ok := strength.m[memo]
				strength.Unlock()
				if !ok {
					sc = zxcvbn.PasswordStrength(t.value, strings.Split(t.name, "/")).Score
					strength.Lock()
					if len(strength.m) >= strengthMemo {
						clear(strength.m)
					}
					strength.m[memo] = sc
					strength.Unlock()
				}
				*t.score = sc
			}
		}()
	}
	return tasks, &wg
}

func weakIssue(score int) HealthIssue {
	return HealthIssue{Kind: HealthWeak, Reason: fmt.Sprintf("weak value (strength %d of 4)", score)}
}

// equalsName reports whether the value is the secret's name or the name's
// last segment, ignoring case.
func equalsName(val []byte, name string) bool {
	last := name[strings.LastIndexByte(name, '/')+1:]
	return bytes.EqualFold(val, []byte(name)) || bytes.EqualFold(val, []byte(last))
}

func distinct(b []byte) int {
	var seen [256]bool
	n := 0
	for _, c := range b {
		if !seen[c] {
			seen[c] = true
			n++
		}
	}
	return n
}

// certainlyStrong reports, without running zxcvbn, values that zxcvbn
// would score WeakScore or more. zxcvbn is far too slow to judge a big
// vault value by value (about half a millisecond each), and most stored
// secrets are long random tokens, so this cheap test settles those.
//
// Why it is sound: zxcvbn's estimate for a split of the value into l
// tokens is l!·∏guesses + 10000^(l-1), and a score below 3 means fewer
// than 10^8+5 guesses. So a weak value is covered by at most two tokens
// (3!·1 + 10000^2 is already too many). A token that is not a pattern
// costs 10^length guesses and the other token at least 10, so it has at
// most 6 characters. A weak value of n >= 12 characters therefore holds a
// pattern token of at least ceil(n/2) characters: a dictionary word (maybe
// reversed or in l33t), a keyboard walk, a repetition, a sequence with a
// constant step or a date. The test below looks for any of those, with
// generous approximations (any constant step, any adjacency in any
// keyboard, dictionary lookups that merge letters l33t confuses), and
// calls the value strong only when none is long enough. Non-ASCII values
// always go to zxcvbn. TestCertainlyStrongAgreesWithZxcvbn checks it.
func certainlyStrong(value, name string) bool {
	n := len(value)
	if n < 12 {
		return false
	}
	for i := 0; i < n; i++ {
		if value[i] < 0x20 || value[i] > 0x7e {
			return false
		}
	}
	m := (n + 1) / 2
	if longestRun(value, func(i int) bool { return int(value[i])-int(value[i-1]) == int(value[i-1])-int(value[i-2]) }, 2) >= m ||
		longestRun(value, func(i int) bool { return keyAdjacent(value[i-1], value[i]) }, 1) >= m ||
		longestRun(value, func(i int) bool { return isDateByte(value[i]) && isDateByte(value[i-1]) }, 1) >= m {
		return false
	}
	// A repetition base^k (k >= 2, length L) has L-p >= p characters equal
	// to the one p before them, p = len(base).
	for p := 1; p <= n/2; p++ {
		if c := longestRun(value, func(i int) bool { return i >= p && value[i] == value[i-p] }, 0); c >= p && c+p >= m {
			return false
		}
	}
	words := l33tWords()
	canon := l33tCanon(value)
	rev := []byte(canon)
	slices.Reverse(rev)
	for _, s := range []string{canon, string(rev)} {
		for i := 0; i+m <= n; i++ {
			if _, ok := words.prefixes[s[i:i+minWord]]; !ok {
				continue
			}
			for j := i + m; j <= n && j-i <= words.longest; j++ {
				if _, ok := words.set[s[i:j]]; ok {
					return false
				}
			}
		}
		for u := range strings.SplitSeq(name, "/") {
			if len(u) >= m && strings.Contains(s, l33tCanon(u)) {
				return false
			}
		}
	}
	return true
}

// longestRun is the length of the longest stretch of value in which ok
// holds at every index from the stretch's start+from on; a run of length
// from is free.
func longestRun(value string, ok func(i int) bool, from int) int {
	best, run := min(from, len(value)), from
	for i := from; i < len(value); i++ {
		if ok(i) {
			run++
		} else {
			run = from
		}
		best = max(best, run)
	}
	return best
}

func isDateByte(c byte) bool { return c >= '0' && c <= '9' || strings.IndexByte(" /\\_.-", c) >= 0 }

var (
	adjacentOnce sync.Once
	adjacent     map[[2]byte]bool
)

// keyAdjacent reports whether b is next to a on any keyboard zxcvbn knows.
func keyAdjacent(a, b byte) bool {
	adjacentOnce.Do(func() {
		adjacent = map[[2]byte]bool{}
		for _, g := range adjacency.Graphs {
			for k, adjs := range g.Graph {
				for _, adj := range adjs {
					for i := 0; i < len(adj); i++ {
						if len(k) == 1 {
							adjacent[[2]byte{k[0], adj[i]}] = true
						}
					}
				}
			}
		}
	})
	return adjacent[[2]byte{a, b}]
}

// l33tCanon lower-cases s and maps every l33t substitute zxcvbn knows to
// the letter it stands for; i, l and t share substitutes (1, |, 7), so
// they map to one letter.
func l33tCanon(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		switch c {
		case '4', '@':
			b[i] = 'a'
		case '8':
			b[i] = 'b'
		case '(', '{', '[', '<':
			b[i] = 'c'
		case '3':
			b[i] = 'e'
		case '6', '9':
			b[i] = 'g'
		case '1', '!', '|', '7', '+', 'l', 't':
			b[i] = 'i'
		case '0':
			b[i] = 'o'
		case '$', '5':
			b[i] = 's'
		case '%':
			b[i] = 'x'
		case '2':
			b[i] = 'z'
		}
	}
	return string(b)
}

// wordSet is zxcvbn's dictionaries in l33tCanon form, words of minWord
// characters or more only (shorter ones cannot cover half of a value long
// enough to be tested), with their first minWord characters as a quick
// first test.
type wordSet struct {
	set, prefixes map[string]struct{}
	longest       int
}

const minWord = 6

var (
	wordsOnce sync.Once
	words     wordSet
)

func l33tWords() *wordSet {
	wordsOnce.Do(func() {
		words.set = map[string]struct{}{}
		words.prefixes = map[string]struct{}{}
		for _, list := range frequency.FrequencyLists() {
			for _, w := range list {
				if c := l33tCanon(w); len(c) >= minWord {
					words.set[c] = struct{}{}
					words.prefixes[c[:minWord]] = struct{}{}
					words.longest = max(words.longest, len(c))
				}
			}
		}
	})
	return &words
}

// VeryWeakPassphrase is the zxcvbn score below which init and the TUI
// warn about a new vault passphrase and ask before taking it: 0 and 1
// fall to an online attacker's guesses, let alone an offline one's.
const VeryWeakPassphrase = 2

// PassphraseStrength rates a new vault passphrase with zxcvbn: its score
// (0–4; -1 for an empty one) and the word for it.
func PassphraseStrength(pass []byte) (score int, word string) {
	if len(pass) == 0 {
		return -1, ""
	}
	score = zxcvbn.PasswordStrength(string(pass), []string{"locket"}).Score
	return score, [...]string{"very weak", "weak", "fair", "good", "strong"}[score]
}
