package vault

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"
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

// maxFindingText bounds a decoded status, reason or health kind.
const maxFindingText = 1 << 20

// EncodeFindings packs findings with the record codec's helpers, as
// EncodeSecrets packs secrets: an agent answers Check this way, because at
// 87k findings gob took ~80 ms to encode and as long again to decode.
func EncodeFindings(fs []Finding) []byte {
	b := make([]byte, 0, 16+len(fs)*96)
	b = appendUvarint(b, uint64(len(fs)))
	for i := range fs {
		f := &fs[i]
		b = appendString(b, f.Name)
		b = appendString(b, string(f.Status))
		b = appendString(b, f.Reason)
		b = appendTime(b, f.At)
		b = binary.AppendVarint(b, int64(f.RotateEvery))
		b = appendTime(b, f.Rotated)
		b = binary.AppendVarint(b, int64(f.Version))
		b = appendTime(b, f.Expires)
		b = appendTime(b, f.SnoozedUntil)
		b = appendUvarint(b, uint64(len(f.Health)))
		for _, h := range f.Health {
			b = appendString(b, h.Kind)
			b = appendString(b, h.Reason)
		}
	}
	return b
}

// DecodeFindings unpacks what EncodeFindings packed.
func DecodeFindings(b []byte) ([]Finding, error) {
	// One string holds every finding's bytes: the strings decoded are
	// substrings of it. Every finding takes more than one byte, so a
	// count beyond the length is a lie that would allocate without bound.
	d := &decoder{b: b, src: string(b)}
	n := d.uvarint(uint64(len(b)))
	if d.err != nil {
		return nil, fmt.Errorf("%w: findings", errCodec)
	}
	var out []Finding
	if n > 0 {
		out = make([]Finding, 0, n)
	}
	for range n {
		var f Finding
		f.Name = d.string(MaxNameLen)
		f.Status = Status(d.string(maxFindingText))
		f.Reason = d.string(maxFindingText)
		f.At = d.time()
		f.RotateEvery = time.Duration(d.varint())
		f.Rotated = d.time()
		f.Version = int(d.varint())
		f.Expires = d.time()
		f.SnoozedUntil = d.time()
		if k := d.uvarint(uint64(len(d.b))); k > 0 {
			f.Health = make([]HealthIssue, k)
			for j := range f.Health {
				f.Health[j] = HealthIssue{Kind: d.string(maxFindingText), Reason: d.string(maxFindingText)}
			}
		}
		if d.err != nil {
			return nil, fmt.Errorf("%w: findings", errCodec)
		}
		out = append(out, f)
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: findings", errCodec)
	}
	return out, nil
}
