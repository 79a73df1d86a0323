// Package harden closes the ways a process that holds a vault key could
// leak it through the operating system: a core dump written to disk when
// it crashes (GOTRACEBACK=crash and a SIGABRT are enough), and another
// process of the same user reading its memory through ptrace or
// /proc/PID/mem. Every locket process calls Process before it reads a
// passphrase; the agent also calls LockMemory.
package harden

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// ErrMemoryLimit: RLIMIT_MEMLOCK is too small to lock the process's memory.
var ErrMemoryLimit = errors.New("memory not locked: RLIMIT_MEMLOCK is limited")

// Process forbids core dumps of this process and makes it non-dumpable.
// Children get a fresh dumpable flag at exec, and none of them holds a key.
func Process() error {
	// A soft and hard limit of 0: no core file, and the process cannot
	// raise it again.
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		return fmt.Errorf("disable core dumps: %w", err)
	}
	// Not dumpable: no core even through a core_pattern pipe, which may
	// ignore RLIMIT_CORE, and /proc/PID/mem, environ and ptrace refuse
	// the same uid.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("make the process non-dumpable: %w", err)
	}
	return nil
}

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
