//go:build !linux

package harden

import (
	"errors"

	"golang.org/x/sys/unix"
)

// Process sets the core size limit to 0; other systems have no
// PR_SET_DUMPABLE.
func Process() error {
	return unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
}

// ErrMemoryLimit: memory locking is not available here.
var ErrMemoryLimit = errors.New("memory not locked on this system")

// LockMemory is not attempted on other systems: there is no MCL_ONFAULT,
// and locking every page at once would fail or pin the whole heap.
func LockMemory() error { return ErrMemoryLimit }
