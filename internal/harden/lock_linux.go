package harden

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// ErrMemoryLimit: RLIMIT_MEMLOCK is too small to lock the process's memory.
var ErrMemoryLimit = errors.New("memory not locked: RLIMIT_MEMLOCK is limited")

// LockMemory keeps every page of the process out of swap as it is
// touched, keys included: the Go runtime copies key material (into cipher
// states, across the heap), so locking one buffer would not be enough.
// It is only attempted where nothing can stop it half-way: as root (which
// the limit does not bind) or with an unlimited RLIMIT_MEMLOCK. Under a
// finite limit a later allocation could fail, and the Go runtime treats
// that as fatal, so there it returns ErrMemoryLimit and locks nothing.
func LockMemory() error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim); err != nil {
		return err
	}
	if unix.Geteuid() != 0 && lim.Cur != unix.RLIM_INFINITY {
		return fmt.Errorf("%w (%d bytes)", ErrMemoryLimit, lim.Cur)
	}
	return unix.Mlockall(unix.MCL_CURRENT | unix.MCL_FUTURE | unix.MCL_ONFAULT)
}
