package vault

import (
	"encoding/binary"
	"errors"
	"slices"
	"time"
)

// Secrets are stored in a small binary encoding rather than JSON: listing
// a 100k-secret vault decodes every record, and this format decodes several
// times faster. It is only ever read after the AEAD has authenticated it,
// but the decoder still checks every length so that a bug cannot panic.

const secretCodecVersion = 1

var errCodec = errors.New("malformed record")

func appendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	return binary.AppendVarint(b, t.UnixNano())
}

func encodeSecret(s *Secret) []byte {
	b := make([]byte, 0, 64+len(s.Name)+len(s.Versions)*48)
	b = append(b, secretCodecVersion)
	b = appendString(b, s.Name)
	b = appendTime(b, s.Created)
	b = appendTime(b, s.Updated)
	b = appendTime(b, s.Deleted)
	if s.Enabled {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	keys := make([]string, 0, len(s.Tags))
	for k := range s.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = appendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
		b = appendString(b, s.Tags[k])
	}
	b = appendUvarint(b, uint64(len(s.Versions)))
	for _, v := range s.Versions {
		b = appendUvarint(b, uint64(v.Number))
		b = appendString(b, v.ContentType)
		b = appendTime(b, v.Created)
		b = appendTime(b, v.Expires)
		b = appendTime(b, v.NotBefore)
		b = appendString(b, v.Actor)
		b = appendUvarint(b, uint64(v.Size))
	}
	return b
}

type decoder struct {
	b   []byte
	err error
	// src, when set, is b as one string: decoded strings are then
	// substrings of it instead of one allocation each, which matters when
	// List decodes 100k records.
	src string
}

func (d *decoder) uvarint(limit uint64) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > limit {
		d.err = errCodec
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.err = errCodec
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) string(limit int) string {
	n := int(d.uvarint(uint64(limit)))
	if d.err != nil || len(d.b) < n {
		d.err = errCodec
		return ""
	}
	var s string
	if d.src != "" {
		off := len(d.src) - len(d.b)
		s = d.src[off : off+n]
	} else {
		s = string(d.b[:n])
	}
	d.b = d.b[n:]
	return s
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCodec
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) time() time.Time {
	if d.err != nil {
		return time.Time{}
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCodec
		return time.Time{}
	}
	d.b = d.b[n:]
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}

// maxVersionsPerRecord bounds a decoded version list; far above any real
// secret, far below what could exhaust memory.
const maxVersionsPerRecord = 1 << 20

func decodeSecret(b []byte) (*Secret, error) { return decodeSecretIn(b, string(b)) }

// decodeSecretIn decodes b, whose bytes src holds as a string: the
// strings decoded are substrings of src.
func decodeSecretIn(b []byte, src string) (*Secret, error) {
	d := &decoder{b: b, src: src}
	if d.byte() != secretCodecVersion {
		return nil, errCodec
	}
	s := &Secret{}
	s.Name = d.string(MaxNameLen)
	s.Created = d.time()
	s.Updated = d.time()
	s.Deleted = d.time()
	s.Enabled = d.byte() == 1
	if n := d.uvarint(MaxTags); n > 0 {
		s.Tags = make(map[string]string, n)
		for range n {
			k := d.string(MaxTagKeyLen)
			s.Tags[k] = d.string(MaxTagValueLen)
		}
	}
	n := d.uvarint(maxVersionsPerRecord)
	if d.err == nil && n > uint64(len(d.b)) {
		return nil, errCodec // each version takes several bytes
	}
	s.Versions = make([]Version, 0, n)
	for range n {
		var v Version
		v.Number = int(d.uvarint(1 << 40))
		v.ContentType = d.string(MaxContentTypeLen)
		v.Created = d.time()
		v.Expires = d.time()
		v.NotBefore = d.time()
		v.Actor = d.string(MaxActorLen)
		v.Size = int(d.uvarint(MaxValueLen))
		s.Versions = append(s.Versions, v)
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, errCodec
	}
	return s, nil
}
