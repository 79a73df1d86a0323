package kvsync

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"locket/vault"
)

// The custom_metadata keys that carry locket's attributes; every other key
// is a tag.
const (
	metaEnabled   = "locket-enabled"
	metaExpires   = "locket-expires"
	metaNotBefore = "locket-not-before"
	metaTrashed   = "locket-trashed"
)

var reservedMeta = []string{metaEnabled, metaExpires, metaNotBefore, metaTrashed}

// Fields of a version's data.
const (
	fieldValue       = "value"
	fieldValueB64    = "value_b64"
	fieldContentType = "content_type"
	fieldCreated     = "created"
	fieldActor       = "actor"
	fieldExpires     = "expires"
	fieldNotBefore   = "not_before"
)

var errReservedTag = errors.New("tag key is reserved for sync")

// ContentTypeKVData is the content type of a value that is a whole KV
// data map, as a JSON object: what pull makes of a version written by
// other tools (keys locket does not own, such as username next to value),
// and what push writes back as the data map, unchanged. No key is dropped
// on the way through locket.
const ContentTypeKVData = "application/vnd.locket.kv-data+json"

// ownFields are the data keys that locket writes; a version with any other
// key is kept whole as ContentTypeKVData.
var ownFields = []string{fieldValue, fieldValueB64, fieldContentType, fieldCreated, fieldActor, fieldExpires, fieldNotBefore}

var errNotDataMap = errors.New("a value of content type " + ContentTypeKVData + " must be a JSON object")

// versionData is the KV data of one locket version. A value that is not
// UTF-8 text goes base64-encoded in value_b64, since KV data is JSON. A
// ContentTypeKVData value is the data map itself.
func versionData(val []byte, ver vault.Version) (map[string]any, error) {
	if ver.ContentType == ContentTypeKVData {
		var d map[string]any
		dec := json.NewDecoder(bytes.NewReader(val))
		dec.UseNumber()
		if err := dec.Decode(&d); err != nil || d == nil {
			return nil, errNotDataMap
		}
		return d, nil
	}
	d := map[string]any{fieldContentType: ver.ContentType}
	if utf8.Valid(val) {
		d[fieldValue] = string(val)
	} else {
		d[fieldValueB64] = base64.StdEncoding.EncodeToString(val)
	}
	if !ver.Created.IsZero() {
		d[fieldCreated] = formatTime(ver.Created)
	}
	if ver.Actor != "" {
		d[fieldActor] = ver.Actor
	}
	if !ver.Expires.IsZero() {
		d[fieldExpires] = formatTime(ver.Expires)
	}
	if !ver.NotBefore.IsZero() {
		d[fieldNotBefore] = formatTime(ver.NotBefore)
	}
	return d, nil
}

