//go:build unix

package cmd

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"locket/internal/vaultserver"
)

// TestSyncScript runs the scripts in testdata/sync against a real Vault
// dev server. Each script gets VAULT_ADDR and VAULT_TOKEN of that server,
// RO_TOKEN (a token that may only read), VAULT_BIN (the same binary as
// the Vault CLI, for the team's side), SYNC_PATH (its own directory in the
// secret/ mount), DOWN_ADDR (an address where nothing answers) and a
// second vault at $WORK/vault2.
func TestSyncScript(t *testing.T) {
	t.Parallel()
	bin := vaultserver.Binary(t)
	srv, err := vaultserver.Start(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	// A token that may only read the scripts' secrets.
	ro, err := srv.TokenWithPolicy("read-only", `
path "secret/data/script/*"     { capabilities = ["read"] }
path "secret/metadata/script/*" { capabilities = ["read", "list"] }
`)
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                "testdata/sync",
		RequireUniqueNames: true,
		Setup: func(e *testscript.Env) error {
			if err := setupScript(e); err != nil {
				return err
			}
			port, err := vaultserver.FreePort()
			if err != nil {
				return err
			}
			e.Setenv("VAULT_ADDR", srv.Addr)
			e.Setenv("VAULT_TOKEN", srv.Token)
			e.Setenv("ROOT_TOKEN", srv.Token)
			e.Setenv("RO_TOKEN", ro)
			e.Setenv("VAULT_BIN", bin)
			e.Setenv("VAULT_NAMESPACE", "")
			e.Setenv("SYNC_PATH", "script/"+filepath.Base(e.WorkDir))
			e.Setenv("DOWN_ADDR", fmt.Sprintf("http://127.0.0.1:%d", port))
			e.Setenv("VAULT2", filepath.Join(e.WorkDir, "vault2"))
			return nil
		},
		Cmds: scriptCmds,
	})
}
