package harden

import (
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Process keeps Windows Error Reporting from writing a dump of this
// process, which would hold its keys: the error mode turns off the crash
// dialog, and the exclusion keeps WER from reporting (and, with LocalDumps
// configured, dumping) this executable even when the Go runtime hands a
// crash to WER (GOTRACEBACK=crash). Windows has no ptrace; another process
// of the same user can still open this one with PROCESS_VM_READ, which
// only a protected process (not available to ordinary programs) prevents.
// The exclusion is best effort: Wine and locked-down systems may lack it,
// and a missing one is no reason to refuse to run.
func Process() error {
	windows.SetErrorMode(windows.SEM_FAILCRITICALERRORS | windows.SEM_NOGPFAULTERRORBOX | windows.SEM_NOOPENFILEERRORBOX)
	if exe, err := os.Executable(); err == nil {
		excludeFromWER(exe)
	}
	return nil
}

var werAddExcludedApplication = windows.NewLazySystemDLL("wer.dll").NewProc("WerAddExcludedApplication")

// excludeFromWER adds exe to this user's WER exclusion list (not all
// users', which needs an administrator).
func excludeFromWER(exe string) {
	p, err := windows.UTF16PtrFromString(exe)
	if err != nil || werAddExcludedApplication.Find() != nil {
		return
	}
	werAddExcludedApplication.Call(uintptr(unsafe.Pointer(p)), 0)
}
