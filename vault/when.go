package vault

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxDuration bounds every duration locket reads: a century.
const maxDuration = 100 * 365 * Day

// ParseDuration parses durations such as 90d, 12w, 36h, 30m, 20s or
// combinations like 1d12h. A bare number is refused: units are required.
func ParseDuration(s string) (time.Duration, error) {
	orig := s
	if s == "" {
		return 0, fmt.Errorf("%w: empty duration", ErrInvalid)
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, fmt.Errorf("%w: duration %q must look like 90d, 12w, 36h, 30m or 20s", ErrInvalid, orig)
		}
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n > 1<<20 {
			return 0, fmt.Errorf("%w: duration %q is too large", ErrInvalid, orig)
		}
		var unit time.Duration
		switch s[i] {
		case 'w':
			unit = 7 * Day
		case 'd':
			unit = Day
		case 'h':
			unit = time.Hour
		case 'm':
			unit = time.Minute
		case 's':
			unit = time.Second
		default:
			return 0, fmt.Errorf("%w: duration %q has unknown unit %q (use w, d, h, m or s)", ErrInvalid, orig, string(s[i]))
		}
		// Check before multiplying: 2^20 weeks overflows time.Duration.
		if time.Duration(n) > maxDuration/unit {
			return 0, fmt.Errorf("%w: duration %q is too large", ErrInvalid, orig)
		}
		total += time.Duration(n) * unit
		if total > maxDuration {
			return 0, fmt.Errorf("%w: duration %q is too large", ErrInvalid, orig)
		}
		s = s[i+1:]
	}
	return total, nil
}

// FormatDuration prints d the way ParseDuration reads it, in the largest
// exact unit: 60d, 36h, 20s.
func FormatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%Day == 0:
		return strconv.FormatInt(int64(d/Day), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}

// ParseTime parses an RFC 3339 time or a date (YYYY-MM-DD, midnight UTC).
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%w: %q is not an RFC 3339 time or a YYYY-MM-DD date", ErrInvalid, s)
}

// ParseWhen parses the documented WHEN: an RFC 3339 time, a date, or a duration
// from now ("90d"; "-3d" for the past).
func ParseWhen(s string, now time.Time) (time.Time, error) {
	if strings.HasPrefix(s, "-") {
		d, err := ParseDuration(s[1:])
		if err != nil {
			return time.Time{}, err
		}
		return now.Add(-d).UTC(), nil
	}
	if d, err := ParseDuration(strings.TrimPrefix(s, "+")); err == nil {
		return now.Add(d).UTC(), nil
	}
	t, err := ParseTime(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q is not a time (RFC 3339), a date (YYYY-MM-DD) or a duration (90d)", ErrInvalid, s)
	}
	return t, nil
}

// Durations are written for people in three forms, all here: FormatDuration
// as ParseDuration reads it (60d), FormatWords in sentences (74 days) and
// FormatShort in narrow columns (74d).

// FormatWords says a duration in words, in the largest whole unit: "74
// days", "1 day", "5 hours", "3 minutes". The sign is dropped: the
// sentence says "ago" or "in".
func FormatWords(d time.Duration) string {
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

// FormatShort says a duration in one unit, rounded down, for columns:
// 45s, 12m, 5h, 61d, 2y; a negative one starts with "-".
func FormatShort(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		s = fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		s = fmt.Sprintf("%dm", int(d/time.Minute))
	case d < Day:
		s = fmt.Sprintf("%dh", int(d/time.Hour))
	case d < 730*Day:
		s = fmt.Sprintf("%dd", int(d/Day))
	default:
		s = fmt.Sprintf("%dy", int(d/(365*Day)))
	}
	if neg {
		return "-" + s
	}
	return s
}
