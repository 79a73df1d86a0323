package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var ctx = context.Background()

func TestValidateName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 256)
	cases := map[string]bool{
		"a":                                   true,
		"prod/db/password":                    true,
		"A-Z_a.z@0+9":                         true,
		"x/.hidden/..dots":                    true,
		"...":                                 true,
		long:                                  true,
		long + "a":                            false,
		strings.Repeat("a/", 128)[:255] + "b": true,
		"":                                    false,
		"/a":                                  false,
		"a/":                                  false,
		"a//b":                                false,
		".":                                   false,
		"..":                                  false,
		"a/./b":                               false,
		"a/../b":                              false,
		"a b":                                 false,
		"a\x00":                               false,
		"a\x1b[31m":                           false,
		"é":                                   false,
		"a:b":                                 false,
		"a\\b":                                false,
	}
	for name, ok := range cases {
		err := ValidateName(name)
		if (err == nil) != ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", name, err, ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateName(%q) = %v, not ErrInvalid", name, err)
		}
		if err != nil && strings.ContainsAny(err.Error(), "\x00\x1b") {
			t.Errorf("error for %q carries control characters: %q", name, err)
		}
	}
	if err := ValidatePrefix("prod/"); err != nil {
		t.Errorf("prefix with trailing slash: %v", err)
	}
	if err := ValidatePrefix("prod//"); err == nil {
		t.Error("prefix with empty segment accepted")
	}
}

func TestValidateTags(t *testing.T) {
	t.Parallel()
	tooMany := map[string]string{}
	for i := range 33 {
		tooMany[fmt.Sprintf("k%d", i)] = "v"
	}
	thirtyTwo := map[string]string{}
	for i := range 32 {
		thirtyTwo[fmt.Sprintf("k%d", i)] = "v"
	}
	cases := []struct {
		name string
		tags map[string]string
		ok   bool
	}{
		{"none", nil, true},
		{"32 tags", thirtyTwo, true},
		{"33 tags", tooMany, false},
		{"64-byte key", map[string]string{strings.Repeat("k", 64): "v"}, true},
		{"65-byte key", map[string]string{strings.Repeat("k", 65): "v"}, false},
		{"empty key", map[string]string{"": "v"}, false},
		{"key with =", map[string]string{"a=b": "v"}, false},
		{"key with /", map[string]string{"a/b": "v"}, false},
		{"512-byte value", map[string]string{"k": strings.Repeat("v", 512)}, true},
		{"513-byte value", map[string]string{"k": strings.Repeat("v", 513)}, false},
		{"empty value", map[string]string{"k": ""}, true},
		// locket-* keys carry attributes on a sync server: no tag may
		// take one, or it could not travel.
		{"locket-enabled", map[string]string{"locket-enabled": "false"}, false},
		{"locket- prefix", map[string]string{"locket-anything": "x"}, false},
		{"locket without dash", map[string]string{"locketx": "x"}, true},
		{"rotate-every ok", map[string]string{TagRotateEvery: "30d"}, true},
		{"rotate-every bad", map[string]string{TagRotateEvery: "soon"}, false},
		{"rotate-every bare number", map[string]string{TagRotateEvery: "30"}, false},
		{"rotate-every 1h", map[string]string{TagRotateEvery: "1h"}, true},
		// The tag obeys the vault setting's floor: 0d would make a secret
		// stale at once, or silently fall back to the default.
		{"rotate-every 0d", map[string]string{TagRotateEvery: "0d"}, false},
		{"rotate-every 59m", map[string]string{TagRotateEvery: "59m"}, false},
		{"snooze-until ok", map[string]string{TagSnoozeUntil: "2026-03-01T00:00:00Z"}, true},
		{"snooze-until date", map[string]string{TagSnoozeUntil: "2026-03-01"}, true},
		{"snooze-until bad", map[string]string{TagSnoozeUntil: "tomorrow"}, false},
	}
	for _, c := range cases {
		if err := ValidateTags(c.tags); (err == nil) != c.ok {
			t.Errorf("%s: ValidateTags = %v, want ok=%v", c.name, err, c.ok)
		} else if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v is not ErrInvalid", c.name, err)
		}
	}
	if k, v, err := ParseTag("env=prod=eu"); err != nil || k != "env" || v != "prod=eu" {
		t.Errorf("ParseTag: %q %q %v", k, v, err)
	}
	if _, _, err := ParseTag("env"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseTag without =: %v", err)
	}
}

