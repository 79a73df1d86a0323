package vault

import (
	"context"
	"encoding/binary"
	"fmt"
)

// EncodeSecrets packs secrets in the vault's own record encoding, one
// length-prefixed record after the other. An agent sends lists this way:
// as JSON, 100k secrets are 30 MB that take a client seconds to read.
func EncodeSecrets(list []Secret) []byte {
	b := binary.AppendUvarint(nil, uint64(len(list)))
	for i := range list {
		b = appendRecord(b, encodeSecret(&list[i]))
	}
	return b
}

func appendRecord(b, rec []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(rec)))
	return append(b, rec...)
}

// ListPacked is List with its result as EncodeSecrets packs it. With the
// metadata cache it is built from the records as stored, without encoding
// anything: the agent answers lists with it.
func (v *Vault) ListPacked(ctx context.Context, o ListOptions) ([]byte, error) {
	if v.cache == nil {
		list, err := v.List(ctx, o)
		if err != nil {
			return nil, err
		}
		return EncodeSecrets(list), nil
	}
	var packed []byte
	err := v.list(ctx, o, func(ctx context.Context, keep func(*Secret) bool) error {
		if err := v.cache.ensure(ctx, v); err != nil {
			return err
		}
		packed = v.cache.packed(o.Prefix, keep)
		return nil
	})
	return packed, err
}

// DecodeSecrets unpacks what EncodeSecrets packed.
func DecodeSecrets(b []byte) ([]Secret, error) {
	n, k := binary.Uvarint(b)
	// Every record takes more than one byte: a count beyond that is a lie
	// that would otherwise allocate without bound.
	if k <= 0 || n > uint64(len(b)) {
		return nil, fmt.Errorf("%w: secret list", errCodec)
	}
	b = b[k:]
	// One string holds every record's bytes: the names, tags and actors
	// decoded are substrings of it, not 100k small allocations.
	all := string(b)
	out := make([]Secret, 0, n)
	for range n {
		size, k := binary.Uvarint(b)
		if k <= 0 || size > uint64(len(b)-k) {
			return nil, fmt.Errorf("%w: secret list", errCodec)
		}
		off := len(all) - len(b) + k
		s, err := decodeSecretIn(b[k:k+int(size)], all[off:off+int(size)])
		if err != nil {
			return nil, err
		}
		out = append(out, *s)
		b = b[k+int(size):]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: secret list", errCodec)
	}
	return out, nil
}
