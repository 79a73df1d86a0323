package vaultserver

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill the server when the tests exit.
func dieWithParent(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
