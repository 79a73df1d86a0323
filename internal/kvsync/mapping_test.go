package kvsync

import (
	"maps"
	"testing"
	"time"
)

// These run without a server: the reading of the server's state that
// status, pull and push compare.

func TestEffectiveMeta(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	deleted := created.Add(time.Hour)
	cases := []struct {
		name string
		m    serverMeta
		want map[string]string
	}{
		{"live", serverMeta{Current: 1, Raw: map[string]string{"a": "1"}, Versions: map[int]versionState{1: {Created: created}}},
			map[string]string{"a": "1"}},
		{"deleted by vault kv delete", serverMeta{Current: 1, Versions: map[int]versionState{1: {Deleted: true, Created: created, DeletedAt: deleted}}},
			map[string]string{metaTrashed: formatTime(deleted)}},
		{"trashed by locket", serverMeta{Current: 1, Raw: map[string]string{metaTrashed: "T"}, Versions: map[int]versionState{1: {Deleted: true, Created: created, DeletedAt: deleted}}},
			map[string]string{metaTrashed: "T"}},
		{"undeleted by vault kv undelete", serverMeta{Current: 1, Raw: map[string]string{metaTrashed: "T"}, Versions: map[int]versionState{1: {Created: created}}},
			nil},
		{"destroyed", serverMeta{Current: 2, Versions: map[int]versionState{2: {Destroyed: true, Created: created}}},
			map[string]string{metaTrashed: formatTime(created)}},
	}
	for _, c := range cases {
		if got := c.m.effectiveMeta(); !maps.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRemovedVersions(t *testing.T) {
	t.Parallel()
	m := serverMeta{Current: 5, Oldest: 2, Versions: map[int]versionState{
		1: {Destroyed: true}, 2: {Deleted: true}, 3: {}, 4: {Destroyed: true, Deleted: true}, 5: {Deleted: true},
	}}
	if got := m.removedVersions(); got != "2d 4x" {
		t.Errorf("removed %q, want %q (the current and versions before the oldest are left out)", got, "2d 4x")
	}
}

func TestParseVersionData(t *testing.T) {
	t.Parallel()
	server := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	val, ver, has, err := parseVersionData(map[string]any{"value": "v", "content_type": "text/plain", "created": "2025-01-01T00:00:00Z", "actor": "a@b"}, server)
	if err != nil || string(val) != "v" || ver.ContentType != "text/plain" || !has || ver.Created.Year() != 2025 || ver.Actor != "a@b" {
		t.Errorf("locket's data: %q %+v %v %v", val, ver, has, err)
	}
	// A key locket does not own keeps the whole map.
	val, ver, has, err = parseVersionData(map[string]any{"value": "v", "username": "bob"}, server)
	if err != nil || string(val) != `{"username":"bob","value":"v"}` || ver.ContentType != ContentTypeKVData || has || !ver.Created.Equal(server) {
		t.Errorf("foreign data: %q %+v %v %v", val, ver, has, err)
	}
	// And goes back unchanged.
	d, err := versionData(val, ver)
	if err != nil || len(d) != 2 || d["username"] != "bob" || d["value"] != "v" {
		t.Errorf("pushed back: %v %v", d, err)
	}
	if _, err := versionData([]byte(`["not","a","map"]`), ver); err == nil {
		t.Error("a JSON array pushed as a data map")
	}
}

func TestSameMetaEnabled(t *testing.T) {
	t.Parallel()
	if !sameMeta(map[string]string{metaEnabled: "true"}, nil) {
		t.Error("a missing locket-enabled is not the same as true")
	}
	if sameMeta(map[string]string{metaEnabled: "false"}, nil) {
		t.Error("a missing locket-enabled is the same as false")
	}
}
