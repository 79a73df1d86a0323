package vault

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseBool(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"true", "yes", "on", "1", "TRUE", "Yes", "On"} {
		if b, err := ParseBool(s); err != nil || !b {
			t.Errorf("ParseBool(%q) = %v, %v; want true", s, b, err)
		}
	}
	for _, s := range []string{"false", "no", "off", "0", "OFF"} {
		if b, err := ParseBool(s); err != nil || b {
			t.Errorf("ParseBool(%q) = %v, %v; want false", s, b, err)
		}
	}
	for _, s := range []string{"", "y", "2", "enabled"} {
		if _, err := ParseBool(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseBool(%q): %v, want ErrInvalid", s, err)
		}
	}
}

func TestParseInterval(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]time.Duration{"60d": 60 * Day, "12w": 84 * Day, "36h": 36 * time.Hour, "180d": 180 * Day} {
		if d, err := ParseInterval(s); err != nil || d != want {
			t.Errorf("ParseInterval(%q) = %v, %v; want %v", s, d, err, want)
		}
	}
	// 60d180d is what typing into a pre-filled "60d" gave (issue 12, bug 1).
	for _, s := range []string{"60d180d", "1d12h", "", "d", "60", "60x", " 60d", "30m"} {
		if _, err := ParseInterval(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseInterval(%q): %v, want ErrInvalid", s, err)
		}
	}
	if err := ValidateTag(TagRotateEvery, "60d180d"); err == nil {
		t.Error("tag rotate-every=60d180d accepted")
	}
	if _, err := DefaultSettings().With("rotate-every", "60d180d"); err == nil {
		t.Error("setting rotate-every=60d180d accepted")
	}
	s := Secret{Tags: map[string]string{TagRotateEvery: "60d180d"}}
	if got := s.RotateEvery(DefaultSettings()); got != 60*Day {
		t.Errorf("a malformed tag in force: %v", got)
	}
}

func TestSettingsBooleans(t *testing.T) {
	t.Parallel()
	s, err := DefaultSettings().With("clipboard-osc52", "on")
	if err != nil || !s.ClipboardOSC52 {
		t.Fatalf("clipboard-osc52 on: %v %v", s.ClipboardOSC52, err)
	}
	if _, err := DefaultSettings().With("nope", "1"); err == nil || !strings.Contains(err.Error(), "retention, purge-protection") {
		t.Errorf("unknown setting lists keys as a Go slice: %v", err)
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	names := []string{"prod/db/password", "prod/db/url", "staging/db/password", "personal/pin"}
	if got := Suggest("prod/db/pasword", names); !slices.Equal(got, []string{"prod/db/password"}) {
		t.Errorf("Suggest: %v", got)
	}
	if got := Suggest("completely/else", names); got != nil {
		t.Errorf("Suggest far: %v", got)
	}
	if d := levenshtein("kitten", "sitting"); d != 3 {
		t.Errorf("levenshtein = %d", d)
	}
}

func TestQueryMatch(t *testing.T) {
	t.Parallel()
	s := Secret{Name: "prod/db/password", Tags: map[string]string{"owner": "ops"}}
	if ParseQuery("pdbpass").Match(&s, StatusOK) < 0 {
		t.Error("fuzzy name did not match")
	}
	if ParseQuery("owner=ops").Match(&s, StatusOK) != 0 {
		t.Error("tag text did not match at the tag rank")
	}
	if ParseQuery("status:stale").Match(&s, StatusOK) >= 0 {
		t.Error("status term matched the wrong status")
	}
}

func TestLine(t *testing.T) {
	t.Parallel()
	v := []byte("hunter2\r\nuser: alice\nurl: x\n")
	for n, want := range map[int]string{1: "hunter2", 2: "user: alice", 3: "url: x"} {
		if got, err := Line(v, n); err != nil || string(got) != want {
			t.Errorf("Line %d = %q, %v", n, got, err)
		}
	}
	if _, err := Line(v, 4); err == nil || !strings.Contains(err.Error(), "has 3 lines, not 4") {
		t.Errorf("Line 4: %v", err)
	}
	if _, err := Line([]byte("one"), 0); err == nil {
		t.Error("Line 0 accepted")
	}
	if got, _ := Line([]byte("one"), 1); string(got) != "one" {
		t.Errorf("single line: %q", got)
	}
}
