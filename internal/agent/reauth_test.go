package agent

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"locket/vault"
)

// rawCall posts body to /v1/call/method as any process of the user could,
// without the client, and returns the HTTP status.
func rawCall(t *testing.T, sock, method, body string) int {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /v1/call/%s HTTP/1.1\r\nHost: locket\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", method, len(body), body)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The ransom: a process that can reach an unlocked agent's socket changes
// the passphrase or rekeys without knowing the passphrase. The agent's
// vault checks the current passphrase itself, so neither works, and the
// user's passphrase still opens the vault.
func TestSensitiveCallsNeedThePassphrase(t *testing.T) {
	f := start(t)
	f.unlock(t)
	kdf := `{"MemoryKiB":65536,"Time":1,"Threads":1}`
	for _, c := range []struct{ method, body string }{
		{"Rekey", `["` + b64("ransom") + `",` + kdf + `]`},
		{"Rekey", `[null,"` + b64("ransom") + `",` + kdf + `]`},
		{"Rekey", `["` + b64("guess") + `","` + b64("ransom") + `",` + kdf + `]`},
		{"ChangePassphrase", `[null,"` + b64("ransom") + `",` + kdf + `]`},
		{"SetSetting", `["purge-protection","true",null]`},
		{"SetSetting", `["agent","off",null]`},
		{"Snapshot", `[{}]`},
	} {
		if code := rawCall(t, f.sock, c.method, c.body); code < 400 {
			t.Errorf("%s %s without the passphrase: %d", c.method, c.body, code)
		}
	}
	// Through the client: the sentinel, and exit 4 in the CLI.
	if err := f.c.Rekey(ctx, nil, []byte("ransom"), vault.MinKDF); !errors.Is(err, vault.ErrWrongPassphrase) || !strings.Contains(err.Error(), "asks for the current passphrase") {
		t.Errorf("rekey without the passphrase: %v", err)
	}
	if err := f.c.ChangePassphrase(ctx, []byte("guess"), []byte("ransom"), vault.MinKDF); !errors.Is(err, vault.ErrWrongPassphrase) {
		t.Errorf("passwd with a wrong passphrase: %v", err)
	}
	if set, err := f.c.Settings(ctx); err != nil || set.PurgeProtection || set.AgentOff {
		t.Fatalf("settings after refused changes: %+v, %v", set, err)
	}
	f.c.Lock(ctx)
	f.gone(t)
	v, err := vault.Open(ctx, f.dir, testPass, vault.Options{Wait: time.Millisecond})
	if err != nil {
		t.Fatalf("the user's passphrase after the attempts: %v", err)
	}
	v.Close()
}

// passwd, rekey and import through the agent are audited with the client.
func TestSensitiveCallsAuditTheClient(t *testing.T) {
	f := start(t)
	f.unlock(t)
	newPass := []byte("a new passphrase")
	if err := f.c.ChangePassphrase(ctx, testPass, newPass, vault.MinKDF); err != nil {
		t.Fatal(err)
	}
	if err := f.c.Rekey(ctx, newPass, testPass, vault.MinKDF); err != nil {
		t.Fatal(err)
	}
	data := []vault.SecretData{{Secret: vault.Secret{Name: "imported/a", Versions: []vault.Version{{}}}, Values: [][]byte{[]byte("x")}}}
	if _, err := f.c.Import(context.Background(), vault.SecretsOf(data), vault.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	events, err := f.c.Audit(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[vault.Op]bool{}
	for _, e := range events {
		switch e.Op {
		case vault.OpPasswd, vault.OpRekey, vault.OpImport:
			if e.Client == nil || e.Client.PID != os.Getpid() || !strings.Contains(e.Client.Command, "agent.test") {
				t.Errorf("%s through the agent without its client: %+v", e.Op, e)
			}
			seen[e.Op] = true
		}
	}
	if len(seen) != 3 {
		t.Fatalf("events: %+v", events)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