func TestValues(t *testing.T) {
	t.Parallel()
	v := newVault(t, DefaultSettings(), nil)
	if _, err := v.Put(ctx, "empty", nil, PutOptions{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty value: %v", err)
	}
	max := bytes.Repeat([]byte{0xff, 0x00, 'x', '\n'}, MaxValueLen/4)
	if _, err := v.Put(ctx, "max", max, PutOptions{ContentType: "application/octet-stream"}); err != nil {
		t.Fatalf("64 KiB value: %v", err)
	}
	if _, err := v.Put(ctx, "over", append(max, 1), PutOptions{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("64 KiB + 1 value: %v", err)
	}
	if _, err := v.Put(ctx, "ct", []byte("x"), PutOptions{ContentType: strings.Repeat("c", 256)}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("256-byte content type: %v", err)
	}
	if _, err := v.Put(ctx, "ct", []byte("x"), PutOptions{ContentType: "text/\x1b[2J"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("content type with escape: %v", err)
	}
	v = reopen(t, v, Options{})
	got, ver, err := v.Get(ctx, "max", 0, OpGet)
	if err != nil || !bytes.Equal(got, max) || ver.Size != MaxValueLen || ver.ContentType != "application/octet-stream" {
		t.Fatalf("64 KiB value after reopen: %d bytes, %+v, %v", len(got), ver, err)
	}
	for _, name := range []string{"empty", "over", "ct"} {
		if _, err := v.Secret(ctx, name); !errors.Is(err, ErrNotFound) {
			t.Errorf("refused put of %s left a secret: %v", name, err)
		}
	}
}

func TestVersions(t *testing.T) {
	t.Parallel()
	c := newClock()
	v := newVault(t, DefaultSettings(), c)
	exp := c.Now().Add(90 * Day)
	for i := 1; i <= 3; i++ {
		ver := mustPut(t, v, "db", fmt.Sprintf("value %d", i), PutOptions{ContentType: fmt.Sprintf("type-%d", i), Expires: exp})
		if ver.Number != i || ver.Actor != "tester@host" || !ver.Created.Equal(c.Now()) || ver.Size != len("value 1") {
			t.Fatalf("version %d: %+v", i, ver)
		}
		c.Advance(time.Hour)
	}
	for i := 1; i <= 3; i++ {
		val, ver, err := v.Get(ctx, "db", i, OpGet)
		if err != nil || string(val) != fmt.Sprintf("value %d", i) || ver.ContentType != fmt.Sprintf("type-%d", i) {
			t.Fatalf("get version %d: %q %+v %v", i, val, ver, err)
		}
	}
	if _, _, err := v.Get(ctx, "db", 4, OpGet); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing version: %v", err)
	}
	if _, _, err := v.Get(ctx, "nope", 0, OpGet); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing secret: %v", err)
	}
	// Update changes the current version's attributes, never an older one.
	ct := "json"
	if err := v.Update(ctx, "db", Attributes{ContentType: &ct}); err != nil {
		t.Fatal(err)
	}
	s, _ := v.Secret(ctx, "db")
	if s.Versions[0].ContentType != "type-1" || s.Versions[2].ContentType != "json" || len(s.Versions) != 3 {
		t.Fatalf("update: %+v", s.Versions)
	}

	ver, err := v.Rollback(ctx, "db", 1)
	if err != nil || ver.Number != 4 || ver.ContentType != "type-1" || !ver.Expires.IsZero() {
		t.Fatalf("rollback: %+v %v", ver, err)
	}
	val, cur, _ := v.Get(ctx, "db", 0, OpGet)
	if string(val) != "value 1" || cur.Number != 4 {
		t.Fatalf("after rollback: %q %+v", val, cur)
	}
	if _, err := v.Rollback(ctx, "db", 9); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rollback to a missing version: %v", err)
	}
	s, _ = v.Secret(ctx, "db")
	if len(s.Versions) != 4 || s.Versions[1].Number != 2 {
		t.Fatalf("history: %+v", s.Versions)
	}
}

