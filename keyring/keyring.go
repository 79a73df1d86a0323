// Package keyring holds locket's keys and the only code that encrypts.
//
// # Key hierarchy
//
// A vault has three layers of keys:
//
//  1. The passphrase. It never touches the disk. Argon2id stretches it, with
//     the parameters and the random salt kept in the vault header, into a
//     256-bit key-encryption key (KEK).
//  2. The data key: 256 random bits made once, when the vault is created.
//     The header stores it wrapped (sealed) by the KEK. The associated data of
//     that wrap is the header's own parameters, so an attacker who edits the
//     salt, the Argon2id costs or the vault id makes unwrapping fail instead
//     of silently weakening the vault. Changing the passphrase rewraps the
//     data key and re-encrypts nothing else.
//  3. Subkeys derived from the data key with HKDF-SHA256: the record key,
//     which seals every record with XChaCha20-Poly1305, and the index key, an
//     HMAC-SHA256 key that turns secret names into opaque lookup keys, so that
//     not even a name is readable on disk.
//
// Every sealed record carries a random 24-byte nonce. Its associated data is
// vault id ‖ record kind ‖ record key ‖ version: a record that is flipped,
// truncated, or copied to another key, kind, version or vault fails to open
// and is reported as ErrIntegrity, never returned as data.
package keyring

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// Sentinel errors. Callers match them with errors.Is.
var (
	// ErrWrongPassphrase means the data key could not be unwrapped: either
	// the passphrase is wrong or the header was altered. The two cannot be
	// told apart, by design.
	ErrWrongPassphrase = errors.New("wrong passphrase or damaged vault header")
	// ErrIntegrity means a sealed record failed authentication.
	ErrIntegrity = errors.New("integrity error: a record was altered or moved")
	// ErrBadHeader means the header could not be parsed or asks for
	// parameters outside the accepted range.
	ErrBadHeader = errors.New("damaged or unsupported vault header")
)

// FormatVersion is the header format this package writes and reads.
const FormatVersion = 1

// Params are the Argon2id cost parameters.
type Params struct {
	MemoryKiB uint32 `json:"memory_kib"`
	Time      uint32 `json:"time"`
	Threads   uint8  `json:"threads"`
}

var (
	// DefaultParams is what new vaults use: 256 MiB, three passes, four lanes.
	DefaultParams = Params{MemoryKiB: 256 * 1024, Time: 3, Threads: 4}
	// MinParams is RFC 9106's second recommendation; nothing weaker is
	// accepted, neither when creating a vault nor when reading a header.
	MinParams = Params{MemoryKiB: 64 * 1024, Time: 3, Threads: 4}
	// MaxParams bounds what a header may ask for, so that a planted header
	// cannot make unlocking exhaust memory or time.
	MaxParams = Params{MemoryKiB: 4 * 1024 * 1024, Time: 10, Threads: 64}
)

// Validate reports whether p is within MinParams and MaxParams.
func (p Params) Validate() error {
	switch {
	case p.MemoryKiB < MinParams.MemoryKiB:
		return fmt.Errorf("kdf memory %d MiB is below the minimum of %d MiB", p.MemoryKiB/1024, MinParams.MemoryKiB/1024)
	case p.MemoryKiB > MaxParams.MemoryKiB:
		return fmt.Errorf("kdf memory %d MiB is above the maximum of %d MiB", p.MemoryKiB/1024, MaxParams.MemoryKiB/1024)
	case p.Time < MinParams.Time:
		return fmt.Errorf("kdf time %d is below the minimum of %d", p.Time, MinParams.Time)
	case p.Time > MaxParams.Time:
		return fmt.Errorf("kdf time %d is above the maximum of %d", p.Time, MaxParams.Time)
	case p.Threads < 1 || p.Threads > MaxParams.Threads:
		return fmt.Errorf("kdf threads must be between 1 and %d", MaxParams.Threads)
	}
	return nil
}

const (
	keySize  = chacha20poly1305.KeySize
	saltSize = 16
	// IDSize is the size of a vault id.
	IDSize = 16
)

// Header is the one unsealed record of a vault. Everything in it is
// authenticated by the wrap of the data key.
type Header struct {
	Format     int    `json:"format"`
	VaultID    []byte `json:"vault_id"`
	KDF        Params `json:"kdf"`
	Salt       []byte `json:"salt"`
	WrappedKey []byte `json:"wrapped_key"`
}

// ParseHeader decodes and range-checks a header. It does not unlock it.
func ParseHeader(b []byte) (*Header, error) {
	var h Header
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHeader, err)
	}
	if h.Format != FormatVersion {
		return nil, fmt.Errorf("%w: format %d (this locket reads %d)", ErrBadHeader, h.Format, FormatVersion)
	}
	if len(h.VaultID) != IDSize || len(h.Salt) != saltSize || len(h.WrappedKey) != chacha20poly1305.NonceSizeX+keySize+chacha20poly1305.Overhead {
		return nil, fmt.Errorf("%w: wrong field sizes", ErrBadHeader)
	}
	if err := h.KDF.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHeader, err)
	}
	return &h, nil
}

// Marshal encodes the header.
func (h *Header) Marshal() []byte {
	b, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		panic(err) // A Header always marshals.
	}
	return append(b, '\n')
}

// wrapAD binds the wrapped key to every other header field.
func (h *Header) wrapAD() []byte {
	ad := fmt.Sprintf("locket header v%d|%x|%d|%d|%d|%x", h.Format, h.VaultID, h.KDF.MemoryKiB, h.KDF.Time, h.KDF.Threads, h.Salt)
	return []byte(ad)
}

