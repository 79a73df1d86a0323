package keyring

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"

	"golang.org/x/crypto/chacha20poly1305"
)

// MAC returns an HMAC-SHA256 keyed with a subkey of the data key derived
// for purpose alone, so that no two uses of it share a key. The vault uses
// it for its state commitment and for the state a machine remembers of a
// vault. The caller may Reset and reuse it; it is not safe for concurrent
// use.
func (k *Keyring) MAC(purpose string) hash.Hash {
	sub := derive(k.dataKey, "locket "+purpose+" v1")
	defer clear(sub)
	return hmac.New(sha256.New, sub)
}

// Sizes of a sealed record's parts: it is nonce ‖ ciphertext ‖ tag.
const (
	NonceSize = chacha20poly1305.NonceSizeX
	TagSize   = chacha20poly1305.Overhead
)

// Clone returns an independent copy of k: wiping one leaves the other.
func (k *Keyring) Clone() *Keyring { return newKeyring(k.vaultID, k.dataKey) }

// Rekey returns a header for the same vault holding a new random data key,
// wrapped under passphrase with parameters p, and its unlocked Keyring.
// Nothing sealed under the old data key opens with the new one: after a
// leak of the passphrase and a header copy, re-sealing every record under
// it leaves the leak nothing to open.
func (h *Header) Rekey(passphrase []byte, p Params) (*Header, *Keyring, error) {
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	nh := &Header{Format: h.Format, VaultID: h.VaultID, KDF: p}
	dataKey := random(keySize)
	defer clear(dataKey)
	if err := nh.wrap(passphrase, dataKey); err != nil {
		return nil, nil, err
	}
	return nh, newKeyring(h.VaultID, dataKey), nil
}
