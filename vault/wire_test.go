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
