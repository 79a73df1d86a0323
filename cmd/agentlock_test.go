//go:build unix

package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"locket/internal/e2e"
	"locket/keyring"
)

// dataKeyOf unwraps the vault's data key from its header with pass, as
// keyring does: the needle a memory scan looks for.
func dataKeyOf(t *testing.T, dir string, pass []byte) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "header"))
	if err != nil {
		t.Fatal(err)
	}
	var h keyring.Header
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	kek := argon2.IDKey(pass, h.Salt, h.KDF.Time, h.KDF.MemoryKiB, h.KDF.Threads, chacha20poly1305.KeySize)
	aead, err := chacha20poly1305.NewX(kek)
	if err != nil {
		t.Fatal(err)
	}
	n := chacha20poly1305.NonceSizeX
	ad := fmt.Appendf(nil, "locket header v%d|%x|%d|%d|%d|%x", h.Format, h.VaultID, h.KDF.MemoryKiB, h.KDF.Time, h.KDF.Threads, h.Salt)
	key, err := aead.Open(nil, h.WrappedKey[:n], h.WrappedKey[n:], ad)
	if err != nil {
		t.Fatalf("unwrap the data key: %v", err)
	}
	return key
}

// waitGone polls until process pid has ended (a zombie has no memory
// left either).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		// The state follows the command's closing parenthesis.
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && strings.HasPrefix(string(b[i:]), ") Z") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d still runs", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLockLeavesNothing: after unlock, get and lock, no locket process
// holds the data key, the passphrase or the value read (security
// invariant 15). It reads the processes' memory, which takes root for an
// agent that is not dumpable: CI runs it as root.
func TestLockLeavesNothing(t *testing.T) {
	t.Parallel()
	a := newAgentEnv(t)
	const canary = "canary-lock-V4lue-71"
	pass := []byte("agent test passphrase")
	a.must(a.withPass, "", "unlock")
	a.must(a.env, canary, "set", "prod/api/key")
	if got := a.must(a.env, "", "get", "prod/api/key"); got != canary {
		t.Fatalf("get: %q", got)
	}
	needles := map[string][]byte{"the data key": dataKeyOf(t, a.vault, pass), "the passphrase": pass, "the value": []byte(canary)}
	pid := a.status().PID
	root := os.Getuid() == 0
	if root {
		// The scan finds what an unlocked agent holds: it can fail.
		if got := e2e.MemoryHolds(t, pid, needles); !strings.Contains(strings.Join(got, ","), "the data key") {
			t.Fatalf("the scan of the unlocked agent found %v; it should find the data key", got)
		}
	}
	a.must(a.env, "", "lock")
	waitGone(t, pid)
	mark := "XDG_RUNTIME_DIR=" + a.runtime
	for _, p := range e2e.Processes(t, a.bin, mark) {
		if !root {
			t.Errorf("locket process %d runs after lock", p)
			continue
		}
		if got := e2e.MemoryHolds(t, p, needles); len(got) > 0 {
			t.Errorf("locket process %d holds %v after lock", p, got)
		}
	}
	if st := a.status(); st.Running {
		t.Fatalf("an agent runs after lock: %+v", st)
	}
}

// The ransom through the CLI: with an unlocked agent and no passphrase
// source, `locket passwd --new-passphrase-file F` fails with exit 4 and
// changes nothing; with the current passphrase it works, audited with the
// client. The other sensitive calls ask the same way.
func TestAgentSensitiveCallsAskAgain(t *testing.T) {
	t.Parallel()
	a := newAgentEnv(t)
	a.must(a.withPass, "", "unlock")
	a.must(a.env, "v", "set", "app/k")
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	newPass := filepath.Join(t.TempDir(), "new")
	if err := os.WriteFile(newPass, []byte("the new passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"passwd", "--new-passphrase-file", newPass},
		{"passwd", "--rekey", "--new-passphrase-file", newPass},
		{"config", "purge-protection", "on", "--yes"},
		{"config", "agent", "off"},
		{"backup", "export", filepath.Join(t.TempDir(), "all.age"), "--recipient", id.Recipient().String()},
	} {
		// No passphrase source and no terminal to ask on.
		_, stderr, code := a.run(a.env, "", append([]string{}, args...)...)
		if code != ExitUnlock || !strings.Contains(stderr, "no passphrase") {
			t.Errorf("locket %s without the passphrase: exit %d, %q", strings.Join(args, " "), code, stderr)
		}
	}
	// A wrong current passphrase: exit 4, nothing changed.
	wrong := filepath.Join(t.TempDir(), "wrong")
	os.WriteFile(wrong, []byte("not it\n"), 0o600)
	if _, stderr, code := a.run(a.env, "", "passwd", "--passphrase-file", wrong, "--new-passphrase-file", newPass); code != ExitUnlock || !strings.Contains(stderr, "wrong passphrase") {
		t.Errorf("passwd with a wrong passphrase: exit %d, %q", code, stderr)
	}
	a.must(a.env, "", "lock")
	if got := a.must(a.withPass, "", "get", "app/k"); got != "v" {
		t.Fatalf("the user's passphrase after the attempts: %q", got)
	}
	// With it: done, and the audit names the client.
	a.must(a.withPass, "", "unlock")
	a.must(a.env, "", "passwd", "--passphrase-file", a.pass, "--new-passphrase-file", newPass)
	out := a.must(a.env, "", "audit", "--json")
	var events []struct {
		Op     string `json:"op"`
		Client *struct {
			PID     int    `json:"pid"`
			Command string `json:"command"`
		} `json:"client"`
	}
	if err := json.Unmarshal([]byte(out), &events); err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.Op != "passwd" || last.Client == nil || !strings.Contains(last.Client.Command, "passwd") {
		t.Errorf("audit of passwd through the agent: %+v", last)
	}
	a.must(a.env, "", "agent", "stop")
}