// kek runs Argon2id; this is the slow step of unlocking.
func (h *Header) kek(passphrase []byte) []byte {
	return argon2.IDKey(passphrase, h.Salt, h.KDF.Time, h.KDF.MemoryKiB, h.KDF.Threads, keySize)
}

// New creates a fresh vault identity: a header holding a new random data
// key wrapped under passphrase, and the unlocked Keyring.
func New(passphrase []byte, p Params) (*Header, *Keyring, error) {
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	h := &Header{Format: FormatVersion, VaultID: random(IDSize), KDF: p}
	dataKey := random(keySize)
	defer clear(dataKey)
	if err := h.wrap(passphrase, dataKey); err != nil {
		return nil, nil, err
	}
	return h, newKeyring(h.VaultID, dataKey), nil
}

// wrap sets a new salt and wraps dataKey under passphrase.
func (h *Header) wrap(passphrase, dataKey []byte) error {
	h.Salt = random(saltSize)
	kek := h.kek(passphrase)
	defer clear(kek)
	aead, err := chacha20poly1305.NewX(kek)
	if err != nil {
		return err
	}
	nonce := random(chacha20poly1305.NonceSizeX)
	h.WrappedKey = aead.Seal(nonce, nonce, dataKey, h.wrapAD())
	return nil
}

// Unlock derives the KEK from passphrase and unwraps the data key.
func (h *Header) Unlock(passphrase []byte) (*Keyring, error) {
	kek := h.kek(passphrase)
	defer clear(kek)
	aead, err := chacha20poly1305.NewX(kek)
	if err != nil {
		return nil, err
	}
	n := chacha20poly1305.NonceSizeX
	dataKey, err := aead.Open(nil, h.WrappedKey[:n], h.WrappedKey[n:], h.wrapAD())
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	defer clear(dataKey)
	return newKeyring(h.VaultID, dataKey), nil
}

// Rewrap returns a copy of h whose data key is wrapped under a new
// passphrase, new salt and parameters p. The data key itself, and so every
// record sealed with it, stays the same.
func (h *Header) Rewrap(k *Keyring, newPassphrase []byte, p Params) (*Header, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	nh := &Header{Format: h.Format, VaultID: h.VaultID, KDF: p}
	if err := nh.wrap(newPassphrase, k.dataKey); err != nil {
		return nil, err
	}
	return nh, nil
}

// Keyring is an unlocked vault's set of keys. It is safe for concurrent use.
type Keyring struct {
	vaultID  []byte
	dataKey  []byte
	indexKey []byte
	aead     cipher.AEAD
	// aeadKey is the AEAD's own copy of the record key (memory.go).
	aeadKey []byte
}

func newKeyring(vaultID, dataKey []byte) *Keyring {
	k := &Keyring{vaultID: vaultID, dataKey: append([]byte(nil), dataKey...)}
	recordKey := derive(dataKey, "locket record key v1")
	defer clear(recordKey)
	aead, err := chacha20poly1305.NewX(recordKey)
	if err != nil {
		panic(err) // The key size is fixed.
	}
	k.aead = aead
	k.aeadKey = aeadKey(aead)
	k.indexKey = derive(dataKey, "locket index key v1")
	k.lockKeys()
	return k
}

func derive(secret []byte, info string) []byte {
	key, err := hkdf.Key(sha256.New, secret, nil, info, keySize)
	if err != nil {
		panic(err)
	}
	return key
}

// VaultID returns the vault's random identity.
func (k *Keyring) VaultID() []byte { return k.vaultID }

// ad builds the associated data vault id ‖ kind ‖ len(key) ‖ key ‖ version.
func (k *Keyring) ad(kind byte, key []byte, version uint64) []byte {
	return k.appendAD(make([]byte, 0, len(k.vaultID)+1+4+len(key)+8), kind, key, version)
}

func (k *Keyring) appendAD(ad []byte, kind byte, key []byte, version uint64) []byte {
	ad = append(ad, k.vaultID...)
	ad = append(ad, kind)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(key)))
	ad = append(ad, key...)
	return binary.BigEndian.AppendUint64(ad, version)
}

// Seal encrypts plaintext as a record of the given kind stored under key.
// The result is nonce ‖ ciphertext ‖ tag.
func (k *Keyring) Seal(kind byte, key []byte, version uint64, plaintext []byte) []byte {
	nonce := random(chacha20poly1305.NonceSizeX)
	out := make([]byte, 0, len(nonce)+len(plaintext)+chacha20poly1305.Overhead)
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, plaintext, k.ad(kind, key, version))
}

// Open authenticates and decrypts a record sealed by Seal with the same
// kind, key and version. Any mismatch returns ErrIntegrity.
func (k *Keyring) Open(kind byte, key []byte, version uint64, sealed []byte) ([]byte, error) {
	return k.OpenAppend(nil, kind, key, version, sealed)
}

// OpenAppend is Open that appends the plaintext to dst, so that a caller
// opening many records can reuse one buffer. On error it returns nil.
func (k *Keyring) OpenAppend(dst []byte, kind byte, key []byte, version uint64, sealed []byte) ([]byte, error) {
	n := chacha20poly1305.NonceSizeX
	if len(sealed) < n+chacha20poly1305.Overhead {
		return nil, ErrIntegrity
	}
	var adBuf [64]byte
	pt, err := k.aead.Open(dst, sealed[:n], sealed[n:], k.appendAD(adBuf[:0], kind, key, version))
	if err != nil {
		return nil, ErrIntegrity
	}
	return pt, nil
}

// Index returns the opaque lookup key for a name: HMAC-SHA256 under the
// index key, domain-separated by purpose.
func (k *Keyring) Index(purpose string, name []byte) []byte {
	m := hmac.New(sha256.New, k.indexKey)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(name)
	return m.Sum(nil)
}

func random(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms.
	}
	return b
}
