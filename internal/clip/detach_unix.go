//go:build unix

package clip

import (
	"os/exec"
	"syscall"
)

// detach puts the clearer in a session of its own, so that closing the
// terminal (SIGHUP) or ctrl+c in it does not reach the clearer.
func detach(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
