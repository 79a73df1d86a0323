package vault

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/adjacency"
	"github.com/trustelem/zxcvbn/frequency"
)

// Finding is a secret that needs attention: its lifecycle status asks for
// action, or its current value has a health problem.
type Finding struct {
	Name   string
	Status Status
	// Reason says in words why the secret is listed, most pressing first.
	Reason string
	// At is the moment that makes the finding urgent: when the secret
	// expired or expires, became or becomes stale, becomes valid, or when its
	// snooze ends. It is zero for a finding about health only.
	At          time.Time
	RotateEvery time.Duration
	// Rotated is when the current version was written.
	Rotated      time.Time
	Version      int
	Expires      time.Time
	SnoozedUntil time.Time
	Health       []HealthIssue
}

// HealthIssue is one problem with a current value.
type HealthIssue struct {
	// Kind is HealthWeak, HealthReused or HealthName.
	Kind   string
	Reason string
}

// The kinds of health issue.
const (
	HealthWeak   = "weak"
	HealthReused = "reused"
	HealthName   = "name"
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

// urgency orders findings: a lower rank is more urgent.
func urgency(f Finding) int {
	switch {
	case f.Status == StatusExpired:
		return 0
	case f.Status == StatusStale:
		return 1
	case f.Status == StatusDue:
		return 2
	case f.Status == StatusNotYetValid:
		return 3
	case f.Status == StatusSnoozed:
		return 4
	}
	return 5
}

// SortFindings orders findings most urgent first: expired, stale (longest
// overdue first), due (soonest first), not yet valid, snoozes about to
// end, then health problems alone; ties by name.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(urgency(a), urgency(b)), a.At.Compare(b.At), strings.Compare(a.Name, b.Name))
	})
}

