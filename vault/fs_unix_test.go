//go:build unix

package vault

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestPermissions(t *testing.T) {
	// The vault gives its files their modes itself: it leaves the umask of
	// the process that embeds it alone.
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	v := newVault(t, DefaultSettings(), nil)
	mustPut(t, v, "k", "v", PutOptions{})
	v = reopen(t, v, Options{})
	v.Close()
	if got := syscall.Umask(0o022); got != 0o022 {
		t.Errorf("the umask is %#o after create and open, want it unchanged (0o022)", got)
	}
	fi, _ := os.Stat(v.dir)
	if fi.Mode().Perm() != 0o700 {
		t.Fatalf("vault directory mode %o", fi.Mode().Perm())
	}
	filepath.WalkDir(v.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %o", path, perm)
		}
		return nil
	})
}
