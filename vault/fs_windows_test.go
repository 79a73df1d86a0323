package vault

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/windows"

	"locket/internal/winsec"
)

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var c, e, k, u windows.Filetime
	if windows.GetProcessTimes(windows.CurrentProcess(), &c, &e, &k, &u) != nil {
		return 0
	}
	return time.Duration(k.Nanoseconds() + u.Nanoseconds())
}

// A new vault's directory admits only this user, and a vault directory
// that lets others write to it is refused with ErrUnsafe, as one with mode
// 0777 is on Unix.
func TestPermissionsWindows(t *testing.T) {
	v := newVault(t, DefaultSettings(), nil)
	mustPut(t, v, "k", "v", PutOptions{})
	v = reopen(t, v, Options{})
	v.Close()
	if err := winsec.CheckPrivate(v.dir); err != nil {
		t.Fatalf("a new vault's directory: %v", err)
	}
	// Everyone (S-1-1-0) may write: the icacls of a careless share.
	sd, err := windows.SecurityDescriptorFromString("D:(A;OICI;FA;;;OW)(A;OICI;FA;;;WD)")
	if err != nil {
		t.Fatal(err)
	}
	dacl, _, _ := sd.DACL()
	if err := windows.SetNamedSecurityInfo(v.dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, v.dir, testPass, Options{})
	var unsafe *UnsafeError
	if !errors.Is(err, ErrUnsafe) || !errors.As(err, &unsafe) || unsafe.Reason == "" {
		t.Fatalf("a vault others may write to: %v, want ErrUnsafe naming why", err)
	}
	t.Logf("refused: %v", err)
}
