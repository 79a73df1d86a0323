package vault

import (
	"errors"
	"testing"
	"time"
)

// The RFC 6238 appendix B vectors, as pquerna/otp's own tests use them:
// the ASCII seed "12345678901234567890" in base32, eight digits, SHA-1.
func TestTOTPVectors(t *testing.T) {
	t.Parallel()
	uri := []byte("otpauth://totp/Example:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example&digits=8&period=30")
	for unix, want := range map[int64]string{
		59: "94287082", 1111111109: "07081804", 1111111111: "14050471",
		1234567890: "89005924", 2000000000: "69279037", 20000000000: "65353130",
	} {
		c, err := TOTP(uri, time.Unix(unix, 0))
		if err != nil || c.Code != want {
			t.Errorf("at %d: %q, %v; want %s", unix, c.Code, err, want)
		}
	}
	c, err := TOTP(uri, time.Unix(59, 0))
	if err != nil || c.Period != 30*time.Second || c.Remaining != time.Second {
		t.Errorf("window: %+v %v", c, err)
	}
	for _, bad := range []string{"hunter2", "otpauth://hotp/x?secret=GEZDGNBV&counter=1", "otpauth://totp/x", "https://example.com"} {
		if _, err := TOTP([]byte(bad), time.Unix(59, 0)); !errors.Is(err, ErrNotOTP) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestOTPSeedDoesNotGoStale(t *testing.T) {
	t.Parallel()
	set := DefaultSettings()
	created := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	now := created.Add(400 * Day)
	s := Secret{Name: "web/totp", Enabled: true, Versions: []Version{{Number: 1, Created: created, ContentType: ContentTypeOTP}}}
	if st := s.Status(now, set); st != StatusOK {
		t.Errorf("otpauth seed: %s, want ok", st)
	}
	s.Versions[0].ContentType = "text/plain"
	if st := s.Status(now, set); st != StatusStale {
		t.Errorf("password: %s, want stale", st)
	}
	if !LooksLikeOTP([]byte("otpauth://totp/x?secret=AB")) || LooksLikeOTP([]byte("hunter2")) {
		t.Error("LooksLikeOTP")
	}
}
