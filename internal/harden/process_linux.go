package harden

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Process forbids core dumps of this process and makes it non-dumpable,
// which also refuses ptrace attaches and /proc/PID/mem reads from other
// processes of the same user. Both settings are inherited by nothing
// locket spawns that matters: children get a fresh dumpable flag at exec,
// and none of them holds a key.
func Process() error {
	// A soft and hard limit of 0: no core file, and the process cannot
	// raise it again.
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0}); err != nil {
		return fmt.Errorf("disable core dumps: %w", err)
	}
	// Not dumpable: no core even through a core_pattern pipe, which may
	// ignore RLIMIT_CORE, and no ptrace by the same user.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("make the process non-dumpable: %w", err)
	}
	return nil
}
