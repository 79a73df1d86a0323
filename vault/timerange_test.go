package vault

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestTimesOutOfRange: a time the int64 nanoseconds of the codec cannot
// hold (year 2300 would be stored as 1715) is refused wherever it enters.
func TestTimesOutOfRange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	y2300 := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range []string{"2300-01-01", "2999-12-31T00:00:00Z", "1600-01-01", "100000d"} {
		if _, err := ParseWhen(s, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseWhen(%q): %v, want ErrInvalid", s, err)
		}
	}
	edge := time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
	if got, err := ParseWhen("2262-01-01", now); err != nil || !got.Equal(edge) {
		t.Errorf("ParseWhen(2262-01-01) = %v, %v", got, err)
	}

	v := newVault(t, DefaultSettings(), newClock())
	if _, err := v.Put(ctx, "a", []byte("x"), PutOptions{Expires: y2300}); !errors.Is(err, ErrInvalid) {
		t.Errorf("put expiring in 2300: %v", err)
	}
	mustPut(t, v, "a", "x", PutOptions{Expires: edge})
	if err := v.Update(ctx, "a", Attributes{NotBefore: &y2300}); !errors.Is(err, ErrInvalid) {
		t.Errorf("update not-before 2300: %v", err)
	}
	sd := data("imported", "x")
	sd.Versions[0].Created = time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := v.Import(ctx, SecretsOf([]SecretData{sd}), ImportOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("import of a 2999 version: %v", err)
	}
	s, err := v.Secret(ctx, "a")
	if err != nil || !s.Current().Expires.Equal(edge) {
		t.Errorf("the edge of the range did not round-trip: %v %v", s.Current().Expires, err)
	}
}
