package vault

import (
	"slices"
	"strings"
)

// The matcher lives here so that the TUI's filter and `locket find` rank
// secrets the same way. The TUI prepares lower-cased targets once per list
// load (see Query.Score); callers with a few secrets use Query.Match.

// termKind is what a query term matches.
type termKind int

const (
	termFuzzy termKind = iota
	termTag
	termStatus
)

// term is one word of a query.
type term struct {
	kind termKind
	text string // lower-cased; for tags the part after "tag:"
	key  string // tags: the key (a prefix unless exact)
	val  string // tags: value prefix
	// exact is true for "tag:k=…": the key must be k.
	exact bool
}

// Query is a parsed filter: every term must match.
type Query struct {
	Raw   string
	terms []term
}

// ParseQuery splits a filter into terms: "tag:k=v" and "status:s" are
// structured, every other word matches names and tags fuzzily.
func ParseQuery(raw string) Query {
	q := Query{Raw: raw}
	for _, w := range strings.Fields(strings.ToLower(raw)) {
		switch {
		case strings.HasPrefix(w, "tag:"):
			t := term{kind: termTag, text: w[4:]}
			t.key, t.val, t.exact = strings.Cut(t.text, "=")
			q.terms = append(q.terms, t)
		case strings.HasPrefix(w, "status:"):
			q.terms = append(q.terms, term{kind: termStatus, text: w[7:]})
		default:
			q.terms = append(q.terms, term{kind: termFuzzy, text: w})
		}
	}
	return q
}

// Empty reports whether q matches everything.
func (q Query) Empty() bool { return len(q.terms) == 0 }

// Narrows reports whether every secret that next matches also matches q,
// so that next may search only q's result. Each term only gets stricter
// when text is appended to it, and extra terms only remove secrets.
func (q Query) Narrows(next Query) bool {
	if len(next.terms) < len(q.terms) {
		return false
	}
	for i, t := range q.terms {
		n := next.terms[i]
		if n.kind != t.kind || !strings.HasPrefix(n.text, t.text) {
			return false
		}
		if t.kind == termTag && t.exact && n.key != t.key {
			return false
		}
	}
	return true
}

// MatchTargets are the lower-cased texts a query searches: the name, and
// the tags as "k=v k=v" sorted by key.
func MatchTargets(s *Secret) (name, tags string) {
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range s.Tags {
			if !yield(k) {
				return
			}
		}
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + s.Tags[k]
	}
	return strings.ToLower(s.Name), strings.ToLower(strings.Join(parts, " "))
}

// Match scores s, whose status is st, against q: -1 when it does not
// match, else higher is better.
func (q Query) Match(s *Secret, st Status) int {
	name, tags := MatchTargets(s)
	return q.Score(name, tags, s.Tags, st)
}

// Score is Match on targets prepared with MatchTargets, for callers that
// filter the same secrets many times.
func (q Query) Score(name, tags string, tagMap map[string]string, st Status) int {
	score := 0
	for i := range q.terms {
		t := &q.terms[i]
		switch t.kind {
		case termFuzzy:
			s := fuzzy(name, t.text)
			if s < 0 {
				if !strings.Contains(tags, t.text) {
					return -1
				}
				s = 0 // a tag hit ranks below any name hit
			}
			score += s
		case termTag:
			if !matchTag(tagMap, t) {
				return -1
			}
		case termStatus:
			if !strings.HasPrefix(string(st), t.text) {
				return -1
			}
		}
	}
	return score
}

func matchTag(tags map[string]string, t *term) bool {
	for k, v := range tags {
		k = strings.ToLower(k)
		if t.exact {
			if k == t.key && strings.HasPrefix(strings.ToLower(v), t.val) {
				return true
			}
		} else if strings.HasPrefix(k, t.key) {
			return true
		}
	}
	return false
}

// fuzzy scores pat as a subsequence of s (both lower-case): -1 when it is
// not one; bonuses for consecutive runs and for starts of words and
// segments, as users type "pdbpass" for prod/db/password.
func fuzzy(s, pat string) int {
	if len(pat) == 0 {
		return 1
	}
	if len(pat) > len(s) {
		return -1
	}
	// A plain substring is the common case and the best match.
	if i := strings.Index(s, pat); i >= 0 {
		score := 8 + 4*len(pat)
		if i == 0 || isSep(s[i-1]) {
			score += 8
		}
		return score
	}
	score, j, run := 1, 0, 0
	for i := 0; i < len(s) && j < len(pat); i++ {
		if s[i] != pat[j] {
			run = 0
			continue
		}
		score++
		if run > 0 {
			score += 2
		}
		if i == 0 || isSep(s[i-1]) {
			score += 3
		}
		run++
		j++
	}
	if j < len(pat) {
		return -1
	}
	return score
}

func isSep(c byte) bool { return c == '/' || c == '-' || c == '_' || c == '.' || c == '@' }

// Suggest returns the names closest to name by edit distance, best first,
// at most three: the "did you mean" of a name that was not found. A name
// further than a third of its length away is no suggestion.
func Suggest(name string, names []string) []string {
	limit := max(2, len(name)/3)
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, n := range names {
		if d := levenshtein(name, n); d <= limit && n != name {
			cs = append(cs, cand{n, d})
		}
	}
	slices.SortStableFunc(cs, func(a, b cand) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.name, b.name)
	})
	var out []string
	for i := 0; i < len(cs) && i < 3; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

// levenshtein is the edit distance of a and b in bytes; names are ASCII
// by rule, and a dependency is not worth twenty lines.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
