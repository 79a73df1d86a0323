package tui

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"locket/vault"
)

func names(ix *index, rows []int32) []string {
	var out []string
	for _, r := range rows {
		out = append(out, ix.entries[r].s.Name)
	}
	return out
}

func demoIndex(t *testing.T) *index {
	t.Helper()
	v := shared(t)
	live, err := v.List(context.Background(), vault.ListOptions{At: testNow})
	if err != nil {
		t.Fatal(err)
	}
	return newIndex(live, testNow, settingsOf(t, v), sortName)
}

func TestFilterTerms(t *testing.T) {
	t.Parallel()
	ix := demoIndex(t)
	cases := []struct {
		query string
		want  []string
	}{
		{"tag:vendor=aws", []string{"prod/aws/deploy-access-key", "prod/aws/deploy-secret-key"}},
		{"status:expired", []string{"staging/tls/staging.example.com.key", "vendor/mapbox/token"}},
		{"status:disabled", []string{"dev/mailhog/password", "prod/slack/webhook"}},
		{"tag:env=staging status:stale", []string{"staging/db/password", "staging/db/url", "staging/sendgrid/api-key"}},
		{"tag:owner", []string{"personal/bank/pin", "personal/gpg/passphrase", "personal/ssh/id_ed25519", "personal/wifi/office", "prod/db/password"}},
		{"TAG:Vendor=AWS", []string{"prod/aws/deploy-access-key", "prod/aws/deploy-secret-key"}},
		{"nothing-matches-this", nil},
	}
	for _, c := range cases {
		res, ok := ix.run(parseQuery(c.query), nil, nil, 0)
		if !ok {
			t.Fatal("run was cancelled")
		}
		got := names(ix, res.rows)
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: got %v, want %v", c.query, got, c.want)
		}
	}
}

func TestFilterRanksSubstringsFirst(t *testing.T) {
	t.Parallel()
	ix := demoIndex(t)
	res, _ := ix.run(parseQuery("stripe"), nil, nil, 0)
	got := names(ix, res.rows)
	if len(got) < 3 {
		t.Fatalf("stripe: got %v", got)
	}
	for _, n := range got[:3] {
		if !strings.Contains(n, "stripe") {
			t.Errorf("stripe: a fuzzy match ranks above a substring match: %v", got)
		}
	}
	res, _ = ix.run(parseQuery("pdbpass"), nil, nil, 0)
	if got := names(ix, res.rows); len(got) == 0 || got[0] != "prod/db/password" {
		t.Errorf("pdbpass: got %v, want prod/db/password first", got)
	}
	res, _ = ix.run(parseQuery("vendor=sentry"), nil, nil, 0)
	if got := names(ix, res.rows); !slices.Equal(got, []string{"prod/sentry/dsn"}) {
		t.Errorf("a word matches tags too: got %v", got)
	}
}

// TestFilterNarrowingMatchesFullRun types random queries one key at a
// time and checks that searching only the previous result finds exactly
// what a full search finds.
func TestFilterNarrowingMatchesFullRun(t *testing.T) {
	t.Parallel()
	ix := demoIndex(t)
	words := []string{"prod", "db", "tag:env=prod", "tag:team", "status:st", "status:due", "key", "pw", "tag:", "status:", "a", "tag:vendor=s"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var q string
		for range 1 + rng.IntN(3) {
			q += words[rng.IntN(len(words))] + " "
		}
		q = strings.TrimSpace(q)
		prev := filterResult{rows: ix.all()}
		for i := 1; i <= len(q); i++ {
			pq := parseQuery(q[:i])
			got, _ := ix.run(pq, &prev, nil, 0)
			want, _ := ix.run(pq, nil, nil, 0)
			if !slices.Equal(got.rows, want.rows) {
				t.Fatalf("%q after %q: narrowed %v, full %v", q[:i], prev.query.raw, names(ix, got.rows), names(ix, want.rows))
			}
			prev = got
		}
	}
}

func TestFilterStaleRunStops(t *testing.T) {
	t.Parallel()
	ix := bigIndex(20000)
	var gen = new(atomicCounter)
	gen.Store(2)
	if _, ok := ix.run(parseQuery("a"), nil, &gen.Uint64, 1); ok {
		t.Error("a run for an old keystroke finished instead of stopping")
	}
}

// TestEscapesRenderInert plants escape sequences in tags, a content type
// and a value, and checks that no screen passes them to the terminal
// (security invariant 6).
func TestEscapesRenderInert(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "vault")
	v, err := vault.Create(context.Background(), dir, []byte(testPass), vault.MinKDF, vault.DefaultSettings(), vault.Options{Now: func() testTime { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	evil := "\x1b]52;c;aGFja2Vk\x07\x1b[2J\x9b31m\u202e"
	_, err = v.Put(context.Background(), "evil/secret", []byte("line1\n"+evil+"\r\nline3"), vault.PutOptions{
		ContentType: "text/plain",
		Tags:        map[string]string{"note": evil, "env": "prod"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, sz := range sizes {
		m := openModel(t, v, Config{}, sz[0], sz[1])
		screens := map[string]string{"list": m.View()}
		press(t, m, "enter", "space")
		screens["revealed"] = m.View()
		if !strings.Contains(screens["revealed"], "line1") {
			t.Fatalf("value not revealed:\n%s", screens["revealed"])
		}
		press(t, m, "esc", "h", "space")
		screens["history"] = m.View()
		press(t, m, "esc", "t")
		screens["tags"] = m.View()
		press(t, m, "esc", "/")
		typeText(t, m, "tag:note=\x1b")
		screens["filter"] = m.View()
		for name, out := range screens {
			// A C1 control (U+009B, CSI) or a stray byte of one would
			// reach the terminal as well as ESC or BEL.
			if strings.ContainsAny(out, "\x1b\x07\u009b\r\u202e") || !utf8.ValidString(out) {
				t.Errorf("%dx%d %s: a control character reached the terminal: %q", sz[0], sz[1], name, out)
			}
		}
		if !strings.Contains(screens["revealed"], `\x1b]52`) {
			t.Errorf("the escape is not shown as visible text:\n%s", screens["revealed"])
		}
		m.hide()
		m.v = nil
	}
	_ = fmt.Sprint()
}

func TestFilterNonASCIITags(t *testing.T) {
	t.Parallel()
	secrets := []vault.Secret{
		{Name: "a/one", Enabled: true, Tags: map[string]string{"city": "İstanbul", "team": "ẞeta"}, Versions: []vault.Version{{Number: 1, Created: testNow}}},
		{Name: "b/two", Enabled: true, Tags: map[string]string{"city": "Zürich"}, Versions: []vault.Version{{Number: 1, Created: testNow}}},
	}
	ix := newIndex(secrets, testNow, vault.DefaultSettings(), sortName)
	for q, want := range map[string][]string{
		"tag:city=zü": {"b/two"},
		"two":         {"b/two"},
		"one":         {"a/one"},
		"zürich":      {"b/two"},
	} {
		res, _ := ix.run(parseQuery(q), nil, nil, 0)
		if got := names(ix, res.rows); !slices.Equal(got, want) {
			t.Errorf("%q: got %v, want %v", q, got, want)
		}
	}
}
