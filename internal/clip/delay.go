package clip

import (
	"fmt"
	"os"
	"time"

	"locket/vault"
)

// Bounds and default of the delay before the clipboard is cleared.
const (
	MinDelay     = time.Second
	MaxDelay     = time.Hour
	DefaultDelay = 20 * time.Second
)

// ClearDelay resolves the delay before clearing: flag when it is not
// empty (--clear-after), else LOCKET_CLIP_TIME, else DefaultDelay. Errors
// wrap vault.ErrInvalid.
func ClearDelay(flag string) (time.Duration, error) {
	src, s := "--clear-after", flag
	if s == "" {
		src, s = "LOCKET_CLIP_TIME", os.Getenv("LOCKET_CLIP_TIME")
	}
	if s == "" {
		return DefaultDelay, nil
	}
	d, err := vault.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", src, err)
	}
	if err := checkDelay(d); err != nil {
		return 0, fmt.Errorf("%s: %w", src, err)
	}
	return d, nil
}

func checkDelay(d time.Duration) error {
	if d < MinDelay || d > MaxDelay {
		return fmt.Errorf("%w: the clipboard delay must be between %s and %s", vault.ErrInvalid,
			vault.FormatDuration(MinDelay), vault.FormatDuration(MaxDelay))
	}
	return nil
}
