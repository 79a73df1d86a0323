package vault

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// TagChange sets and removes a secret's tags in one audited step. Snoozes
// and rotation policies are tags too (snooze-until, rotate-every): a
// change that touches only one of them is audited as OpSnooze or OpPolicy,
// any other as OpTag or OpUntag.
type TagChange struct {
	// Set adds or replaces these tags.
	Set map[string]string
	// Remove drops these keys. Removing a key the secret does not carry is
	// an error, so that a typo does not pass silently, unless IgnoreMissing.
	Remove        []string
	IgnoreMissing bool
	// Note says why, in the audit log.
	Note string
}

// Snooze is the tag change that snoozes a secret's rotation until until.
func Snooze(until time.Time, note string) TagChange {
	return TagChange{Set: map[string]string{TagSnoozeUntil: until.UTC().Format(time.RFC3339)}, Note: note}
}

// RotateEvery is the tag change that sets a secret's rotation interval;
// 0 removes it, so that the vault default applies.
func RotateEvery(every time.Duration, note string) TagChange {
	if every == 0 {
		// The vault default applies whether or not the tag was there.
		return TagChange{Remove: []string{TagRotateEvery}, IgnoreMissing: true, Note: note}
	}
	return TagChange{Set: map[string]string{TagRotateEvery: FormatDuration(every)}, Note: note}
}

// op names the change in the audit log, with its note.
func (c TagChange) op() (Op, string) {
	only := func(k string) bool {
		keys := slices.Concat(slices.Collect(maps.Keys(c.Set)), c.Remove)
		return len(keys) == 1 && keys[0] == k
	}
	with := func(what string) string {
		if c.Note != "" {
			return what + ": " + c.Note
		}
		return what
	}
	switch {
	case only(TagSnoozeUntil) && len(c.Set) == 1:
		return OpSnooze, c.Note
	case only(TagRotateEvery) && len(c.Set) == 1:
		return OpPolicy, with(TagRotateEvery + "=" + c.Set[TagRotateEvery])
	case only(TagRotateEvery):
		return OpPolicy, with(TagRotateEvery + " removed")
	case len(c.Set) == 0:
		if c.Note != "" {
			return OpUntag, c.Note
		}
		return OpUntag, strings.Join(c.Remove, ",")
	}
	return OpTag, c.Note
}

// Tag applies a tag change. It adds no version.
func (v *Vault) Tag(ctx context.Context, name string, c TagChange) (err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return err
	}
	defer done(&err)
	if err := ValidateTags(c.Set); err != nil {
		return err
	}
	for _, k := range c.Remove {
		if err := ValidateTagKey(k); err != nil {
			return err
		}
	}
	op, note := c.op()
	if op == OpSnooze {
		until, _ := ParseTime(c.Set[TagSnoozeUntil])
		if !until.After(v.now()) {
			return fmt.Errorf("%w: snooze until %s is not in the future", ErrInvalid, until.UTC().Format(time.RFC3339))
		}
	}
	now := v.now()
	return v.modify(ctx, name, op, note, func(s *Secret) error {
		if op == OpSnooze && s.Expired(now) {
			return ErrExpiredSnooze
		}
		for _, k := range c.Remove {
			if _, ok := s.Tags[k]; !ok && !c.IgnoreMissing {
				return fmt.Errorf("%w: %q has no tag %q", ErrNotFound, name, k)
			}
			delete(s.Tags, k)
		}
		if len(c.Set) > 0 {
			if s.Tags == nil {
				s.Tags = map[string]string{}
			}
			maps.Copy(s.Tags, c.Set)
		}
		return ValidateTags(s.Tags)
	})
}
