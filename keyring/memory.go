package keyring

import (
	"crypto/cipher"
	"reflect"
	"unsafe"
)

// Key memory. Wipe must leave no copy of a key in the process: the data
// key, the index key, and the copy of the record key that the AEAD keeps
// inside itself, which x/crypto offers no way to clear. Each is locked in
// RAM where the memlock limit allows, so that it never reaches swap.

// aeadKey returns the memory where x/crypto's XChaCha20-Poly1305 value
// keeps its key: a pointer to a struct whose one field is the key. If a
// new version of x/crypto changes that shape, it returns nil, Wipe can no
// longer clear that copy, and TestWipeClearsEveryCopy fails.
func aeadKey(aead cipher.AEAD) []byte {
	v := reflect.ValueOf(aead)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	st := v.Elem().Type()
	if st.NumField() != 1 || st.Field(0).Type != reflect.TypeFor[[keySize]byte]() {
		return nil
	}
	return unsafe.Slice((*byte)(v.UnsafePointer()), keySize)
}

// lockKeys keeps every key of k out of swap where the system allows.
func (k *Keyring) lockKeys() {
	for _, b := range [][]byte{k.dataKey, k.indexKey, k.aeadKey} {
		if len(b) > 0 {
			lockPages(b) // best effort: the memlock limit may be 0
		}
	}
}

// Wipe overwrites every copy of the keys this Keyring holds, the AEAD's
// included. The Keyring is unusable after.
func (k *Keyring) Wipe() {
	for _, b := range [][]byte{k.dataKey, k.indexKey, k.aeadKey} {
		clear(b)
		if len(b) > 0 {
			unlockPages(b)
		}
	}
	k.aead = nil
}