func TestMaxVersions(t *testing.T) {
	t.Parallel()
	set := DefaultSettings()
	set.MaxVersions = 2
	v := newVault(t, set, nil)
	for i := 1; i <= 4; i++ {
		mustPut(t, v, "k", fmt.Sprint("v", i), PutOptions{})
	}
	s, _ := v.Secret(ctx, "k")
	if len(s.Versions) != 2 || s.Versions[0].Number != 3 || s.Current().Number != 4 {
		t.Fatalf("versions %+v", s.Versions)
	}
	if _, _, err := v.Get(ctx, "k", 1, OpGet); !errors.Is(err, ErrNotFound) {
		t.Fatalf("pruned version: %v", err)
	}
	if got := len(v.rawKeys(t, kindValue)); got != 2 {
		t.Fatalf("%d value records after pruning, want 2", got)
	}
	if _, err := v.Rollback(ctx, "k", 2); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rollback to a pruned version: %v", err)
	}
	if val, _, err := v.Get(ctx, "k", 3, OpGet); err != nil || string(val) != "v3" {
		t.Fatalf("kept version: %q %v", val, err)
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	v := newVault(t, DefaultSettings(), nil)
	mustPut(t, v, "a", "1", PutOptions{Tags: map[string]string{"env": "prod"}})
	mustPut(t, v, "a", "2", PutOptions{Tags: map[string]string{"team": "core"}})
	if err := v.Tag(ctx, "a", TagChange{Set: map[string]string{"env": "dev", "owner": "me"}}); err != nil {
		t.Fatal(err)
	}
	s, _ := v.Secret(ctx, "a")
	want := map[string]string{"env": "dev", "team": "core", "owner": "me"}
	if fmt.Sprint(s.Tags) != fmt.Sprint(want) || len(s.Versions) != 2 {
		t.Fatalf("tags %v, %d versions", s.Tags, len(s.Versions))
	}
	if err := v.Tag(ctx, "a", TagChange{Remove: []string{"owner", "team"}}); err != nil {
		t.Fatal(err)
	}
	if err := v.Tag(ctx, "a", TagChange{Remove: []string{"nope"}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("untag of a missing key: %v", err)
	}
	if err := v.Tag(ctx, "a", TagChange{Set: map[string]string{TagRotateEvery: "often"}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad rotate-every: %v", err)
	}
	many := map[string]string{}
	for i := range 32 {
		many[fmt.Sprint("k", i)] = "v"
	}
	if err := v.Tag(ctx, "a", TagChange{Set: many}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("33 tags after merge: %v", err)
	}
	s, _ = v.Secret(ctx, "a")
	if fmt.Sprint(s.Tags) != "map[env:dev]" {
		t.Fatalf("a refused tag changed the secret: %v", s.Tags)
	}
	l, _ := v.List(ctx, ListOptions{Tags: map[string]string{"env": "dev"}})
	l2, _ := v.List(ctx, ListOptions{Tags: map[string]string{"env": "prod"}})
	if len(l) != 1 || len(l2) != 0 {
		t.Fatalf("list by tag: %d, %d", len(l), len(l2))
	}
}

func TestRename(t *testing.T) {
	t.Parallel()
	v := newVault(t, DefaultSettings(), nil)
	mustPut(t, v, "old", "1", PutOptions{Tags: map[string]string{"env": "prod"}})
	mustPut(t, v, "old", "2", PutOptions{})
	mustPut(t, v, "taken", "x", PutOptions{})
	mustPut(t, v, "trashed", "x", PutOptions{})
	if err := v.Delete(ctx, "trashed"); err != nil {
		t.Fatal(err)
	}
	if err := v.Rename(ctx, "old", "taken"); !errors.Is(err, ErrExists) {
		t.Fatalf("rename onto a live secret: %v", err)
	}
	if err := v.Rename(ctx, "old", "trashed"); !errors.Is(err, ErrInTrash) || !errors.Is(err, ErrPolicy) {
		t.Fatalf("rename onto a name in the trash: %v", err)
	}
	if err := v.Rename(ctx, "old", "bad//name"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("rename to a bad name: %v", err)
	}
	if err := v.Rename(ctx, "missing", "new"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rename of a missing secret: %v", err)
	}
	if err := v.Rename(ctx, "old", "new/name"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Secret(ctx, "old"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old name still found: %v", err)
	}
	s, err := v.Secret(ctx, "new/name")
	if err != nil || len(s.Versions) != 2 || s.Tags["env"] != "prod" {
		t.Fatalf("renamed secret: %+v %v", s, err)
	}
	if val, _, err := v.Get(ctx, "new/name", 1, OpGet); err != nil || string(val) != "1" {
		t.Fatalf("old version after rename: %q %v", val, err)
	}
	ev, err := v.Audit(ctx, "new/name")
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, e := range ev {
		ops = append(ops, string(e.Op))
	}
	if strings.Join(ops, ",") != "set,set,mv,get" {
		t.Fatalf("audit trail after rename: %v", ops)
	}
	// The old name is free again and starts a fresh history.
	mustPut(t, v, "old", "fresh", PutOptions{})
	if s, _ := v.Secret(ctx, "old"); len(s.Versions) != 1 || len(s.Tags) != 0 {
		t.Fatalf("reused old name: %+v", s)
	}
	if ev, _ := v.Audit(ctx, "old"); len(ev) != 1 {
		t.Fatalf("reused old name sees %d audit events", len(ev))
	}
}

func TestEnableDisable(t *testing.T) {
	t.Parallel()
	v := newVault(t, DefaultSettings(), nil)
	mustPut(t, v, "k", "secret", PutOptions{})
	off, on := false, true
	if err := v.Update(ctx, "k", Attributes{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	if val, _, err := v.Get(ctx, "k", 0, OpCopy); !errors.Is(err, ErrDisabled) || !errors.Is(err, ErrPolicy) || val != nil {
		t.Fatalf("get of a disabled secret: %q %v", val, err)
	}
	if l, _ := v.List(ctx, ListOptions{}); len(l) != 1 || l[0].Status(v.now(), v.currentSettings()) != StatusDisabled {
		t.Fatalf("disabled secret not listed as disabled: %+v", l)
	}
	// Writing a new version does not enable it.
	mustPut(t, v, "k", "new", PutOptions{})
	if _, _, err := v.Get(ctx, "k", 0, OpGet); !errors.Is(err, ErrDisabled) {
		t.Fatalf("get after put: %v", err)
	}
	if err := v.Update(ctx, "k", Attributes{Enabled: &on}); err != nil {
		t.Fatal(err)
	}
	if val, _, err := v.Get(ctx, "k", 0, OpGet); err != nil || string(val) != "new" {
		t.Fatalf("get after enable: %q %v", val, err)
	}
	ev, _ := v.Audit(ctx, "k")
	if ev[1].Op != "disable" || ev[3].Op != "enable" {
		t.Fatalf("audit ops %+v", ev)
	}
}

func TestTrash(t *testing.T) {
	t.Parallel()
	c := newClock()
	v := newVault(t, DefaultSettings(), c)
	mustPut(t, v, "k", "v1", PutOptions{Tags: map[string]string{"env": "prod"}, ContentType: "text/plain"})
	mustPut(t, v, "k", "v2", PutOptions{})
	before, _ := v.Secret(ctx, "k")
	if err := v.Purge(ctx, "k"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("purge of a live secret: %v", err)
	}
	if err := v.Recover(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("recover of a live secret: %v", err)
	}
	c.Advance(time.Hour)
	if err := v.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if err := v.Delete(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, _, err := v.Get(ctx, "k", 0, OpGet); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get of a trashed secret: %v", err)
	}
	if _, err := v.Put(ctx, "k", []byte("x"), PutOptions{}); !errors.Is(err, ErrInTrash) || !errors.Is(err, ErrPolicy) {
		t.Fatalf("reuse of a trashed name: %v", err)
	} else if !strings.Contains(err.Error(), "recover") || !strings.Contains(err.Error(), "purge") {
		t.Fatalf("the refusal does not say to recover or purge: %v", err)
	}
	if err := v.Tag(ctx, "k", TagChange{Set: map[string]string{"a": "b"}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("tag of a trashed secret: %v", err)
	}
	live, _ := v.List(ctx, ListOptions{})
	trash, _ := v.List(ctx, ListOptions{Deleted: true})
	if len(live) != 0 || len(trash) != 1 || !trash[0].Deleted.Equal(c.Now()) {
		t.Fatalf("live %d, trash %+v", len(live), trash)
	}
	if err := v.Recover(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	after, _ := v.Secret(ctx, "k")
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Fatalf("recover changed the secret:\n%+v\n%+v", before, after)
	}
	if val, _, err := v.Get(ctx, "k", 1, OpGet); err != nil || string(val) != "v1" {
		t.Fatalf("recovered version 1: %q %v", val, err)
	}
	if err := v.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if err := v.Purge(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if err := v.Purge(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second purge: %v", err)
	}
	if len(v.rawKeys(t, kindValue))+len(v.rawKeys(t, kindMeta))+len(v.rawKeys(t, kindTrash))+len(v.rawKeys(t, kindScrub)) != 0 {
		t.Fatal("records left after purge")
	}
	// A purged name is free, and the new secret has no past.
	ver := mustPut(t, v, "k", "fresh", PutOptions{})
	s, _ := v.Secret(ctx, "k")
	if ver.Number != 1 || len(s.Versions) != 1 || len(s.Tags) != 0 {
		t.Fatalf("reused purged name: %+v", s)
	}
	if _, _, err := v.Get(ctx, "k", 2, OpGet); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old history visible: %v", err)
	}
	if ev, _ := v.Audit(ctx, "k"); len(ev) != 1 {
		t.Fatalf("new secret sees %d audit events of the old one", len(ev))
	}
}

func TestPurgeProtection(t *testing.T) {
	t.Parallel()
	c := newClock()
	set := DefaultSettings()
	set.Retention = 7 * Day
	v := newVault(t, set, c)
	if err := v.SetSetting(ctx, "purge-protection", "true", testPass); err != nil {
		t.Fatal(err)
	}
	if err := v.SetSetting(ctx, "purge-protection", "false", testPass); !errors.Is(err, ErrPolicy) {
		t.Fatalf("turning purge protection off: %v", err)
	}
	if !v.currentSettings().PurgeProtection {
		t.Fatal("purge protection was turned off")
	}
	// Shortening the retention would shorten the protection; lengthening
	// it is fine.
	if err := v.SetSetting(ctx, "retention", "8d", nil); err != nil {
		t.Fatal(err)
	}
	if err := v.SetSetting(ctx, "retention", "7d", nil); !errors.Is(err, ErrPolicy) {
		t.Fatalf("shortening the retention under purge protection: %v", err)
	}
	if got := v.currentSettings().Retention; got != 8*Day {
		t.Fatalf("retention %s after a refused change, want 8d", FormatDuration(got))
	}
	mustPut(t, v, "k", "v", PutOptions{})
	if err := v.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	c.Advance(8*Day - time.Second)
	if err := v.Purge(ctx, "k"); !errors.Is(err, ErrPurgeProtected) || !errors.Is(err, ErrPolicy) {
		t.Fatalf("purge before retention: %v", err)
	}
	if _, err := v.Secret(ctx, "k"); err != nil {
		t.Fatalf("refused purge removed the secret: %v", err)
	}
	c.Advance(time.Second)
	if err := v.Purge(ctx, "k"); err != nil {
		t.Fatalf("purge after retention: %v", err)
	}
	v = reopen(t, v, Options{Now: c.Now})
	if !v.currentSettings().PurgeProtection {
		t.Fatal("purge protection lost on reopen")
	}
}

func TestAutomaticPurge(t *testing.T) {
	t.Parallel()
	c := newClock()
	set := DefaultSettings()
	set.Retention = 30 * Day
	v := newVault(t, set, c)
	mustPut(t, v, "old", "v", PutOptions{})
	mustPut(t, v, "young", "v", PutOptions{})
	mustPut(t, v, "live", "v", PutOptions{})
	v.Delete(ctx, "old")
	c.Advance(10 * Day)
	v.Delete(ctx, "young")
	c.Advance(20 * Day) // old was deleted exactly 30 days ago
	// Read-only opening never writes, so it purges nothing.
	ro := reopen(t, v, Options{Now: c.Now, ReadOnly: true})
	if l, _ := ro.List(ctx, ListOptions{Deleted: true}); len(l) != 2 {
		t.Fatalf("read-only open changed the trash: %d", len(l))
	}
	v = reopen(t, ro, Options{Now: c.Now})
	l, _ := v.List(ctx, ListOptions{Deleted: true})
	if len(l) != 1 || l[0].Name != "young" {
		t.Fatalf("trash after automatic purge: %+v", l)
	}
	if _, err := v.Secret(ctx, "old"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired trash not purged: %v", err)
	}
	ev, _ := v.Audit(ctx, "")
	last := ev[len(ev)-1]
	if last.Op != "purge" || last.Secret != "old" || last.Note != "retention ended" {
		t.Fatalf("automatic purge not audited: %+v", last)
	}
	mustPut(t, v, "old", "again", PutOptions{})
	if _, err := v.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSettings(t *testing.T) {
	t.Parallel()
	bad := []Settings{
		func() Settings { s := DefaultSettings(); s.Retention = 6 * Day; return s }(),
		func() Settings { s := DefaultSettings(); s.Retention = 91 * Day; return s }(),
		func() Settings { s := DefaultSettings(); s.RotateEvery = time.Minute; return s }(),
		func() Settings { s := DefaultSettings(); s.MaxVersions = -1; return s }(),
		func() Settings { s := DefaultSettings(); s.IdleLock = time.Second; return s }(),
		func() Settings { s := DefaultSettings(); s.DueWindow = -time.Hour; return s }(),
	}
	for _, s := range bad {
		if err := s.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("Validate(%+v) = %v", s, err)
		}
		if _, err := Create(ctx, filepath.Join(t.TempDir(), "v"), testPass, MinKDF, s, Options{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("Create with %+v: %v", s, err)
		}
	}
	ok := map[string]string{"retention": "7d", "rotate-every": "12w", "due-window": "3d", "expiry-warning": "14d", "max-versions": "10", "idle-lock": "0s", "clipboard-osc52": "true", "purge-protection": "false"}
	refused := map[string]string{"retention": "6d", "rotate-every": "30m", "max-versions": "-1", "idle-lock": "5s", "clipboard-osc52": "maybe", "purge-protection": "yes please", "retention ": "7d", "colour": "red", "due-window": "soon"}
	v := newVault(t, DefaultSettings(), nil)
	for k, val := range ok {
		if err := v.SetSetting(ctx, k, val, testPass); err != nil {
			t.Errorf("config %s %s: %v", k, val, err)
		}
		if got, _ := v.currentSettings().Get(k); got != val && !(k == "rotate-every" && got == "84d") {
			t.Errorf("config %s = %s, want %s", k, got, val)
		}
	}
	for k, val := range refused {
		before := v.currentSettings()
		if err := v.SetSetting(ctx, k, val, testPass); !errors.Is(err, ErrInvalid) {
			t.Errorf("config %s %q: %v", k, val, err)
		}
		if v.currentSettings() != before {
			t.Errorf("refused config %s changed the settings", k)
		}
	}
	want := v.currentSettings()
	v = reopen(t, v, Options{})
	if v.currentSettings() != want {
		t.Fatalf("settings after reopen: %+v, want %+v", v.currentSettings(), want)
	}
	for _, k := range SettingKeys {
		if _, err := want.Get(k); err != nil || !IsSettingKey(k) {
			t.Errorf("setting %s: %v", k, err)
		}
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	set := DefaultSettings()
	mk := func(age time.Duration, mod func(*Secret)) *Secret {
		s := &Secret{Name: "s", Enabled: true, Versions: []Version{{Number: 1, Created: now.Add(-age)}}}
		if mod != nil {
			mod(s)
		}
		return s
	}
	cur := func(f func(*Version)) func(*Secret) { return func(s *Secret) { f(&s.Versions[0]) } }
	cases := []struct {
		name string
		s    *Secret
		want Status
	}{
		{"fresh", mk(0, nil), StatusOK},
		{"52 days", mk(52*Day, nil), StatusOK},
		{"53 days: stale within 7 days", mk(53*Day, nil), StatusDue},
		{"59 days", mk(59*Day, nil), StatusDue},
		{"60 days exactly", mk(60*Day, nil), StatusDue},
		{"60 days and a second", mk(60*Day+time.Second, nil), StatusStale},
		{"61 days", mk(61*Day, nil), StatusStale},
		{"rotate-every 90d at 61 days", mk(61*Day, func(s *Secret) { s.Tags = map[string]string{TagRotateEvery: "90d"} }), StatusOK},
		{"rotate-every 12h at 13h", mk(13*time.Hour, func(s *Secret) { s.Tags = map[string]string{TagRotateEvery: "12h"} }), StatusStale},
		{"bad rotate-every falls back", mk(61*Day, func(s *Secret) { s.Tags = map[string]string{TagRotateEvery: "x"} }), StatusStale},
		{"disabled beats expired", mk(0, func(s *Secret) { s.Enabled = false; s.Versions[0].Expires = now }), StatusDisabled},
		{"expires now", mk(0, cur(func(v *Version) { v.Expires = now })), StatusExpired},
		{"expired beats stale", mk(90*Day, cur(func(v *Version) { v.Expires = now.Add(-time.Hour) })), StatusExpired},
		{"expires in a second", mk(0, cur(func(v *Version) { v.Expires = now.Add(time.Second) })), StatusDue},
		{"expires in 30 days", mk(0, cur(func(v *Version) { v.Expires = now.Add(30 * Day) })), StatusDue},
		{"expires in 31 days", mk(0, cur(func(v *Version) { v.Expires = now.Add(31 * Day) })), StatusOK},
		{"not-before tomorrow", mk(0, cur(func(v *Version) { v.NotBefore = now.Add(Day) })), StatusNotYetValid},
		{"not-before now", mk(0, cur(func(v *Version) { v.NotBefore = now })), StatusOK},
		{"snoozed stale", mk(70*Day, func(s *Secret) { s.Tags = map[string]string{TagSnoozeUntil: now.Add(Day).Format(time.RFC3339)} }), StatusSnoozed},
		{"snoozed due", mk(55*Day, func(s *Secret) { s.Tags = map[string]string{TagSnoozeUntil: now.Add(Day).Format(time.RFC3339)} }), StatusSnoozed},
		{"snooze over", mk(70*Day, func(s *Secret) { s.Tags = map[string]string{TagSnoozeUntil: now.Format(time.RFC3339)} }), StatusStale},
		{"snooze does not hide expired", mk(0, func(s *Secret) {
			s.Versions[0].Expires = now
			s.Tags = map[string]string{TagSnoozeUntil: now.Add(Day).Format(time.RFC3339)}
		}), StatusExpired},
		// ValidateTag accepts a bare date, so Status must honour it.
		{"snoozed until a date", mk(70*Day, func(s *Secret) { s.Tags = map[string]string{TagSnoozeUntil: now.Add(2 * Day).Format(time.DateOnly)} }), StatusSnoozed},
		{"snooze until today's date is over", mk(70*Day, func(s *Secret) { s.Tags = map[string]string{TagSnoozeUntil: now.Format(time.DateOnly)} }), StatusStale},
		{"snooze on an ok secret", mk(0, func(s *Secret) { s.Tags = map[string]string{TagSnoozeUntil: now.Add(Day).Format(time.RFC3339)} }), StatusOK},
		{"old version's expiry does not count", mk(0, func(s *Secret) {
			s.Versions = append([]Version{{Number: 1, Created: now.Add(-100 * Day), Expires: now.Add(-Day)}}, s.Versions...)
			s.Versions[1].Number = 2
		}), StatusOK},
	}
	for _, c := range cases {
		if got := c.s.Status(now, set); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// TestListStatusAt checks List's status filter and its At option.
func TestListStatusAt(t *testing.T) {
	t.Parallel()
	c := newClock()
	v := newVault(t, DefaultSettings(), c)
	mustPut(t, v, "b/old", "x", PutOptions{})
	c.Advance(59 * Day)
	mustPut(t, v, "a/new", "x", PutOptions{})
	mustPut(t, v, "b/exp", "x", PutOptions{Expires: c.Now().Add(Day)})
	l, err := v.List(ctx, ListOptions{Statuses: []Status{StatusDue}})
	if err != nil || len(l) != 2 || l[0].Name != "b/exp" || l[1].Name != "b/old" {
		t.Fatalf("due now: %+v %v", l, err)
	}
	l, _ = v.List(ctx, ListOptions{Statuses: []Status{StatusStale, StatusExpired}, At: c.Now().Add(2 * Day)})
	if len(l) != 2 {
		t.Fatalf("stale or expired in two days: %+v", l)
	}
	l, _ = v.List(ctx, ListOptions{Prefix: "b/"})
	if len(l) != 2 || l[0].Name != "b/exp" {
		t.Fatalf("prefix: %+v", l)
	}
	if _, err := v.List(ctx, ListOptions{Prefix: "a//"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad prefix: %v", err)
	}
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	v := newVault(t, DefaultSettings(), nil)
	mustPut(t, v, "k", "hunter2-value", PutOptions{Tags: map[string]string{"t": "tagvalue"}})
	v.Get(ctx, "k", 0, OpCopy)
	v.Tag(ctx, "k", TagChange{Set: map[string]string{"a": "b"}, Note: "note"})
	v.Tag(ctx, "k", TagChange{Remove: []string{"a"}})
	v.Rename(ctx, "k", "k2")
	v.Rollback(ctx, "k2", 1)
	v.Delete(ctx, "k2")
	v.Recover(ctx, "k2")
	v.Delete(ctx, "k2")
	v.Purge(ctx, "k2")
	v.SetSetting(ctx, "max-versions", "3", nil)
	v.Review(ctx, "", "all fine")
	v.ChangePassphrase(ctx, testPass, testPass, MinKDF)
	ev, err := v.Audit(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for i, e := range ev {
		ops = append(ops, string(e.Op))
		if e.Seq != uint64(i+1) || e.Actor != "tester@host" || e.Outcome != "ok" || e.Time.IsZero() {
			t.Errorf("event %+v", e)
		}
		if strings.Contains(fmt.Sprintf("%+v", e), "hunter2-value") {
			t.Errorf("event holds a value: %+v", e)
		}
	}
	want := "init,set,copy,tag,untag,mv,rollback,rm,recover,rm,purge,config,review,passwd"
	if strings.Join(ops, ",") != want {
		t.Fatalf("ops %s\nwant %s", strings.Join(ops, ","), want)
	}
	if n, err := v.VerifyAudit(ctx); err != nil || n != len(ev) {
		t.Fatalf("verify: %d %v", n, err)
	}
	// The stored events never hold a value either.
	for _, k := range v.rawKeys(t, kindAudit) {
		if bytes.Contains(v.open(t, kindAudit, k), []byte("hunter2")) {
			t.Fatalf("audit record %x holds the value", k)
		}
	}
	// Read-only handles hand out values without an audit event: they
	// cannot write. The vault says so by refusing every other write.
	ro := reopen(t, v, Options{ReadOnly: true})
	if n, _ := ro.VerifyAudit(ctx); n != len(ev) {
		t.Fatalf("read-only verify: %d", n)
	}
}

// TestAuditTamper edits raw records as an attacker, and as a holder of the
// data key, and checks that verify notices each change.
func TestAuditTamper(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) *Vault {
		v := newVault(t, DefaultSettings(), nil)
		for i := range 5 {
			mustPut(t, v, fmt.Sprint("s", i), "v", PutOptions{})
		}
		if n, err := v.VerifyAudit(ctx); err != nil || n != 6 {
			t.Fatalf("fresh vault: %d %v", n, err)
		}
		return v
	}
	check := func(t *testing.T, v *Vault, want ...error) {
		t.Helper()
		_, err := v.VerifyAudit(ctx)
		for _, w := range want {
			if errors.Is(err, w) {
				return
			}
		}
		t.Fatalf("verify after tampering: %v, want one of %v", err, want)
	}
	t.Run("removed", func(t *testing.T) {
		v := setup(t)
		v.rawDelete(t, eventKey(3))
		check(t, v, ErrAuditBroken)
	})
	t.Run("removed newest", func(t *testing.T) {
		v := setup(t)
		v.rawDelete(t, eventKey(6))
		check(t, v, ErrAuditBroken)
	})
	t.Run("flipped byte", func(t *testing.T) {
		v := setup(t)
		b := v.rawGet(t, eventKey(2))
		b[len(b)-20] ^= 1
		v.rawSet(t, eventKey(2), b)
		check(t, v, ErrIntegrity)
	})
	t.Run("reordered", func(t *testing.T) {
		v := setup(t)
		a, b := v.rawGet(t, eventKey(2)), v.rawGet(t, eventKey(3))
		v.rawSet(t, eventKey(2), b)
		v.rawSet(t, eventKey(3), a)
		check(t, v, ErrIntegrity, ErrAuditBroken)
	})
	t.Run("edited with the key", func(t *testing.T) {
		v := setup(t)
		pt := v.open(t, kindAudit, eventKey(4))
		edited := bytes.Replace(pt, []byte(`"op":"set"`), []byte(`"op":"get"`), 1)
		if bytes.Equal(pt, edited) {
			t.Fatalf("event %s has no op to edit", pt)
		}
		v.reseal(t, kindAudit, eventKey(4), edited)
		check(t, v, ErrAuditBroken)
	})
	t.Run("renumbered with the key", func(t *testing.T) {
		v := setup(t)
		// Drop event 3 and move 4..6 down, resealed: the sequence is
		// whole but the chain breaks.
		for seq := uint64(3); seq < 6; seq++ {
			pt := v.open(t, kindAudit, eventKey(seq+1))
			pt = bytes.Replace(pt, fmt.Appendf(nil, `"seq":%d`, seq+1), fmt.Appendf(nil, `"seq":%d`, seq), 1)
			v.reseal(t, kindAudit, eventKey(seq), pt)
		}
		v.rawDelete(t, eventKey(6))
		check(t, v, ErrAuditBroken)
	})
}

func TestReadOnly(t *testing.T) {
	t.Parallel()
	v := newVault(t, DefaultSettings(), nil)
	mustPut(t, v, "k", "v", PutOptions{})
	v.Delete(ctx, "k")
	mustPut(t, v, "live", "v", PutOptions{})
	v = reopen(t, v, Options{ReadOnly: true})
	if !v.readOnly {
		t.Fatal("not read-only")
	}
	off := false
	writes := map[string]error{
		"put":      func() error { _, err := v.Put(ctx, "n", []byte("v"), PutOptions{}); return err }(),
		"tag":      v.Tag(ctx, "live", TagChange{Set: map[string]string{"a": "b"}}),
		"untag":    v.Tag(ctx, "live", TagChange{Remove: []string{"a"}}),
		"update":   v.Update(ctx, "live", Attributes{Enabled: &off}),
		"rename":   v.Rename(ctx, "live", "other"),
		"rollback": func() error { _, err := v.Rollback(ctx, "live", 1); return err }(),
		"delete":   v.Delete(ctx, "live"),
		"recover":  v.Recover(ctx, "k"),
		"purge":    v.Purge(ctx, "k"),
		"config":   v.SetSetting(ctx, "retention", "30d", nil),
		"passwd":   v.ChangePassphrase(ctx, testPass, []byte("new"), MinKDF),
		"review":   v.Review(ctx, "", "x"),
	}
	for op, err := range writes {
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s on a read-only vault: %v", op, err)
		}
	}
	if val, _, err := v.Get(ctx, "live", 0, OpGet); err != nil || string(val) != "v" {
		t.Fatalf("read-only get: %q %v", val, err)
	}
	// A second reader may share the vault.
	ro2, err := Open(ctx, v.dir, testPass, Options{ReadOnly: true, Wait: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	ro2.Close()
}

func TestBusy(t *testing.T) {
	t.Parallel()
	v := newVault(t, DefaultSettings(), nil)
	start := time.Now()
	_, err := Open(ctx, v.dir, testPass, Options{Wait: 300 * time.Millisecond})
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("second writer: %v", err)
	}
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Fatalf("gave up after %v, before the 300ms wait was over", waited)
	}
	if want := fmt.Sprintf("held by process %d", os.Getpid()); !strings.Contains(err.Error(), want) {
		t.Fatalf("message %q does not name the holder (%s)", err, want)
	}
	if _, err := Open(ctx, v.dir, testPass, Options{Wait: 100 * time.Millisecond, ReadOnly: true}); !errors.Is(err, ErrBusy) {
		t.Fatalf("reader while a writer holds the vault: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Open(cctx, v.dir, testPass, Options{Wait: time.Second}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	v.Close()
	v2, err := Open(ctx, v.dir, testPass, Options{Wait: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("open after the holder closed: %v", err)
	}
	v2.Close()
}

func TestLockHolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if got := lockHolder(dir); got != "held by another process" {
		t.Fatalf("no LOCK file: %q", got)
	}
	os.WriteFile(filepath.Join(dir, "LOCK"), []byte("garbage\n"), 0o600)
	if got := lockHolder(dir); got != "held by another process" {
		t.Fatalf("bad LOCK file: %q", got)
	}
	os.WriteFile(filepath.Join(dir, "LOCK"), fmt.Appendf(nil, "%d\n", os.Getpid()), 0o600)
	got := lockHolder(dir)
	if !strings.HasPrefix(got, fmt.Sprintf("held by process %d (vault.test", os.Getpid())) {
		t.Fatalf("own pid: %q", got)
	}
	os.WriteFile(filepath.Join(dir, "LOCK"), []byte("999999999\n"), 0o600)
	if got := lockHolder(dir); got != "held by process 999999999" {
		t.Fatalf("gone pid: %q", got)
	}
}

// TestBusyReader: a reader writes no LOCK file; the writer that waits for
// it still names it.
func TestBusyReader(t *testing.T) {
	t.Parallel()
	v := newVault(t, DefaultSettings(), nil)
	ro := reopen(t, v, Options{ReadOnly: true})
	_, err := Open(ctx, ro.dir, testPass, Options{Wait: 100 * time.Millisecond})
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("writer while a reader holds the vault: %v", err)
	}
	if want := fmt.Sprintf("held by process %d", os.Getpid()); !strings.Contains(err.Error(), want) {
		t.Fatalf("message %q does not name the reader (%s)", err, want)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	v := newVault(t, DefaultSettings(), nil)
	dir := v.dir
	v.Close()
	if err := v.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := v.Secret(ctx, "x"); err == nil {
		t.Fatal("use after close")
	}
	_, err := Open(ctx, dir, []byte("wrong"), Options{})
	if !errors.Is(err, ErrWrongPassphrase) || err.Error() != "wrong passphrase or damaged vault header" {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := Open(ctx, filepath.Join(dir, "missing"), testPass, Options{}); !errors.Is(err, ErrNoVault) {
		t.Fatalf("missing vault: %v", err)
	}
	if _, err := Open(ctx, t.TempDir(), testPass, Options{}); !errors.Is(err, ErrNoVault) {
		t.Fatalf("empty directory: %v", err)
	}
	if _, err := Create(ctx, dir, testPass, MinKDF, DefaultSettings(), Options{}); !errors.Is(err, ErrExists) {
		t.Fatalf("create over a vault: %v", err)
	}
	// A failed Create leaves nothing behind, so that it can be retried.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	failed := filepath.Join(t.TempDir(), "v")
	if _, err := Create(cctx, failed, testPass, MinKDF, DefaultSettings(), Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled create: %v", err)
	}
	if v, err := Create(ctx, failed, testPass, MinKDF, DefaultSettings(), Options{}); err != nil {
		t.Fatalf("create after a failed create: %v", err)
	} else {
		v.Close()
	}
	// A store whose header is gone is kept, not overwritten.
	orphan := t.TempDir()
	os.MkdirAll(filepath.Join(orphan, dbDir), 0o700)
	os.WriteFile(filepath.Join(orphan, dbDir, "MANIFEST"), []byte("x"), 0o600)
	if _, err := Create(ctx, orphan, testPass, MinKDF, DefaultSettings(), Options{}); !errors.Is(err, ErrExists) {
		t.Fatalf("create over a store without a header: %v", err)
	}
	if _, err := Create(ctx, filepath.Join(t.TempDir(), "v"), nil, MinKDF, DefaultSettings(), Options{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty passphrase: %v", err)
	}
	if _, err := Create(ctx, filepath.Join(t.TempDir(), "v"), testPass, KDFParams{MemoryKiB: 1024, Time: 1, Threads: 1}, DefaultSettings(), Options{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("weak kdf: %v", err)
	}
	os.Chmod(dir, 0o770)
	if _, err := Open(ctx, dir, testPass, Options{}); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("group-writable vault: %v", err)
	}
	os.Chmod(dir, 0o700)
	hb, _ := os.ReadFile(filepath.Join(dir, headerFile))
	os.WriteFile(filepath.Join(dir, headerFile), hb[:len(hb)/2], 0o600)
	if _, err := Open(ctx, dir, testPass, Options{}); !errors.Is(err, ErrBadHeader) {
		t.Fatalf("damaged header: %v", err)
	}
}

func TestChangePassphrase(t *testing.T) {
	t.Parallel()
	v := newVault(t, DefaultSettings(), nil)
	mustPut(t, v, "k", "before", PutOptions{})
	if err := v.ChangePassphrase(ctx, testPass, nil, MinKDF); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty new passphrase: %v", err)
	}
	if err := v.ChangePassphrase(ctx, testPass, []byte("x"), KDFParams{MemoryKiB: 1024, Time: 3, Threads: 1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("weak kdf: %v", err)
	}
	valBefore := v.rawGet(t, valueKey(v.secretID(t, "k"), 1))
	newPass := []byte("new passphrase")
	p := KDFParams{MemoryKiB: 64 * 1024, Time: 4, Threads: 1}
	if err := v.ChangePassphrase(ctx, testPass, newPass, p); err != nil {
		t.Fatal(err)
	}
	if KDFParams(v.header.KDF) != p {
		t.Fatalf("kdf %+v", v.header.KDF)
	}
	// Nothing was re-encrypted.
	if !bytes.Equal(valBefore, v.rawGet(t, valueKey(v.secretID(t, "k"), 1))) {
		t.Fatal("passwd re-encrypted a record")
	}
	dir := v.dir
	v.Close()
	if _, err := Open(ctx, dir, testPass, Options{}); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("old passphrase: %v", err)
	}
	v2, err := Open(ctx, dir, newPass, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer v2.Close()
	if val, _, err := v2.Get(ctx, "k", 0, OpGet); err != nil || string(val) != "before" {
		t.Fatalf("value after passwd: %q %v", val, err)
	}
	// The header is replaced atomically: no temporary file is left.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != headerFile && e.Name() != dbDir {
			t.Errorf("stray file %s in the vault directory", e.Name())
		}
	}
}

// TestWriteFileAtomic checks the header writer's crash safety: the file
// at path is always either the whole old or the whole new content.
func TestWriteFileAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, headerFile)
	if err := writeFileAtomic(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	// A failed write (the directory refuses new files) keeps the old file.
	os.Chmod(dir, 0o500)
	err := writeFileAtomic(path, []byte("new"))
	os.Chmod(dir, 0o700)
	if err == nil && os.Geteuid() != 0 {
		t.Fatal("write into a read-only directory succeeded")
	}
	if b, _ := os.ReadFile(path); err != nil && string(b) != "old" {
		t.Fatalf("failed write damaged the file: %q", b)
	}
	if err := writeFileAtomic(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("content %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestContextCancelled(t *testing.T) {
	t.Parallel()
	v := newVault(t, DefaultSettings(), nil)
	mustPut(t, v, "k", "v", PutOptions{})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := v.Put(cctx, "n", []byte("v"), PutOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("put: %v", err)
	}
	if _, _, err := v.Get(cctx, "k", 0, OpGet); !errors.Is(err, context.Canceled) {
		t.Fatalf("get: %v", err)
	}
	if _, err := v.List(cctx, ListOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("list: %v", err)
	}
	if err := v.Delete(cctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("delete: %v", err)
	}
	if _, err := v.Secret(ctx, "n"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a cancelled put wrote: %v", err)
	}
}

func TestActorAndClock(t *testing.T) {
	t.Parallel()
	c := newClock()
	v := newVault(t, DefaultSettings(), c)
	if v.actor != "tester@host" || !v.now().Equal(c.Now()) {
		t.Fatal("options not applied")
	}
	if !strings.Contains(DefaultActor(), "@") {
		t.Fatalf("default actor %q", DefaultActor())
	}
	if len(mustInfo(t, v).ID) != 32 {
		t.Fatalf("vault id %q", mustInfo(t, v).ID)
	}
}
