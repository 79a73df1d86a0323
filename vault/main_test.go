package vault

import (
	"os"
	"testing"

	"github.com/adrg/xdg"
)

// TestMain keeps the machine state that opens remember (seen.go) out of
// the user's home: tests that look at it pass their own Options.StateDir.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "locket-state-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_STATE_HOME", dir)
	xdg.Reload()
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
