//go:build !linux

package harden

import "errors"

// ErrMemoryLimit: memory locking is not available here.
var ErrMemoryLimit = errors.New("memory not locked on this system")

// LockMemory is not attempted on other systems: there is no MCL_ONFAULT,
// and locking every page at once would fail or pin the whole heap.
func LockMemory() error { return ErrMemoryLimit }
