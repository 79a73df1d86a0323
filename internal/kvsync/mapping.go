package kvsync

import (
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

// versionData is the KV data of one locket version. A value that is not
// UTF-8 text goes base64-encoded in value_b64, since KV data is JSON.
func versionData(val []byte, ver vault.Version) map[string]any {
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
	return d
}

// parseVersionData reads KV data back into a value and a version. Data
// that locket did not write (no value field) becomes one JSON value, so
// that a secret written by other tools is pulled whole.
func parseVersionData(d map[string]any, created time.Time) ([]byte, vault.Version, error) {
	ver := vault.Version{Created: created}
	var val []byte
	switch v := d[fieldValue].(type) {
	case string:
		val = []byte(v)
	default:
		if b64, ok := d[fieldValueB64].(string); ok {
			b, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return nil, ver, errors.New("value_b64 is not base64")
			}
			val = b
		} else {
			b, err := json.Marshal(d) // map keys are sorted
			if err != nil {
				return nil, ver, err
			}
			return b, vault.Version{Created: created, ContentType: "application/json"}, nil
		}
	}
	ver.ContentType, _ = d[fieldContentType].(string)
	if a, ok := d[fieldActor].(string); ok && vault.ValidActor(a) {
		ver.Actor = a
	}
	for f, dst := range map[string]*time.Time{fieldCreated: &ver.Created, fieldExpires: &ver.Expires, fieldNotBefore: &ver.NotBefore} {
		if s, ok := d[f].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				*dst = t.UTC()
			}
		}
	}
	return val, ver, nil
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

func sameMeta(a, b map[string]string) bool { return maps.Equal(a, b) }