// parseVersionData reads KV data back into a value and a version. Data
// that locket did not write (no value field, or any key locket does not
// own) becomes one JSON value of ContentTypeKVData, so that a secret
// written or patched by other tools is pulled whole. The version's Created
// is the data's created field when it has one, else created (the
// server's); hasCreated says which.
func parseVersionData(d map[string]any, created time.Time) (val []byte, ver vault.Version, hasCreated bool, err error) {
	ver = vault.Version{Created: created}
	_, hasValue := d[fieldValue].(string)
	_, hasB64 := d[fieldValueB64].(string)
	own := hasValue || hasB64
	for k := range d {
		if !slices.Contains(ownFields, k) {
			own = false
		}
	}
	if !own {
		b, err := json.Marshal(d) // map keys are sorted
		if err != nil {
			return nil, ver, false, err
		}
		return b, vault.Version{Created: created, ContentType: ContentTypeKVData}, false, nil
	}
	if v, ok := d[fieldValue].(string); ok {
		val = []byte(v)
	} else {
		b, err := base64.StdEncoding.DecodeString(d[fieldValueB64].(string))
		if err != nil {
			return nil, ver, false, errors.New("value_b64 is not base64")
		}
		val = b
	}
	ver.ContentType, _ = d[fieldContentType].(string)
	if a, ok := d[fieldActor].(string); ok && vault.ValidActor(a) {
		ver.Actor = a
	}
	for f, dst := range map[string]*time.Time{fieldCreated: &ver.Created, fieldExpires: &ver.Expires, fieldNotBefore: &ver.NotBefore} {
		if s, ok := d[f].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				*dst = t.UTC()
				hasCreated = hasCreated || f == fieldCreated
			}
		}
	}
	return val, ver, hasCreated, nil
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// localMeta is the custom_metadata that stands for a local secret: its
// tags, and its attributes under locket- keys.
func localMeta(s *vault.Secret) (map[string]string, error) {
	m := make(map[string]string, len(s.Tags)+4)
	for k, v := range s.Tags {
		if slices.Contains(reservedMeta, k) {
			return nil, fmt.Errorf("%w: %q", errReservedTag, k)
		}
		m[k] = v
	}
	m[metaEnabled] = fmt.Sprint(s.Enabled)
	cur := s.Current()
	if !cur.Expires.IsZero() {
		m[metaExpires] = formatTime(cur.Expires)
	}
	if !cur.NotBefore.IsZero() {
		m[metaNotBefore] = formatTime(cur.NotBefore)
	}
	if s.InTrash() {
		m[metaTrashed] = formatTime(s.Deleted)
	}
	return m, nil
}

// attributes reads custom_metadata back: tags, enabled, the current
// version's lifetime and the trash time.
type attributes struct {
	tags               map[string]string
	enabled            bool
	expires, notBefore time.Time
	trashed            time.Time
}

func parseMeta(m map[string]string) attributes {
	a := attributes{tags: map[string]string{}, enabled: m[metaEnabled] != "false"}
	for k, v := range m {
		if !slices.Contains(reservedMeta, k) {
			a.tags[k] = v
		}
	}
	parse := func(k string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, m[k])
		if err != nil {
			return time.Time{}
		}
		return t.UTC()
	}
	a.expires, a.notBefore, a.trashed = parse(metaExpires), parse(metaNotBefore), parse(metaTrashed)
	return a
}

// merge3 merges the local and server metadata against the base that both
// had at the last sync, key by key: a side that did not change a key takes
// the other's. When both changed one key differently, the server wins and
// the key is reported.
func merge3(base, local, server map[string]string) (map[string]string, []string) {
	out := map[string]string{}
	var clashes []string
	keys := map[string]bool{}
	for _, m := range []map[string]string{base, local, server} {
		for k := range m {
			keys[k] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		b, bok := base[k]
		l, lok := local[k]
		s, sok := server[k]
		take := func(v string, ok bool) {
			if ok {
				out[k] = v
			}
		}
		switch {
		case l == b && lok == bok:
			take(s, sok)
		case s == b && sok == bok:
			take(l, lok)
		default:
			if l != s || lok != sok {
				clashes = append(clashes, k)
			}
			take(s, sok)
		}
	}
	return out, clashes
}

// metaChanges describes how the metadata changes from old to new, for the
// plan: tag keys added, removed or changed (never a value of a secret).
func metaChanges(old, new map[string]string) string {
	var parts []string
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range new {
		keys[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		o, ook := old[k]
		n, nok := new[k]
		switch {
		case !ook && nok:
			parts = append(parts, "+"+k)
		case ook && !nok:
			parts = append(parts, "-"+k)
		case o != n:
			parts = append(parts, "~"+k)
		}
	}
	return strings.Join(parts, " ")
}

// sameMeta compares two custom_metadata maps, where a missing
// locket-enabled is the same as "true": a secret written by other tools is
// enabled and in sync once pulled, with no metadata write to make.
func sameMeta(a, b map[string]string) bool {
	if a[metaEnabled] == "true" || b[metaEnabled] == "true" {
		a, b = maps.Clone(a), maps.Clone(b)
		for _, m := range []map[string]string{a, b} {
			if m[metaEnabled] == "true" {
				delete(m, metaEnabled)
			}
		}
	}
	return maps.Equal(a, b)
}
