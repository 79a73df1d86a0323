package cmd

import (
	"errors"
	"io/fs"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The parts of run, agent and demo that differ between Windows and Unix
// (sys_unix.go).

// forwarded: Go maps ctrl+c and ctrl+break to os.Interrupt and closing the
// console to SIGTERM. Windows has no other signals.
var forwarded = []os.Signal{os.Interrupt, windows.SIGTERM}

// fromTerminal: the console delivers ctrl+c, ctrl+break and close to every
// process attached to it, CMD included, so locket only has to outlive
// them while CMD decides; Windows cannot send them to one process anyway.
func fromTerminal(os.Signal) bool { return true }

// containChild puts CMD in a job object that is killed when its last
// handle closes. locket keeps that handle for as long as it lives, so
// when a run is killed (Task Manager, taskkill /f) the system closes it
// and CMD dies too, as it would with its terminal on Unix. A refusal
// (CMD already in a job that forbids nesting, before Windows 8) leaves CMD
// running as before.
func containChild(p *os.Process) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return
	}
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(p.Pid))
	if err != nil {
		windows.CloseHandle(job)
		return
	}
	defer windows.CloseHandle(h)
	if err := windows.AssignProcessToJobObject(job, h); err != nil {
		windows.CloseHandle(job)
	}
	// The job handle stays open on purpose until this process exits.
}

// toDevNull does nothing: Windows has no SIGPIPE, and a write to a pipe
// whose reader is gone fails without ending the agent.
func toDevNull(*os.File) {}

// ownDemo: the temp directory is the user's own on Windows.
func ownDemo(fs.FileInfo) bool { return true }

// processGone reports whether no process has this pid.
func processGone(pid int) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return errors.Is(err, windows.ERROR_INVALID_PARAMETER)
	}
	defer windows.CloseHandle(h)
	var code uint32
	return windows.GetExitCodeProcess(h, &code) == nil && code != 259 // STILL_ACTIVE
}

// dirNotWritable reports whether dir is read-only: Windows has no
// access(2), so it asks for the directory's read-only attribute, which a
// read-only volume or share sets too.
func dirNotWritable(dir string) bool {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return false
	}
	attrs, err := windows.GetFileAttributes(p)
	return err == nil && attrs&windows.FILE_ATTRIBUTE_READONLY != 0
}
