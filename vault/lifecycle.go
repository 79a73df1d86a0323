package vault

import (
	"context"
	"fmt"
	"time"
)

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
