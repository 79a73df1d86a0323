package vault

import (
	"context"
	"slices"
	"time"
)

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
	Op    Op
	Actor string
	Note  string
}

// timelineOps are the audit operations a lifecycle timeline shows besides
// versions; reads (get, copy) are left out.
var timelineOps = []Op{OpSnooze, OpPolicy, OpDisable, OpEnable, OpReview, OpTag, OpUntag, OpUpdate, OpMove, OpRecover, OpDelete}

// Timeline returns a secret's lifecycle, newest first: its versions with
// how long each was current, merged with the snoozes, policy changes and
// review decisions of its audit trail.
func (v *Vault) Timeline(ctx context.Context, name string) (_ []TimelineEntry, err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done(&err)
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
		case e.Version != 0 && !e.Op.Read():
			byVersion[e.Version] = e
		case slices.Contains(timelineOps, e.Op):
			out = append(out, TimelineEntry{Time: e.Time, Kind: string(e.Op), Actor: e.Actor, Note: e.Note})
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
