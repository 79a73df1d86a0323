//go:build unix && !linux

package harden

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Process forbids core dumps. Other systems have no PR_SET_DUMPABLE; on
// macOS a process of the same user still needs the debugger entitlement
// to attach.
func Process() error {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		return fmt.Errorf("disable core dumps: %w", err)
	}
	return nil
}
