package vault

import (
	"fmt"
	"math"
	"time"
)

// A vault stores a time as nanoseconds since 1970 in an int64 (codec.go),
// which holds 1677-09-21 to 2262-04-11. A time outside that range would be
// stored as another one (year 2300 as 1715), so every time that enters
// the vault, from a flag, a backup or an importer, is checked here first.
var (
	minTime = time.Unix(0, math.MinInt64).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// ValidateTime refuses a time the vault cannot store; what names it in
// the error. The zero time (no time) is valid.
func ValidateTime(what string, t time.Time) error {
	if t.IsZero() || !t.Before(minTime) && !t.After(maxTime) {
		return nil
	}
	return fmt.Errorf("%w: %s %s is out of range: times from %s to %s are supported",
		ErrInvalid, what, t.UTC().Format(time.DateOnly), minTime.AddDate(0, 0, 1).Format(time.DateOnly), maxTime.AddDate(0, 0, -1).Format(time.DateOnly))
}

// ValidateTimes checks several times, stopping at the first bad one.
func ValidateTimes(times ...NamedTime) error {
	for _, nt := range times {
		if err := ValidateTime(nt.What, nt.T); err != nil {
			return err
		}
	}
	return nil
}

// NamedTime is a time and what it is, for ValidateTimes.
type NamedTime struct {
	What string
	T    time.Time
}
