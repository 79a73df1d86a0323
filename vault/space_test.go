package vault

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// smallDisk mounts a tmpfs of size for the test. CI runs as root; without
// root the test is skipped, unless LOCKET_E2E asks for every end-to-end
// test to run.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 && os.Getenv("LOCKET_E2E") == "" {
		t.Skip("mounting a tmpfs needs root; LOCKET_E2E=1 makes this a failure")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	return dir
}

// fill leaves about leave bytes free on the file system of dir, and
// returns the file that takes the rest.
func fill(t *testing.T, dir string, leave uint64) string {
	t.Helper()
	free, err := statfs(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for n := int64(free - leave); n > 0; n -= int64(len(buf)) {
		if _, err := f.Write(buf[:min(int64(len(buf)), n)]); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// TestDiskFull: with less free space than Badger may claim, every write
// is refused with ENOSPC before it starts, the vault stays as it was and
// readable, and writing works again once there is room.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mnt := smallDisk(t, "112m")
	opts := Options{Actor: "tester@host", StateDir: t.TempDir()}
	dir := filepath.Join(mnt, "vault")
	v, err := Create(ctx, dir, testPass, MinKDF, DefaultSettings(), opts)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, v, "a", "before the disk filled", PutOptions{})
	counter := v.counter
	filler := fill(t, mnt, spaceReserve()/2)

	full := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space left on device") {
			t.Errorf("%s on a full disk: %v, want no space left on device", what, err)
		}
	}
	_, err = v.Put(ctx, "a", []byte("lost"), PutOptions{})
	full("put", err)
	_, err = v.Import(ctx, SecretsOf([]SecretData{data("imported", "x")}), ImportOptions{})
	full("import", err)
	full("passwd", v.ChangePassphrase(ctx, testPass, []byte("other"), MinKDF))
	full("rekey", v.Rekey(ctx, testPass, []byte("other"), MinKDF))
	if v.counter != counter {
		t.Errorf("state moved from %d to %d: something was written", counter, v.counter)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, dir, testPass, opts)
	full("writable open", err)

	ro := opts
	ro.ReadOnly = true
	r, err := Open(ctx, dir, testPass, ro)
	if err != nil {
		t.Fatalf("read-only open on a full disk: %v", err)
	}
	if val, _, err := r.Get(ctx, "a", 0, OpGet); err != nil || string(val) != "before the disk filled" {
		t.Errorf("get: %q %v", val, err)
	}
	if rep, err := r.Verify(ctx); err != nil {
		t.Errorf("verify: %+v %v", rep, err)
	}
	r.Close()

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	v, err = Open(ctx, dir, testPass, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	mustPut(t, v, "a", "after", PutOptions{})
}
