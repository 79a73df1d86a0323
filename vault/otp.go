package vault

import (
	"bytes"
	"encoding/base32"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// ContentTypeOTP marks a value that is an otpauth:// URI: a TOTP seed, as
// the KeePassXC importer stores them. Such a seed is not a password: it is
// not judged for strength and does not go stale with age.
const ContentTypeOTP = "otpauth"

// IsOTP reports whether content type ct holds otpauth:// URIs.
func IsOTP(ct string) bool { return strings.EqualFold(strings.TrimSpace(ct), ContentTypeOTP) }

// LooksLikeOTP reports whether a value is an otpauth:// URI, so that set
// can give it the otpauth content type without being told.
func LooksLikeOTP(value []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(value), []byte("otpauth://"))
}

// ErrNotOTP: the value is not an otpauth:// TOTP URI.
var ErrNotOTP = fmt.Errorf("%w: not an otpauth://totp URI", ErrInvalid)

// OTPCode is a one-time code and how long it stays valid.
type OTPCode struct {
	Code string
	// Period is the length of each code's window; Remaining is what is
	// left of the current one at the time asked.
	Period, Remaining time.Duration
}

// TOTP computes the code an otpauth://totp URI gives at t (RFC 6238),
// with the URI's digits, period and algorithm.
func TOTP(uri []byte, t time.Time) (OTPCode, error) {
	key, err := otp.NewKeyFromURL(string(bytes.TrimSpace(uri)))
	if err != nil || key.Type() != "totp" || key.Secret() == "" {
		return OTPCode{}, ErrNotOTP
	}
	period := key.Period()
	code, err := totp.GenerateCodeCustom(key.Secret(), t, totp.ValidateOpts{
		Period: uint(period), Digits: key.Digits(), Algorithm: key.Algorithm(),
	})
	if err != nil {
		// The library's error names the secret's encoding, not the secret.
		return OTPCode{}, fmt.Errorf("%w: %v", ErrNotOTP, err)
	}
	p := time.Duration(period) * time.Second
	elapsed := time.Duration(t.Unix()%int64(period)) * time.Second
	return OTPCode{Code: code, Period: p, Remaining: p - elapsed}, nil
}

// OTPFromSeed builds the otpauth://totp URI for a bare base32 seed, as
// sites show it beside their QR code ("JBSW Y3DP EHPK 3PXP"): spaces and
// dashes are dropped, case and padding do not matter. digits is 6 or 8
// and period 1–3600 seconds; the URI is checked by computing a code.
func OTPFromSeed(seed, label string, digits, period int) ([]byte, error) {
	s := strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "", "\n", "", "\r", "").Replace(seed))
	s = strings.TrimRight(s, "=")
	if s == "" {
		return nil, fmt.Errorf("%w: the TOTP seed is empty", ErrInvalid)
	}
	if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s); err != nil {
		return nil, fmt.Errorf("%w: the TOTP seed is not base32 (letters A-Z and digits 2-7)", ErrInvalid)
	}
	if digits != 6 && digits != 8 {
		return nil, fmt.Errorf("%w: --digits must be 6 or 8", ErrInvalid)
	}
	if period < 1 || period > 3600 {
		return nil, fmt.Errorf("%w: --period must be 1 to 3600 seconds", ErrInvalid)
	}
	q := url.Values{"secret": {s}, "digits": {strconv.Itoa(digits)}, "period": {strconv.Itoa(period)}, "algorithm": {"SHA1"}}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + label, RawQuery: q.Encode()}
	uri := []byte(u.String())
	if _, err := TOTP(uri, time.Unix(0, 0)); err != nil {
		return nil, err
	}
	return uri, nil
}