// Check reports every live, enabled secret that needs attention at the
// moment at, most urgent first: expired, stale, due, not yet valid, or
// snoozed with the snooze ending within the due window; and every one whose
// current value is weak, shared with another secret, or equal to its
// name, unless it is snoozed.
//
// Judging health reads the current values. That is an internal scan, not
// a hand-out: it is not audited, no value leaves this function, and values
// are compared through keyed hashes (HMAC-SHA256 under a random key that
// lives only in memory), never as plaintext copies. Check works on a
// read-only vault.
func (v *Vault) Check(ctx context.Context, at time.Time) ([]Finding, error) {
	if at.IsZero() {
		at = v.now()
	}
	set := v.Settings()
	type entry struct {
		s      *Secret
		health []HealthIssue
		hash   string
		judged bool
		score  int
	}
	live := map[string]*entry{}
	tasks, judging := judge(ctx)
	mac := hmac.New(sha256.New, reuseKey())
	var sum [sha256.Size]byte
	err := v.view(func(tx *txn) error {
		defer func() {
			close(tasks)
			judging.Wait()
		}()
		err := tx.eachSecret(func(id []byte, s *Secret) error {
			if !s.InTrash() && s.Enabled {
				live[string(id)] = &entry{s: s}
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Values are keyed id ‖ version, the same order as the metadata, so
		// one pass over them finds every current value without a lookup.
		it := tx.tx.NewIterator(badger.IteratorOptions{Prefix: []byte{kindValue}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			k := item.Key()
			if len(k) != 1+idSize+8 {
				return ErrIntegrity
			}
			e := live[string(k[1:1+idSize])]
			n := binary.BigEndian.Uint64(k[1+idSize:])
			if e == nil || n != uint64(e.s.Current().Number) {
				continue
			}
			err := item.Value(func(sealed []byte) error {
				val, err := v.kr.Open(kindValue, k, n, sealed)
				if err != nil {
					return err
				}
				defer clear(val)
				mac.Reset()
				mac.Write(val)
				e.hash = string(mac.Sum(sum[:0]))
				// A value piped with echo ends in a newline that is not part
				// of the password; strength and name look past it.
				val = bytes.TrimSuffix(bytes.TrimSuffix(val, []byte("\n")), []byte("\r"))
				if equalsName(val, e.s.Name) {
					e.health = append(e.health, HealthIssue{Kind: HealthName, Reason: "value equals its name"})
				}
				if passwordLike(e.s.Current().ContentType) && !bytes.ContainsAny(val, "\n\r") {
					if len(val) > maxJudged {
						if distinct(val) < minDistinct {
							e.health = append(e.health, weakIssue(0))
						}
					} else {
						e.judged = true
						tasks <- strengthTask{value: string(val), key: e.hash, name: e.s.Name, score: &e.score}
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		// A cancelled context leaves scores unset.
		err = ctx.Err()
	}
	if err != nil {
		return nil, err
	}

	byHash := map[string][]string{}
	for _, e := range live {
		if e.hash != "" {
			byHash[e.hash] = append(byHash[e.hash], e.s.Name)
		}
	}
	for _, names := range byHash {
		if len(names) > 1 {
			slices.Sort(names)
		}
	}
	var out []Finding
	snoozed := map[string]string{} // id → name
	for id, e := range live {
		if e.judged && e.score < WeakScore {
			e.health = append(e.health, weakIssue(e.score))
		}
		if names := byHash[e.hash]; len(names) > 1 {
			e.health = append(e.health, HealthIssue{Kind: HealthReused, Reason: "same value as " + others(names, e.s.Name)})
		}
		f, ok := finding(e.s, at, set, e.health)
		if ok {
			if f.Status == StatusSnoozed {
				snoozed[id] = e.s.Name
			}
			out = append(out, f)
		}
	}
	if len(snoozed) > 0 {
		if err := v.snoozeNotes(out, snoozed); err != nil {
			return nil, err
		}
	}
	SortFindings(out)
	return out, nil
}

// finding decides whether s needs attention at at and says why.
func finding(s *Secret, at time.Time, set Settings, health []HealthIssue) (Finding, bool) {
	cur := s.Current()
	f := Finding{
		Name:         s.Name,
		Status:       s.Status(at, set),
		RotateEvery:  s.RotateEvery(set),
		Rotated:      cur.Created,
		Version:      cur.Number,
		Expires:      cur.Expires,
		SnoozedUntil: s.SnoozedUntil(),
		Health:       health,
	}
	slices.SortFunc(f.Health, func(a, b HealthIssue) int { return strings.Compare(a.Kind, b.Kind) })
	stale := s.StaleAt(set)
	rotated := fmt.Sprintf("%s %s ago, policy %s", map[bool]string{true: "rotated", false: "set"}[cur.Number > 1], span(at.Sub(cur.Created)), FormatDuration(f.RotateEvery))
	switch f.Status {
	case StatusExpired:
		f.At = cur.Expires
		f.Reason = fmt.Sprintf("expired %s ago", span(at.Sub(cur.Expires)))
	case StatusStale:
		f.At = stale
		f.Reason = rotated
	case StatusDue:
		f.At, f.Reason = dueReason(s, at, set, rotated)
	case StatusNotYetValid:
		f.At = cur.NotBefore
		f.Reason = fmt.Sprintf("not valid until %s (in %s)", cur.NotBefore.Format(time.DateOnly), span(cur.NotBefore.Sub(at)))
	case StatusSnoozed:
		if f.SnoozedUntil.After(at.Add(set.DueWindow)) {
			return f, false
		}
		f.At = f.SnoozedUntil
		f.Reason = fmt.Sprintf("snoozed until %s", f.SnoozedUntil.Format(time.DateOnly))
		// Snoozed secrets are stale or due underneath; say which.
		if at.After(stale) {
			f.Reason += "; " + rotated
		} else {
			_, why := dueReason(s, at, set, rotated)
			f.Reason += "; " + why
		}
	default:
		// A snooze also quiets health problems: the user has looked.
		if len(health) == 0 || f.SnoozedUntil.After(at) {
			return f, false
		}
	}
	var words []string
	for _, h := range f.Health {
		words = append(words, h.Reason)
	}
	if f.Reason == "" {
		f.Reason = strings.Join(words, "; ")
	}
	return f, true
}

// DueBy says what makes a due secret due at at: its expiry (expiring
// true) or the moment it becomes stale, whichever counts first. The CLI
// and the TUI both word their reasons from it.
func (s *Secret) DueBy(at time.Time, set Settings) (when time.Time, expiring bool) {
	cur, stale := s.Current(), s.StaleAt(set)
	soon := !cur.Expires.IsZero() && !cur.Expires.After(at.Add(set.ExpiryWarning))
	if soon && (cur.Expires.Before(stale) || stale.After(at.Add(set.DueWindow))) {
		return cur.Expires, true
	}
	return stale, false
}

// dueReason says why a due secret is due, in words.
func dueReason(s *Secret, at time.Time, set Settings, rotated string) (time.Time, string) {
	when, expiring := s.DueBy(at, set)
	if expiring {
		return when, fmt.Sprintf("expires in %s", span(when.Sub(at)))
	}
	return when, fmt.Sprintf("stale in %s (%s)", span(when.Sub(at)), rotated)
}

// snoozeNotes adds to snoozed findings the note of the latest snooze
// decision from the audit log; names maps the snoozed secrets' ids to
// their names.
func (v *Vault) snoozeNotes(fs []Finding, names map[string]string) error {
	notes := map[string]string{}
	err := v.view(func(tx *txn) error {
		return tx.eachEvent(func(e Event) error {
			if name, ok := names[string(e.id)]; ok && e.Op == OpSnooze {
				notes[name] = e.Note
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for i := range fs {
		if n, ok := notes[fs[i].Name]; ok && fs[i].Status == StatusSnoozed && n != "" {
			until, rest, _ := strings.Cut(fs[i].Reason, "; ")
			fs[i].Reason = until + ": " + n + "; " + rest
		}
	}
	return nil
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

// others names the secrets in names, which is sorted, other than self:
// at most three, and how many more.
func others(names []string, self string) string {
	var o []string
	for _, n := range names {
		if n != self && len(o) < 3 {
			o = append(o, n)
		}
	}
	if more := len(names) - 1 - len(o); more > 0 {
		return strings.Join(o, ", ") + fmt.Sprintf(" and %d more", more)
	}
	return strings.Join(o, ", ")
}

// reuseKey is a random key, made once per process, for the keyed hashes
// that find values shared by several secrets: values are compared by
// HMAC-SHA256 under it, never as plaintext, and the hashes never leave
// memory.
var reuseKey = sync.OnceValue(func() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(err)
	}
	return k
})

// span says a duration in words, in the largest whole unit: "74 days",
// "1 day", "5 hours", "3 minutes".
func span(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	// Seconds between writing a secret and checking it must not turn
	// "6 days" into "5 days".
	d = d.Round(time.Minute)
	unit := func(n int64, word string) string {
		if n == 1 {
			return "1 " + word
		}
		return fmt.Sprintf("%d %ss", n, word)
	}
	switch {
	case d >= Day:
		return unit(int64(d/Day), "day")
	case d >= time.Hour:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute:
		return unit(int64(d/time.Minute), "minute")
	}
	return "less than a minute"
}

// Audit operations of the lifecycle calls below and of rotation review.
const (
	OpRotate  = "rotate"
	OpSnooze  = "snooze"
	OpPolicy  = "policy"
	OpDisable = "disable"
	OpReview  = "review"
)

// RotateOptions describe a rotation's new version.
type RotateOptions struct {
	// ContentType defaults to the current version's.
	ContentType string
	Expires     time.Time
	NotBefore   time.Time
	Note        string
}

// Rotate adds a new version to an existing secret and ends any snooze,
// in one transaction audited as "rotate". Unlike Put it never creates a
// secret: rotating a name that does not exist is a mistake.
func (v *Vault) Rotate(ctx context.Context, name string, value []byte, o RotateOptions) (Version, error) {
	if err := ValidateValue(value); err != nil {
		return Version{}, err
	}
	if err := ValidateContentType(o.ContentType); err != nil {
		return Version{}, err
	}
	var ver Version
	err := v.write(ctx, func(tx *txn) error {
		id, s, err := tx.lookupLive(name)
		if err != nil {
			return err
		}
		ct := o.ContentType
		if ct == "" {
			ct = s.Current().ContentType
		}
		delete(s.Tags, TagSnoozeUntil)
		ver, err = tx.addVersion(id, s, value, Version{ContentType: ct, Expires: o.Expires, NotBefore: o.NotBefore})
		if err != nil {
			return err
		}
		return tx.audit(Event{Op: OpRotate, Secret: name, id: id, Version: ver.Number, Note: o.Note, Outcome: "ok"})
	})
	return ver, err
}

// Snooze sets a secret's snooze-until tag, audited as "snooze" with the
// note that says why. until must be in the future.
func (v *Vault) Snooze(ctx context.Context, name string, until time.Time, note string) error {
	if !until.After(v.now()) {
		return fmt.Errorf("%w: snooze until %s is not in the future", ErrInvalid, until.UTC().Format(time.RFC3339))
	}
	return v.modify(ctx, name, OpSnooze, note, func(s *Secret) error {
		if s.Tags == nil {
			s.Tags = map[string]string{}
		}
		s.Tags[TagSnoozeUntil] = until.UTC().Format(time.RFC3339)
		return ValidateTags(s.Tags)
	})
}

// SetRotateEvery sets a secret's rotate-every tag (0 removes it, so that
// the vault default applies), audited as "policy" with a note.
func (v *Vault) SetRotateEvery(ctx context.Context, name string, every time.Duration, note string) error {
	if every != 0 {
		if err := checkRotateEvery(every); err != nil {
			return err
		}
	}
	what := TagRotateEvery + "=" + FormatDuration(every)
	if every == 0 {
		what = TagRotateEvery + " removed"
	}
	if note != "" {
		what += ": " + note
	}
	return v.modify(ctx, name, OpPolicy, what, func(s *Secret) error {
		if every == 0 {
			delete(s.Tags, TagRotateEvery)
			return nil
		}
		if s.Tags == nil {
			s.Tags = map[string]string{}
		}
		s.Tags[TagRotateEvery] = FormatDuration(every)
		return ValidateTags(s.Tags)
	})
}

// Disable disables a secret, audited as "disable" with a note.
func (v *Vault) Disable(ctx context.Context, name, note string) error {
	return v.modify(ctx, name, OpDisable, note, func(s *Secret) error {
		s.Enabled = false
		return nil
	})
}

// TimelineEntry is one moment in a secret's life.
type TimelineEntry struct {
	Time time.Time
	// Kind is "version" for a version, else the audit operation: "snooze",
	// "policy", "disable", "enable", "review", "tag", "untag", "update", "mv".
	Kind    string
	Version int
	// Lived is how long a version was current (until the next one, or
	// until now for the current version).
	Lived time.Duration
	// Op is the operation that wrote a version ("set", "rotate", ...).
	Op    string
	Actor string
	Note  string
}

// timelineOps are the audit operations a lifecycle timeline shows besides
// versions; reads (get, copy) are left out.
var timelineOps = []string{OpSnooze, OpPolicy, OpDisable, "enable", OpReview, "tag", "untag", "update", "mv", "recover", "rm"}

// Timeline returns a secret's lifecycle, newest first: its versions with
// how long each was current, merged with the snoozes, policy changes and
// review decisions of its audit trail.
func (v *Vault) Timeline(ctx context.Context, name string) ([]TimelineEntry, error) {
	s, err := v.Secret(ctx, name)
	if err != nil {
		return nil, err
	}
	events, err := v.Audit(ctx, name)
	if err != nil {
		return nil, err
	}
	now := v.now()
	byVersion := map[int]Event{}
	var out []TimelineEntry
	for _, e := range events {
		switch {
		case e.Version != 0 && e.Op != "get" && e.Op != "copy" && e.Op != "export":
			byVersion[e.Version] = e
		case slices.Contains(timelineOps, e.Op):
			out = append(out, TimelineEntry{Time: e.Time, Kind: e.Op, Actor: e.Actor, Note: e.Note})
		}
	}
	for i, ver := range s.Versions {
		end := now
		if i+1 < len(s.Versions) {
			end = s.Versions[i+1].Created
		}
		te := TimelineEntry{Time: ver.Created, Kind: "version", Version: ver.Number, Lived: end.Sub(ver.Created), Actor: ver.Actor}
		if e, ok := byVersion[ver.Number]; ok {
			te.Op, te.Note = e.Op, e.Note
		}
		out = append(out, te)
	}
	slices.SortStableFunc(out, func(a, b TimelineEntry) int { return b.Time.Compare(a.Time) })
	return out, nil
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
		for _, list := range frequency.FrequencyLists {
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
