package clip

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
)

// fingerprint recognises a value without revealing it: HMAC-SHA256 of the
// value keyed with a fresh random salt. The salt makes two copies of the
// same value look unrelated and rules out precomputed tables.
type fingerprint struct {
	salt [32]byte
	sum  [32]byte
}

// fingerprintSize is the length of a marshalled fingerprint.
const fingerprintSize = 64

var errBadFingerprint = errors.New("malformed clipboard fingerprint")

func newFingerprint(value []byte) (fingerprint, error) {
	var fp fingerprint
	if _, err := rand.Read(fp.salt[:]); err != nil {
		return fp, fmt.Errorf("random salt: %w", err)
	}
	fp.sum = fp.mac(value)
	return fp, nil
}

func (fp fingerprint) mac(value []byte) [32]byte {
	m := hmac.New(sha256.New, fp.salt[:])
	m.Write(value)
	var sum [32]byte
	copy(sum[:], m.Sum(nil))
	return sum
}

// matches reports whether value is the value fp was made from.
func (fp fingerprint) matches(value []byte) bool {
	sum := fp.mac(value)
	return hmac.Equal(sum[:], fp.sum[:])
}

func (fp fingerprint) marshal() []byte {
	return append(fp.salt[:], fp.sum[:]...)
}

// readFingerprint reads exactly one marshalled fingerprint from r.
func readFingerprint(r io.Reader) (fingerprint, error) {
	var fp fingerprint
	b, err := io.ReadAll(io.LimitReader(r, fingerprintSize+1))
	if err != nil {
		return fp, fmt.Errorf("read clipboard fingerprint: %w", err)
	}
	if len(b) != fingerprintSize {
		return fp, errBadFingerprint
	}
	copy(fp.salt[:], b[:32])
	copy(fp.sum[:], b[32:])
	return fp, nil
}
