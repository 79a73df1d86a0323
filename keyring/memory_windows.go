package keyring

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// lockPages keeps b out of the page file (VirtualLock). The process's
// minimum working set bounds what may be locked; a refusal leaves the key
// usable, only swappable, as a full memlock limit does on Unix.
func lockPages(b []byte) {
	windows.VirtualLock(uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
}

func unlockPages(b []byte) {
	windows.VirtualUnlock(uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
}
