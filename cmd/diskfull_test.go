//go:build unix

package cmd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"locket/internal/e2e"
)

// TestDiskFullCLI runs set, import and passwd on a small tmpfs that is
// all but full: each says "no space left on device" and exits 1, and the
// vault is unchanged and readable. Mounting needs root, which CI has;
// elsewhere the test is skipped unless LOCKET_E2E=1 demands it.
func TestDiskFullCLI(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 && os.Getenv("LOCKET_E2E") == "" {
		t.Skip("mounting a tmpfs needs root; LOCKET_E2E=1 makes this a failure")
	}
	bin := e2e.Build(t)
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=112m,mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	work := t.TempDir()
	pass := filepath.Join(work, "pass")
	dotenv := filepath.Join(work, "app.env")
	os.WriteFile(pass, []byte("disk full passphrase\n"), 0o600)
	os.WriteFile(dotenv, []byte("TOKEN=abc\n"), 0o600)
	env := e2e.Env("LOCKET_VAULT="+filepath.Join(mnt, "vault"), "LOCKET_PASSPHRASE_FILE="+pass, "XDG_STATE_HOME="+work)
	run := func(stdin string, args ...string) (string, string, int) {
		t.Helper()
		c := exec.Command(bin, args...)
		c.Env = env
		c.Stdin = strings.NewReader(stdin)
		var stdout, stderr strings.Builder
		c.Stdout, c.Stderr = &stdout, &stderr
		err := c.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return stdout.String(), stderr.String(), code
	}
	if _, stderr, code := run("", "init", "--kdf-memory", "64MiB"); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	if _, stderr, code := run("before", "set", "app/token"); code != 0 {
		t.Fatalf("set: %d %s", code, stderr)
	}

	// Leave 16 MiB free: less than the 48 MiB Badger may claim.
	var st syscall.Statfs_t
	if err := syscall.Statfs(mnt, &st); err != nil {
		t.Fatal(err)
	}
	filler, err := os.Create(filepath.Join(mnt, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	for n := int64(st.Bavail*uint64(st.Bsize)) - 16<<20; n > 0; n -= int64(len(buf)) {
		if _, err := filler.Write(buf[:min(int64(len(buf)), n)]); err != nil {
			t.Fatal(err)
		}
	}
	filler.Close()

	for _, args := range [][]string{
		{"set", "app/token"},
		{"import", "dotenv", dotenv, "--prefix", "app"},
		{"passwd", "--new-passphrase-file", pass},
	} {
		stdout, stderr, code := run("after", args...)
		if code != ExitError || !strings.Contains(stderr, "no space left on device") || stdout != "" {
			t.Errorf("locket %s on a full disk: exit %d, %q, %q; want exit 1, no space left on device", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	if stdout, stderr, code := run("", "list"); code != 0 || !strings.Contains(stdout, "app/token") {
		t.Errorf("list on a full disk: %d %q %q", code, stdout, stderr)
	}
	if stdout, stderr, code := run("", "verify"); code != 0 {
		t.Errorf("verify on a full disk: %d %q %q", code, stdout, stderr)
	}
	os.Remove(filepath.Join(mnt, "filler"))
	if stdout, stderr, code := run("", "get", "app/token"); code != 0 || stdout != "before" {
		t.Errorf("get once there is room: %d %q %q; want the value from before", code, stdout, stderr)
	}
}
