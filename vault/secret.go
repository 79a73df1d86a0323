package vault

import (
	"maps"
	"slices"
	"time"
)

// Version is one immutable version of a secret, without its value.
type Version struct {
	Number      int       `json:"version"`
	ContentType string    `json:"content_type,omitempty"`
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires,omitzero"`
	NotBefore   time.Time `json:"not_before,omitzero"`
	Actor       string    `json:"actor"`
	Size        int       `json:"size"`
}

// Secret is a secret's metadata: everything but the values.
type Secret struct {
	Name    string            `json:"name"`
	Created time.Time         `json:"created"`
	Updated time.Time         `json:"updated"`
	Enabled bool              `json:"enabled"`
	Tags    map[string]string `json:"tags,omitempty"`
	// Versions are oldest first. With max-versions set, the oldest may
	// have been pruned, so Versions[0].Number need not be 1.
	Versions []Version `json:"versions"`
	// Deleted is when the secret was moved to the trash; zero otherwise.
	Deleted time.Time `json:"deleted,omitzero"`
}

// Current returns the newest version.
func (s *Secret) Current() Version {
	if len(s.Versions) == 0 {
		return Version{}
	}
	return s.Versions[len(s.Versions)-1]
}

// Version returns version n, or false.
func (s *Secret) Version(n int) (Version, bool) {
	for _, v := range s.Versions {
		if v.Number == n {
			return v, true
		}
	}
	return Version{}, false
}

// InTrash reports whether the secret is soft-deleted.
func (s *Secret) InTrash() bool { return !s.Deleted.IsZero() }

// Clone returns a deep copy.
func (s Secret) Clone() Secret {
	s.Tags = maps.Clone(s.Tags)
	s.Versions = slices.Clone(s.Versions)
	return s
}

// Status is a secret's lifecycle state at a moment.
type Status string

// The statuses, in the documented order.
const (
	StatusDisabled    Status = "disabled"
	StatusExpired     Status = "expired"
	StatusNotYetValid Status = "not-yet-valid"
	StatusStale       Status = "stale"
	StatusDue         Status = "due"
	StatusSnoozed     Status = "snoozed"
	StatusOK          Status = "ok"
)

// Statuses lists every status, most urgent first.
var Statuses = []Status{StatusExpired, StatusStale, StatusDue, StatusNotYetValid, StatusDisabled, StatusSnoozed, StatusOK}

// Reserved tag keys.
const (
	TagRotateEvery = "rotate-every"
	TagSnoozeUntil = "snooze-until"
	// TagGitRejected marks a git credential that a server refused (git
	// called the helper's erase), with the RFC 3339 time of the refusal.
	TagGitRejected = "git-rejected"
	// ReservedTagPrefix starts the keys that carry a secret's attributes
	// in a sync server's custom_metadata (locket-enabled, locket-trashed,
	// ...): no tag may use it, or it could not travel.
	ReservedTagPrefix = "locket-"
)

// RotateEvery is the rotation interval in force for s: its rotate-every tag
// when that parses, else the vault default.
func (s *Secret) RotateEvery(set Settings) time.Duration {
	if v, ok := s.Tags[TagRotateEvery]; ok {
		if d, err := ParseInterval(v); err == nil {
			return d
		}
	}
	return set.RotateEvery
}

// Expired reports whether the current version has expired at now.
func (s *Secret) Expired(now time.Time) bool {
	exp := s.Current().Expires
	return !exp.IsZero() && !exp.After(now)
}

// StaleAt is when the current version becomes stale.
func (s *Secret) StaleAt(set Settings) time.Time {
	return s.Current().Created.Add(s.RotateEvery(set))
}

// SnoozedUntil returns the snooze-until tag's time, or zero. It reads
// every form ValidateTag accepts, a bare date included.
func (s *Secret) SnoozedUntil() time.Time {
	if v, ok := s.Tags[TagSnoozeUntil]; ok {
		if t, err := ParseTime(v); err == nil {
			return t
		}
	}
	return time.Time{}
}

// Status computes the status at now, first match wins: disabled, expired
// (expires <= now),
// not-yet-valid, stale (age > interval), due (expires or stale within
// the warning windows); a stale or due secret snoozed past now is
// snoozed; else ok.
func (s *Secret) Status(now time.Time, set Settings) Status {
	cur := s.Current()
	st := s.status(now, set, &cur, cur.Created.Add(s.RotateEvery(set)), IsOTP(cur.ContentType))
	if (st == StatusStale || st == StatusDue) && s.SnoozedUntil().After(now) {
		return StatusSnoozed
	}
	return st
}

// status is Status before the snooze, with the current version and the
// moment it becomes stale worked out once by the caller (check reads the
// rotation tag once per secret, not once per question), and whether the
// current value is a TOTP seed, which is not rotated on a schedule: only
// its expiry counts.
func (s *Secret) status(now time.Time, set Settings, cur *Version, stale time.Time, otpSeed bool) Status {
	switch {
	case !s.Enabled:
		return StatusDisabled
	case !cur.Expires.IsZero() && !cur.Expires.After(now):
		return StatusExpired
	case !cur.NotBefore.IsZero() && cur.NotBefore.After(now):
		return StatusNotYetValid
	}
	switch {
	case now.After(stale) && !otpSeed: // "older than its rotation interval"
		return StatusStale
	case !cur.Expires.IsZero() && !cur.Expires.After(now.Add(set.ExpiryWarning)),
		!stale.After(now.Add(set.DueWindow)) && !otpSeed:
		return StatusDue
	}
	return StatusOK
}
