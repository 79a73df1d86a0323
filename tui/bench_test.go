package tui

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"locket/vault"
)

// bigSecrets makes n realistic secrets in memory: names of three or four
// segments, two to four tags, ages over two years.
func bigSecrets(n int) []vault.Secret {
	rng := rand.New(rand.NewPCG(7, 11))
	envs := []string{"prod", "staging", "dev", "qa", "ci"}
	svcs := []string{"db", "redis", "stripe", "sendgrid", "github", "aws", "gcp", "oauth", "jwt", "tls", "kafka", "sentry", "search", "billing", "auth"}
	kinds := []string{"password", "api-key", "token", "url", "secret-key", "client-secret", "private-key", "webhook"}
	teams := []string{"platform", "payments", "growth", "identity", "sre", "mobile", "web", "data"}
	out := make([]vault.Secret, n)
	for i := range out {
		created := testNow.Add(-time.Duration(rng.IntN(700*24)) * time.Hour)
		out[i] = vault.Secret{
			Name:    fmt.Sprintf("%s/%s-%d/%s", envs[rng.IntN(len(envs))], svcs[rng.IntN(len(svcs))], i%997, kinds[rng.IntN(len(kinds))]),
			Created: created, Updated: created, Enabled: rng.IntN(50) != 0,
			Tags: map[string]string{
				"env":   envs[rng.IntN(len(envs))],
				"team":  teams[rng.IntN(len(teams))],
				"owner": fmt.Sprintf("user%d", rng.IntN(200)),
			},
			Versions: []vault.Version{{Number: 1, Created: created, ContentType: "text/plain", Size: 32, Actor: "ana@laptop"}},
		}
	}
	// vault.List returns secrets sorted by name.
	slices.SortFunc(out, func(a, b vault.Secret) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func bigIndex(n int) *index {
	return newIndex(bigSecrets(n), testNow, vault.DefaultSettings(), sortName)
}

// BenchmarkFilterKeystroke types "prod/strpe/tok" then "tag:team=pay",
// one keystroke per iteration, as the UI runs them: each keystroke
// narrows the previous result. Target: ≤ 16 ms per keystroke at 100k.
func BenchmarkFilterKeystroke(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ix := bigIndex(n)
			query := "prod/strpe tag:team=pay"
			b.ResetTimer()
			k := 0
			var prev filterResult
			for b.Loop() {
				k = k%len(query) + 1
				if k == 1 {
					prev = filterResult{rows: ix.all()}
				}
				res, _ := ix.run(vault.ParseQuery(query[:k]), &prev, nil, 0)
				prev = res
			}
		})
	}
}

// BenchmarkFilterFirstKeystroke is the worst case: one letter over all
// secrets, nothing to narrow from.
func BenchmarkFilterFirstKeystroke(b *testing.B) {
	ix := bigIndex(100000)
	for b.Loop() {
		ix.run(vault.ParseQuery("s"), nil, nil, 0)
	}
}

// BenchmarkView draws the main screen over 100k secrets. Target ≤ 2 ms.
func BenchmarkView(b *testing.B) {
	m := New(Config{Dir: b.TempDir(), Now: func() time.Time { return testNow }})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	secrets := bigSecrets(100000)
	m.state = stateMain
	m.v = &vault.Vault{}
	m.onLoaded(LoadedMsg{Secrets: secrets, Settings: vault.DefaultSettings()})
	m.list.move(50000)
	b.ResetTimer()
	for b.Loop() {
		_ = m.View()
	}
	m.v = nil
}

// BenchmarkFirstFrame is unlock to first frame on 100k secrets without
// the KDF and the store: indexing the loaded list and drawing it.
// Target ≤ 300 ms (with the store's List added; see the vault's List
// benchmark).
func BenchmarkFirstFrame(b *testing.B) {
	secrets := bigSecrets(100000)
	for b.Loop() {
		m := New(Config{Dir: b.TempDir(), Now: func() time.Time { return testNow }})
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		m.state = stateMain
		m.v = &vault.Vault{}
		m.onLoaded(LoadedMsg{Secrets: secrets, Settings: vault.DefaultSettings()})
		_ = m.View()
		m.v = nil
	}
}
