package vault

import (
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"

	"locket/internal/winsec"
)

// tryLockDir takes the lock Badger holds on Windows while a process has
// the store open: its LOCK file, opened with no sharing and deleted when
// the last handle closes. Opening it the same way fails while a live
// process holds it. Badger has no shared lock on Windows, so neither has
// this: every lock is exclusive.
func tryLockDir(d *os.File, _ bool) (unlock func(), ok bool) {
	p, err := windows.UTF16PtrFromString(filepath.Join(d.Name(), "LOCK"))
	if err != nil {
		return nil, false
	}
	h, err := windows.CreateFile(p, 0, 0, nil, windows.OPEN_ALWAYS,
		windows.FILE_ATTRIBUTE_TEMPORARY|windows.FILE_FLAG_DELETE_ON_CLOSE, 0)
	if err != nil {
		return nil, false
	}
	return func() { windows.CloseHandle(h) }, true
}

// checkPrivate refuses a vault directory whose access control list lets
// anyone but its owner (and SYSTEM and the Administrators, who can take
// any file) write to it, the Windows form of the group/world-writable
// check. Go reports every directory as mode 0777 there, so the mode says
// nothing.
func checkPrivate(dir string, _ fs.FileInfo) error {
	if err := winsec.CheckPrivate(dir); err != nil {
		return &UnsafeError{Dir: dir, Reason: err.Error()}
	}
	return nil
}

// restrictDir gives a new vault directory an access control list for
// this user alone, inherited by the files in it: MkdirAll's mode means
// nothing on Windows, and the directory would inherit its parent's.
func restrictDir(dir string) error { return winsec.Restrict(dir) }

// diskFree is the space free to this user on the volume of dir.
func diskFree(dir string) (uint64, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, err
	}
	var free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &free, nil, nil); err != nil {
		return 0, err
	}
	return free, nil
}

// diskUsage is the size of fi: Windows reports no block count.
func diskUsage(fi fs.FileInfo) uint64 { return uint64(fi.Size()) }

// lockHolder's fallback: Windows has no /proc/locks.
func flockHolder(string) int { return 0 }

// syncDir does nothing on Windows: a directory cannot be flushed through
// the read-only handle os.Open gives ("Access denied"), and NTFS journals
// a rename (MoveFileEx) as one metadata operation.
func syncDir(string) error { return nil }
