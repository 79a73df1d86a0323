package tui

import (
	"strings"
	"testing"
	"time"

	"locket/vault"

	"github.com/charmbracelet/x/ansi"
)

// TestGitRejectedShown: a credential git refused is kept, tagged
// git-rejected, and its detail says so in words (issue 25, bug 2).
func TestGitRejectedShown(t *testing.T) {
	t.Parallel()
	at := testNow.Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	v := ownVault(t, map[string]vault.PutOptions{
		"git/example.com": {Tags: map[string]string{"username": "alice", vault.TagGitRejected: at}},
	})
	m := openModel(t, v, Config{}, 120, 40)
	view := ansi.Strip(m.View())
	if !strings.Contains(view, "refused by a git server") {
		t.Fatalf("no git refusal in the detail:\n%s", view)
	}
}
