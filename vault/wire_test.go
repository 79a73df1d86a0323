package vault

import (
	"reflect"
	"testing"
	"time"
)

func TestEncodeSecretsRoundTrip(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	list := []Secret{
		{Name: "a/b", Created: now, Updated: now, Enabled: true, Tags: map[string]string{"env": "prod", "rotate-every": "30d"},
			Versions: []Version{{Number: 1, ContentType: "text/plain", Created: now, Actor: "a@h", Size: 3}, {Number: 2, Created: now, Expires: now.Add(Day), NotBefore: now, Actor: "b@h", Size: 5}}},
		{Name: "c", Created: now, Updated: now, Deleted: now, Versions: []Version{{Number: 7, Created: now, Actor: "a@h"}}},
	}
	got, err := DecodeSecrets(EncodeSecrets(list))
	if err != nil || !reflect.DeepEqual(got, list) {
		t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, got, list)
	}
	if got, err := DecodeSecrets(EncodeSecrets(nil)); err != nil || len(got) != 0 {
		t.Fatalf("empty list: %v %v", got, err)
	}
	b := EncodeSecrets(list)
	for i := range b {
		if _, err := DecodeSecrets(b[:i]); err == nil {
			t.Errorf("a list cut at %d of %d bytes decoded", i, len(b))
		}
	}
}

func FuzzDecodeSecrets(f *testing.F) {
	f.Add(EncodeSecrets([]Secret{{Name: "x", Versions: []Version{{Number: 1}}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := DecodeSecrets(b)
		if err != nil {
			return
		}
		again, err := DecodeSecrets(EncodeSecrets(list))
		if err != nil || len(again) != len(list) {
			t.Fatalf("re-encoded list: %v", err)
		}
	})
}

func testFindings() []Finding {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	return []Finding{
		{Name: "a/b", Status: StatusExpired, Reason: "expired 3d ago", At: now, RotateEvery: 30 * Day,
			Rotated: now.Add(-40 * Day), Version: 2, Expires: now,
			Health: []HealthIssue{{Kind: HealthWeak, Reason: "guessable in seconds"}, {Kind: HealthReused, Reason: "same value as c"}}},
		// Zero times, no health, no version.
		{Name: "c", Status: StatusOK},
		{Name: "prod/é/ü-日本", Status: StatusSnoozed, Reason: "snoozed — until «Mai»", SnoozedUntil: now.Add(Day), Version: 7,
			Health: []HealthIssue{{Kind: HealthName, Reason: "name ‘pässwort’"}}},
		{Name: "d", Status: StatusStale, RotateEvery: -1, Version: -1, At: now.Add(-time.Nanosecond)},
	}
}

func TestEncodeFindingsRoundTrip(t *testing.T) {
	fs := testFindings()
	got, err := DecodeFindings(EncodeFindings(fs))
	if err != nil || !reflect.DeepEqual(got, fs) {
		t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, got, fs)
	}
	if got, err := DecodeFindings(EncodeFindings(nil)); err != nil || got != nil {
		t.Fatalf("no findings: %v %v", got, err)
	}
	b := EncodeFindings(fs)
	for i := range b {
		if _, err := DecodeFindings(b[:i]); err == nil {
			t.Errorf("findings cut at %d of %d bytes decoded", i, len(b))
		}
	}
	if _, err := DecodeFindings(append(b, 0)); err == nil {
		t.Error("findings with a trailing byte decoded")
	}
}

// FuzzDecodeFindings: any bytes decode or fail without panicking, and what
// decodes packs back to the same findings.
func FuzzDecodeFindings(f *testing.F) {
	f.Add(EncodeFindings(testFindings()))
	f.Add(EncodeFindings(nil))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, err := DecodeFindings(b)
		if err != nil {
			return
		}
		again, err := DecodeFindings(EncodeFindings(fs))
		if err != nil || !reflect.DeepEqual(again, fs) {
			t.Fatalf("re-encoded findings: %v\n got %+v\nwant %+v", err, again, fs)
		}
	})
}
