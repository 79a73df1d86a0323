package clip

import (
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// detach starts the clearer without a console and in a process group of
// its own, so that closing the console or ctrl+c in it does not reach it.
func detach(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP | windows.DETACHED_PROCESS}
}
