//go:build unix

package cmd

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// The parts of run, agent and demo that differ between Unix and Windows
// (sys_windows.go).

// forwarded are the signals CMD gets as if it ran directly.
var forwarded = []os.Signal{
	syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGWINCH,
	syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2,
}

// fromTerminal reports whether the terminal has sent s to CMD already: the
// keys ^C and ^\ and a window resize signal the whole foreground process
// group, which CMD shares with locket. Forwarding those again would
// deliver them twice (two ^C often means "quit now").
func fromTerminal(s os.Signal) bool {
	if s != syscall.SIGINT && s != syscall.SIGQUIT && s != syscall.SIGWINCH {
		return false
	}
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false
	}
	defer tty.Close()
	fg, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && fg == unix.Getpgrp()
}

// containChild does nothing on Unix: a killed run leaves CMD running, as
// a killed shell does, and a terminal's hangup reaches both.
func containChild(*os.Process) {}

// toDevNull points f at /dev/null.
func toDevNull(f *os.File) {
	if null, err := os.Open(os.DevNull); err == nil {
		unix.Dup2(int(null.Fd()), int(f.Fd()))
		null.Close()
	}
}

// ownDemo reports whether a demo directory is this user's.
func ownDemo(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}

// processGone reports whether no process has this pid. Signal 0 checks
// that it exists; EPERM means it does, under another user.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// dirNotWritable reports whether dir is on a read-only file system or
// lacks write permission for this process.
func dirNotWritable(dir string) bool {
	err := unix.Access(dir, unix.W_OK)
	return errors.Is(err, unix.EROFS) || errors.Is(err, unix.EACCES)
}
