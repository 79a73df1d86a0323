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
