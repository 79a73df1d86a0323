package vault

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"a", "prod/db/password", "a//b", "/a", "a/", ".", "..", "a/../b", strings.Repeat("x", 257), "a\x1b[2J", "é/ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateName(name)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			if Sanitize(err.Error()) != err.Error() {
				t.Fatalf("error text carries control characters: %q", err)
			}
			return
		}
		// An accepted name obeys every documented naming rule.
		if len(name) < 1 || len(name) > MaxNameLen {
			t.Fatalf("accepted a name of %d bytes", len(name))
		}
		for _, seg := range strings.Split(name, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("accepted segment %q in %q", seg, name)
			}
			for _, c := range []byte(seg) {
				if !nameByte(c) {
					t.Fatalf("accepted byte %q in %q", c, name)
				}
			}
		}
		if Sanitize(name) != name {
			t.Fatalf("accepted a name that needs sanitising: %q", name)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90d", "12w", "36h", "1d12h", "20s", "0s", "1048576w", "99999999999999999999d", "d", "5", "-3d", "1x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if d < 0 || d > maxDuration {
			t.Fatalf("ParseDuration(%q) = %v: out of range", s, d)
		}
		// What FormatDuration prints reads back the same, to the second.
		d = d.Truncate(time.Second)
		back, err := ParseDuration(FormatDuration(d))
		if err != nil || back != d {
			t.Fatalf("round trip of %v via %q: %v, %v", d, FormatDuration(d), back, err)
		}
	})
}

func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"90d", "-3d", "+12h", "2026-03-01", "2026-03-01T10:00:00Z", "2026-03-01T10:00:00+02:00", "yesterday", "", "-", "+"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseWhen(s, now)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if tm.Location() != time.UTC {
			t.Fatalf("ParseWhen(%q) is not UTC: %v", s, tm)
		}
		if d, err := ParseDuration(strings.TrimLeft(s, "+-")); err == nil {
			want := now.Add(d)
			if strings.HasPrefix(s, "-") {
				want = now.Add(-d)
			}
			if !tm.Equal(want) {
				t.Fatalf("ParseWhen(%q) = %v, want %v", s, tm, want)
			}
		}
	})
}

func FuzzDecodeSecret(f *testing.F) {
	s := &Secret{Name: "a/b", Created: time.Unix(1700000000, 5).UTC(), Enabled: true, Tags: map[string]string{"env": "prod"},
		Versions: []Version{{Number: 1, ContentType: "text/plain", Created: time.Unix(1700000000, 0).UTC(), Actor: "me@host", Size: 5}}}
	f.Add(encodeSecret(s))
	f.Add([]byte{secretCodecVersion})
	f.Add([]byte{secretCodecVersion, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeSecret(b)
		if err != nil {
			return
		}
		// Whatever decodes encodes back to the same bytes, except for
		// tag order and the enabled byte, which the encoder normalises.
		s2, err := decodeSecret(encodeSecret(s))
		if err != nil || !reflect.DeepEqual(s, s2) {
			t.Fatalf("re-encoding changed the secret: %v\n%+v\n%+v", err, s, s2)
		}
	})
}

// FuzzSecretRoundTrip builds valid secrets from fuzzed fields and checks
// that decoding their encoding gives them back.
func FuzzSecretRoundTrip(f *testing.F) {
	f.Add("a/b", "text/plain", "env", "prod", "me@host", int64(1700000000123456789), int64(0), true, uint16(1), uint32(5))
	f.Add("x", "", "", "", "", int64(-1), int64(1), false, uint16(3), uint32(65536))
	f.Fuzz(func(t *testing.T, name, ct, tk, tv, actor string, created, expires int64, enabled bool, nver uint16, size uint32) {
		if ValidateName(name) != nil || ValidateContentType(ct) != nil || len(actor) > 1024 || size > MaxValueLen {
			return
		}
		s := &Secret{Name: name, Created: unixOrZero(created), Updated: unixOrZero(created + 1), Enabled: enabled}
		if tk != "" {
			if ValidateTag(tk, tv) != nil {
				return
			}
			s.Tags = map[string]string{tk: tv}
		}
		for i := range int(nver%8) + 1 {
			s.Versions = append(s.Versions, Version{Number: i + 1, ContentType: ct, Created: unixOrZero(created), Expires: unixOrZero(expires), Actor: actor, Size: int(size)})
		}
		got, err := decodeSecret(encodeSecret(s))
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if !reflect.DeepEqual(s, got) {
			t.Fatalf("round trip:\n%+v\n%+v", s, got)
		}
	})
}

func unixOrZero(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

func FuzzParseTag(f *testing.F) {
	for _, s := range []string{"env=prod", "rotate-every=30d", "rotate-every=0d", "snooze-until=2027-01-31", "k=", "=v", "novalue", "a=b=c", "k\x1b=v"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, v, err := ParseTag(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if k+"="+v != s {
			t.Fatalf("ParseTag(%q) = %q, %q: does not rebuild the input", s, k, v)
		}
		if err := ValidateTags(map[string]string{k: v}); err != nil {
			t.Fatalf("ParseTag accepted %q but ValidateTags refuses it: %v", s, err)
		}
	})
}

func FuzzParseGenerateSpec(f *testing.F) {
	for _, s := range []string{"", "length=32,charset=alnum", "words=6,sep=.", "charset=lower+digits,no-lookalikes", "length=-1", "length=99999", "charset=nope", "no-lookalikes=1", ","} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseGenerateSpec(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		val, err := Generate(o)
		if err != nil {
			t.Fatalf("ParseGenerateSpec(%q) accepted options Generate refuses: %v", s, err)
		}
		if o.Words == 0 && len(val) != o.Length {
			t.Fatalf("spec %q: got %d characters, want %d", s, len(val), o.Length)
		}
	})
}
