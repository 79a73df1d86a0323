package tui

import (
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"locket/vault"
)

// The filter is locket's own rather than bubbles/list with sahilm/fuzzy,
// which measured 11–45 ms per keystroke at 100k secrets: targets are
// lower-cased once when the list loads, a query that extends the previous
// one only searches the previous result, scores are small integers sorted
// by counting, and a newer keystroke cancels older work.

// entry is one secret with its search targets prepared.
type entry struct {
	s      *vault.Secret
	name   string // lower-cased name
	tags   string // lower-cased "k=v k=v", sorted
	status vault.Status
	rank   int // position of status in vault.Statuses
	// overdue is when an expired, stale or due secret became or becomes
	// so, for sorting the most overdue first; zero for the others.
	overdue time.Time
}

// index holds the secrets in the current sort order.
type index struct {
	entries []entry
	// statusW is the widest status word present and nameW the longest
	// name, for the list's columns.
	statusW, nameW int
}

// sortMode orders the list.
type sortMode int

const (
	sortName sortMode = iota
	sortAge
	sortStatus
)

func (s sortMode) String() string {
	return [...]string{"name", "age", "status"}[s]
}

func newIndex(secrets []vault.Secret, now time.Time, set vault.Settings, mode sortMode) *index {
	ix := &index{entries: make([]entry, len(secrets)), statusW: 7} // "STATUS▾"
	// The lower-cased targets live in one string, in list order, so that
	// a filter run reads memory front to back instead of chasing 100k
	// separate allocations.
	var all strings.Builder
	type span struct{ name, tags [2]int }
	spans := make([]span, len(secrets))
	var keys []string
	for i := range secrets {
		s := &secrets[i]
		keys = keys[:0]
		for k := range s.Tags {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		start := all.Len()
		all.WriteString(s.Name)
		spans[i].name = [2]int{start, all.Len()}
		start = all.Len()
		for j, k := range keys {
			if j > 0 {
				all.WriteByte(' ')
			}
			all.WriteString(k)
			all.WriteByte('=')
			all.WriteString(s.Tags[k])
		}
		spans[i].tags = [2]int{start, all.Len()}
		st := s.Status(now, set)
		ix.statusW = max(ix.statusW, len(st))
		ix.nameW = max(ix.nameW, len(s.Name))
		ix.entries[i] = entry{s: s, status: st, rank: slices.Index(vault.Statuses, st), overdue: overdueAt(s, st, set)}
	}
	// ToLower keeps byte offsets only for ASCII. Names are ASCII by rule;
	// when a tag is not, every target is lower-cased on its own.
	lower := strings.ToLower(all.String())
	same := isASCII(all.String())
	for i := range ix.entries {
		e, sp := &ix.entries[i], spans[i]
		if same {
			e.name, e.tags = lower[sp.name[0]:sp.name[1]], lower[sp.tags[0]:sp.tags[1]]
		} else {
			raw := all.String()
			e.name = strings.ToLower(raw[sp.name[0]:sp.name[1]])
			e.tags = strings.ToLower(raw[sp.tags[0]:sp.tags[1]])
		}
	}
	ix.sort(mode)
	return ix
}

// sort orders the entries; ties fall back to the name.
func (ix *index) sort(mode sortMode) {
	byName := func(a, b entry) int { return strings.Compare(a.s.Name, b.s.Name) }
	if mode == sortName && slices.IsSortedFunc(ix.entries, byName) {
		return // vault.List returns names in order
	}
	slices.SortStableFunc(ix.entries, func(a, b entry) int {
		switch mode {
		case sortAge:
			if c := a.s.Current().Created.Compare(b.s.Current().Created); c != 0 {
				return c // oldest first: what needs rotating
			}
		case sortStatus:
			if a.rank != b.rank {
				return a.rank - b.rank
			}
			if c := a.overdue.Compare(b.overdue); c != 0 {
				return c // the longest overdue first
			}
		}
		return strings.Compare(a.s.Name, b.s.Name)
	})
}

// maxScore caps scores for the counting sort.
const maxScore = 255

// filterResult is the entries (positions in the index) that match query,
// best first and in index order among equals.
type filterResult struct {
	query vault.Query
	rows  []int32
}

// all is the unfiltered result.
func (ix *index) all() []int32 {
	rows := make([]int32, len(ix.entries))
	for i := range rows {
		rows[i] = int32(i)
	}
	return rows
}

// run filters ix by q. When prev narrows to q, only prev's rows are
// searched. It returns false when gen moved on (a newer keystroke) before
// it finished.
func (ix *index) run(q vault.Query, prev *filterResult, gen *atomic.Uint64, mine uint64) (filterResult, bool) {
	if q.Empty() {
		return filterResult{query: q, rows: ix.all()}, true
	}
	var candidates []int32
	if prev != nil && prev.query.Narrows(q) {
		// Fall back to index order so that ties keep the sort.
		candidates = slices.Clone(prev.rows)
		slices.Sort(candidates)
	}
	n := len(ix.entries)
	if candidates != nil {
		n = len(candidates)
	}
	rows := make([]int32, 0, n)
	scores := make([]uint8, 0, n)
	var counts [maxScore + 1]int
	for k := 0; k < n; k++ {
		if k&4095 == 4095 && gen != nil && gen.Load() != mine {
			return filterResult{}, false
		}
		i := int32(k)
		if candidates != nil {
			i = candidates[k]
		}
		e := &ix.entries[i]
		s := q.Score(e.name, e.tags, e.s.Tags, e.status)
		if s < 0 {
			continue
		}
		s = min(s, maxScore)
		rows = append(rows, i)
		scores = append(scores, uint8(s))
		counts[s]++
	}
	// Counting sort, best score first, stable within a score.
	var start [maxScore + 1]int
	pos := 0
	for s := maxScore; s >= 0; s-- {
		start[s] = pos
		pos += counts[s]
	}
	out := make([]int32, len(rows))
	for k, i := range rows {
		out[start[scores[k]]] = i
		start[scores[k]]++
	}
	return filterResult{query: q, rows: out}, true
}

func sortStrings(s []string) { slices.Sort(s) }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// overdueAt is the moment s became (or becomes) expired, stale or due,
// whichever its status is about.
func overdueAt(s *vault.Secret, st vault.Status, set vault.Settings) time.Time {
	exp, stale := s.Current().Expires, s.StaleAt(set)
	switch st {
	case vault.StatusExpired:
		return exp
	case vault.StatusStale:
		return stale
	case vault.StatusDue:
		if !exp.IsZero() && exp.Before(stale) {
			return exp
		}
		return stale
	}
	return time.Time{}
}
