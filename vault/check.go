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
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
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
	sortFindings(fs, slices.IsSortedFunc(fs, func(a, b Finding) int { return strings.Compare(a.Name, b.Name) }))
}

// sortFindings sorts fs as SortFindings says; byName says fs is in name
// order already (Check's, from the cache), so that the position breaks
// ties as the name would, without comparing long names that share their
// start.
func sortFindings(fs []Finding, byName bool) {
	// Sort small keys, urgency computed once each, then move every
	// finding once: sorting the large structs themselves took most of a
	// check of 100k secrets. Names are unique, so no order is left to
	// chance and the sort need not be stable. The moment is two integers
	// (the same order as time.Time.Compare), which compare faster than
	// times.
	type sortKey struct {
		sec     int64
		nsec    int32
		urgency int32
		i       int
	}
	keys := make([]sortKey, len(fs))
	for i := range fs {
		keys[i] = sortKey{fs[i].At.Unix(), int32(fs[i].At.Nanosecond()), int32(urgency(fs[i])), i}
	}
	slices.SortFunc(keys, func(a, b sortKey) int {
		if c := cmp.Or(cmp.Compare(a.urgency, b.urgency), cmp.Compare(a.sec, b.sec), cmp.Compare(a.nsec, b.nsec)); c != 0 || byName {
			return cmp.Or(c, cmp.Compare(a.i, b.i))
		}
		return cmp.Or(strings.Compare(fs[a.i].Name, fs[b.i].Name), cmp.Compare(a.i, b.i))
	})
	// Place fs[keys[i].i] at i in place, one cycle of the permutation at
	// a time (a done place is marked -1), rather than through a copy of
	// 87k findings.
	for start := range keys {
		if keys[start].i < 0 {
			continue
		}
		held := fs[start]
		at := start
		for {
			from := keys[at].i
			keys[at].i = -1
			if from == start {
				fs[at] = held
				break
			}
			fs[at] = fs[from]
			at = from
		}
	}
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
func (v *Vault) Check(ctx context.Context, at time.Time) (_ []Finding, err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done(&err)
	if at.IsZero() {
		at = v.now()
	}
	set := v.currentSettings()
	type entry struct {
		id string
		s  *Secret
		cv *checkView
		valueFacts
		// known says the facts came from the cache: the value is not read.
		known bool
	}
	// live is in the order the secrets come, by name with the cache, so
	// that the findings need little sorting.
	var live []entry
	tasks, judging := judge(ctx)
	mac := hmac.New(sha256.New, reuseKey())
	var sum [sha256.Size]byte
	err = v.view(func(tx *txn) error {
		defer func() {
			close(tasks)
			judging.Wait()
		}()
		unknown := 0
		if v.cache != nil {
			if err := v.cache.ensure(ctx, v); err != nil {
				return err
			}
			live = make([]entry, 0, v.cache.size())
			v.cache.checkEntries(func(c cached, learned *valueFacts) {
				if !c.check.view.live {
					return
				}
				e := entry{id: c.id, s: c.s, cv: &c.check.view}
				if learned != nil {
					e.valueFacts, e.known = *learned, true
					e.health = slices.Clone(e.health)
				} else {
					unknown++
				}
				live = append(live, e)
			})
		} else {
			err := tx.eachSecret(func(id []byte, s *Secret) error {
				if cv := newCheckView(s); cv.live {
					live = append(live, entry{id: string(id), s: s, cv: &cv})
					unknown++
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if unknown == 0 {
			return nil
		}
		byID := make(map[string]*entry, unknown)
		for i := range live {
			if !live[i].known {
				byID[live[i].id] = &live[i]
			}
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
			e := byID[string(k[1:1+idSize])]
			n := binary.BigEndian.Uint64(k[1+idSize:])
			if e == nil || n != uint64(e.cv.cur.Number) {
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
				e.sum = prefix64(e.hash)
				// A value piped with echo ends in a newline that is not part
				// of the password; strength and name look past it.
				val = bytes.TrimSuffix(bytes.TrimSuffix(val, []byte("\n")), []byte("\r"))
				if equalsName(val, e.s.Name) {
					e.health = append(e.health, HealthIssue{Kind: HealthName, Reason: "value equals its name"})
				}
				if passwordLike(e.cv.cur.ContentType) && !bytes.ContainsAny(val, "\n\r") {
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
		for i := range live {
			if e := &live[i]; !e.known && e.hash == "" {
				// The metadata names a current version whose value is gone:
				// the secret would fail at its next read.
				return fmt.Errorf("%w: the current value of %q is missing", ErrIntegrity, e.s.Name)
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

	if v.cache != nil {
		for i := range live {
			if e := &live[i]; !e.known {
				v.cache.learn(e.id, e.s, e.valueFacts)
			}
		}
	}
	// Values shared by more than one secret: count every hash by its
	// first 8 bytes (uniformly random: an HMAC), which hashes faster than
	// the whole string, and list names by the whole hash only for the few
	// that repeat.
	count := make(map[uint64]int32, len(live))
	for i := range live {
		if live[i].hash != "" {
			count[live[i].sum]++
		}
	}
	byHash := map[string][]string{}
	for i := range live {
		if e := &live[i]; e.hash != "" && count[e.sum] > 1 {
			byHash[e.hash] = append(byHash[e.hash], e.s.Name)
		}
	}
	for _, names := range byHash {
		slices.Sort(names)
	}
	out := make([]Finding, 0, len(live))
	snoozed := map[string]string{} // id → name
	var w reasons
	for i := range live {
		e := &live[i]
		if e.judged && e.score < WeakScore {
			e.health = append(e.health, weakIssue(e.score))
		}
		if names := byHash[e.hash]; len(names) > 1 {
			e.health = append(e.health, HealthIssue{Kind: HealthReused, Reason: "same value as " + others(names, e.s.Name)})
		}
		f, ok := w.finding(e.s, e.cv, at, set, e.health)
		if ok {
			if f.Status == StatusSnoozed {
				snoozed[e.id] = e.s.Name
			}
			out = append(out, f)
		}
	}
	if len(snoozed) > 0 {
		if err := v.snoozeNotes(out, snoozed); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		// No findings is nil, as before out was sized.
		return nil, nil
	}
	sortFindings(out, v.cache != nil)
	return out, nil
}

// checkView is what Check needs of a secret apart from the moment and
// the settings: the current version, the rotation tag and the snooze,
// worked out once (per record, in an agent's cache) instead of reading the
// tags again for every finding.
type checkView struct {
	cur Version
	// rotate is the rotate-every tag; 0 when the vault's setting applies.
	rotate  time.Duration
	snoozed time.Time
	otp     bool
	// live is enabled and not in the trash: only these are checked.
	live bool
}

func newCheckView(s *Secret) checkView {
	cv := checkView{cur: s.Current(), snoozed: s.SnoozedUntil(), live: s.Enabled && !s.InTrash()}
	cv.otp = IsOTP(cv.cur.ContentType)
	if t, ok := s.Tags[TagRotateEvery]; ok {
		cv.rotate, _ = ParseInterval(t)
	}
	return cv
}

// every is Secret.RotateEvery.
func (cv *checkView) every(set Settings) time.Duration {
	if cv.rotate > 0 {
		return cv.rotate
	}
	return set.RotateEvery
}

// reasons words findings, remembering the words it has said: at 87k
// findings the same few thousand phrases repeat.
type reasons struct {
	days   []string // FormatWords of n whole days, by n
	policy map[time.Duration]string
}

// words is FormatWords.
func (w *reasons) words(d time.Duration) string {
	d = d.Abs().Round(time.Minute)
	n := int(d / Day)
	if n < 1 || n > 3660 {
		return FormatWords(d)
	}
	if n >= len(w.days) {
		w.days = append(w.days, make([]string, n+1-len(w.days))...)
	}
	if w.days[n] == "" {
		w.days[n] = FormatWords(d)
	}
	return w.days[n]
}

// rotated says when the current version was set and its policy.
func (w *reasons) rotated(cur *Version, every time.Duration, at time.Time) string {
	p, ok := w.policy[every]
	if !ok {
		if w.policy == nil {
			w.policy = map[time.Duration]string{}
		}
		p = " ago, policy " + FormatDuration(every)
		w.policy[every] = p
	}
	verb := "set "
	if cur.Number > 1 {
		verb = "rotated "
	}
	return verb + w.words(at.Sub(cur.Created)) + p
}

// dueReason says why a due secret is due, in words.
func (w *reasons) dueReason(cur *Version, every time.Duration, stale, at time.Time, set Settings) (time.Time, string) {
	when, expiring := dueBy(cur, stale, at, set)
	if expiring {
		return when, "expires in " + w.words(when.Sub(at))
	}
	return when, "stale in " + w.words(when.Sub(at)) + " (" + w.rotated(cur, every, at) + ")"
}

// finding decides whether s needs attention at at and says why.
func (w *reasons) finding(s *Secret, cv *checkView, at time.Time, set Settings, health []HealthIssue) (Finding, bool) {
	cur := &cv.cur
	every := cv.every(set)
	stale := cur.Created.Add(every)
	f := Finding{
		Name:         s.Name,
		Status:       s.status(at, set, cur, stale, cv.otp),
		RotateEvery:  every,
		Rotated:      cur.Created,
		Version:      cur.Number,
		Expires:      cur.Expires,
		SnoozedUntil: cv.snoozed,
		Health:       health,
	}
	if (f.Status == StatusStale || f.Status == StatusDue) && f.SnoozedUntil.After(at) {
		f.Status = StatusSnoozed
	}
	if len(f.Health) > 1 {
		slices.SortFunc(f.Health, func(a, b HealthIssue) int { return strings.Compare(a.Kind, b.Kind) })
	}
	switch f.Status {
	case StatusExpired:
		f.At = cur.Expires
		f.Reason = "expired " + w.words(at.Sub(cur.Expires)) + " ago"
	case StatusStale:
		f.At = stale
		f.Reason = w.rotated(cur, every, at)
	case StatusDue:
		f.At, f.Reason = w.dueReason(cur, every, stale, at, set)
	case StatusNotYetValid:
		f.At = cur.NotBefore
		f.Reason = "not valid until " + cur.NotBefore.Format(time.DateOnly) + " (in " + w.words(cur.NotBefore.Sub(at)) + ")"
	case StatusSnoozed:
		if f.SnoozedUntil.After(at.Add(set.DueWindow)) {
			return f, false
		}
		f.At = f.SnoozedUntil
		f.Reason = "snoozed until " + f.SnoozedUntil.Format(time.DateOnly)
		// Snoozed secrets are stale or due underneath; say which.
		if at.After(stale) {
			f.Reason += "; " + w.rotated(cur, every, at)
		} else {
			_, why := w.dueReason(cur, every, stale, at, set)
			f.Reason += "; " + why
		}
	default:
		// A snooze also quiets health problems: the user has looked.
		if len(health) == 0 || f.SnoozedUntil.After(at) {
			return f, false
		}
	}
	if f.Reason == "" {
		words := make([]string, len(f.Health))
		for i, h := range f.Health {
			words[i] = h.Reason
		}
		f.Reason = strings.Join(words, "; ")
	}
	return f, true
}

// DueBy says what makes a due secret due at at: its expiry (expiring
// true) or the moment it becomes stale, whichever counts first. The CLI
// and the TUI both word their reasons from it.
func (s *Secret) DueBy(at time.Time, set Settings) (when time.Time, expiring bool) {
	cur := s.Current()
	return dueBy(&cur, s.StaleAt(set), at, set)
}

// dueBy is DueBy with the current version and its stale moment given.
func dueBy(cur *Version, stale, at time.Time, set Settings) (time.Time, bool) {
	soon := !cur.Expires.IsZero() && !cur.Expires.After(at.Add(set.ExpiryWarning))
	if soon && (cur.Expires.Before(stale) || stale.After(at.Add(set.DueWindow))) {
		return cur.Expires, true
	}
	return stale, false
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

// prefix64 is the first 8 bytes of a keyed hash.
func prefix64(h string) uint64 {
	var p uint64
	for i := range min(8, len(h)) {
		p = p<<8 | uint64(h[i])
	}
	return p
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
