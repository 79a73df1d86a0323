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

// TestOTPFromSeed: a bare base32 seed, spaced and in lower case, gives
// the RFC 6238 test vector's code (issue 25, item 12); bad input is
// refused.
func TestOTPFromSeed(t *testing.T) {
	t.Parallel()
	uri, err := OTPFromSeed("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", "web/example", 8, 30)
	if err != nil {
		t.Fatal(err)
	}
	code, err := TOTP(uri, time.Unix(59, 0))
	if err != nil || code.Code != "94287082" {
		t.Fatalf("%s at 59: %+v %v, want 94287082", uri, code, err)
	}
	for _, bad := range []struct {
		seed           string
		digits, period int
	}{{"", 6, 30}, {"not base32!", 6, 30}, {"JBSWY3DPEHPK3PXP", 7, 30}, {"JBSWY3DPEHPK3PXP", 6, 0}} {
		if _, err := OTPFromSeed(bad.seed, "x", bad.digits, bad.period); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
