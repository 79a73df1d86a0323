package keyring

import (
	"bytes"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

// TestWipeClearsEveryCopy: after Wipe, the data key, the index key and the
// AEAD's own copy of the record key are zero. The AEAD's copy is observed
// from outside: sealing with the wiped AEAD gives what a zero key gives.
func TestWipeClearsEveryCopy(t *testing.T) {
	_, k, err := New([]byte("pass"), MinParams)
	if err != nil {
		t.Fatal(err)
	}
	if k.aeadKey == nil {
		t.Fatal("the AEAD's key copy was not found: x/crypto changed shape, and Wipe cannot clear it")
	}
	aead := k.aead
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	pt := []byte("plaintext")
	zero, _ := chacha20poly1305.NewX(make([]byte, keySize))
	if bytes.Equal(aead.Seal(nil, nonce, pt, nil), zero.Seal(nil, nonce, pt, nil)) {
		t.Fatal("the record key is zero before Wipe")
	}
	dataKey, indexKey := k.dataKey, k.indexKey
	k.Wipe()
	if !bytes.Equal(aead.Seal(nil, nonce, pt, nil), zero.Seal(nil, nonce, pt, nil)) {
		t.Error("the AEAD still holds the record key after Wipe")
	}
	for name, b := range map[string][]byte{"data key": dataKey, "index key": indexKey} {
		if !bytes.Equal(b, make([]byte, len(b))) {
			t.Errorf("%s not cleared", name)
		}
	}
}
