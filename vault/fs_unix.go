//go:build unix

package vault

import (
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// tryLockDir takes the flock Badger holds on the store directory d while
// a process has it open (shared for a reader, exclusive for a writer),
// without waiting.
func tryLockDir(d *os.File, exclusive bool) (unlock func(), ok bool) {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(d.Fd()), how|syscall.LOCK_NB); err != nil {
		return nil, false
	}
	return func() { syscall.Flock(int(d.Fd()), syscall.LOCK_UN) }, true
}

// checkPrivate refuses a vault directory that group or others can write
// to: they could swap files under us.
func checkPrivate(dir string, fi fs.FileInfo) error {
	if fi.Mode().Perm()&0o022 != 0 {
		return &UnsafeError{Dir: dir, Mode: fi.Mode().Perm()}
	}
	return nil
}

// restrictDir does nothing on Unix: MkdirAll made the directory 0700, and
// checkPrivate judges one that existed.
func restrictDir(string) error { return nil }

// diskFree is the file system's free space for an unprivileged writer.
func diskFree(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// diskUsage is the disk space fi takes, which may be less than its size.
func diskUsage(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Blocks) * 512
	}
	return 0
}

// flockHolder returns the pid of a process holding a flock on dir, from
// /proc/locks, or 0.
func flockHolder(dir string) int {
	fi, err := os.Stat(dir)
	if err != nil {
		return 0
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0
	}
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		return 0
	}
	// Lines look like "1: FLOCK  ADVISORY  READ 4674 fe:00:246947 0 EOF".
	suffix := ":" + strconv.FormatUint(st.Ino, 10)
	for _, line := range strings.Split(string(locks), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && f[1] == "FLOCK" && strings.HasSuffix(f[5], suffix) {
			if pid, err := strconv.Atoi(f[4]); err == nil {
				return pid
			}
		}
	}
	return 0
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
