package winsec

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// UserSID is the SID of the user this process runs as, from its token.
func UserSID() (*windows.SID, error) {
	tu, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("current user: %w", err)
	}
	return tu.User.Sid.Copy()
}

// UserOnlySDDL is a security descriptor in SDDL that grants the user all
// access and nobody else any: a protected DACL (P) ignores what the
// parent would pass down.
func UserOnlySDDL() (string, error) {
	sid, err := UserSID()
	if err != nil {
		return "", err
	}
	return "D:P(A;;GA;;;" + sid.String() + ")", nil
}

// Restrict gives path (a directory made for locket) a protected DACL for
// this user alone, inherited by everything created in it.
func Restrict(path string) error {
	sid, err := UserSID()
	if err != nil {
		return err
	}
	sd, err := windows.SecurityDescriptorFromString("D:P(A;OICI;FA;;;" + sid.String() + ")")
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	err = windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
	if err != nil {
		return fmt.Errorf("restrict %s to this user: %w", path, err)
	}
	return nil
}

// writeRights are the rights that let a holder change a directory or
// what is in it, or its permissions.
const writeRights = windows.FILE_WRITE_DATA | windows.FILE_APPEND_DATA | windows.FILE_WRITE_EA |
	0x40 /* FILE_DELETE_CHILD */ | windows.FILE_WRITE_ATTRIBUTES | windows.DELETE |
	windows.WRITE_DAC | windows.WRITE_OWNER | windows.GENERIC_WRITE | windows.GENERIC_ALL

// CheckPrivate returns an error wrapping ErrNotPrivate, naming the SID,
// when anyone may write to path besides its owner, this user, SYSTEM and
// the Administrators group. The last two can take any file anyway, which
// is why OpenSSH for Windows accepts them on a private key too. A missing
// DACL (everyone has every right) is refused.
func CheckPrivate(path string) error {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("read the permissions of %s: %w", path, err)
	}
	owner, _, err := sd.Owner()
	if err != nil {
		return err
	}
	me, err := UserSID()
	if err != nil {
		return err
	}
	trusted := []*windows.SID{me, owner}
	for _, t := range []windows.WELL_KNOWN_SID_TYPE{windows.WinLocalSystemSid, windows.WinBuiltinAdministratorsSid, windows.WinCreatorOwnerSid} {
		if s, err := windows.CreateWellKnownSid(t); err == nil {
			trusted = append(trusted, s)
		}
	}
	if !isTrusted(owner, trusted[:1]) && !isTrusted(owner, trusted[2:]) {
		return fmt.Errorf("%w: owned by %s", ErrNotPrivate, owner)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	if dacl == nil {
		return fmt.Errorf("%w: no access control list (everyone has full access)", ErrNotPrivate)
	}
	for i := uint32(0); i < uint32(dacl.AceCount); i++ {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			return err
		}
		if ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE || ace.Mask&writeRights == 0 {
			continue
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		if !isTrusted(sid, trusted) {
			return fmt.Errorf("%w: %s may write to it", ErrNotPrivate, sid)
		}
	}
	return nil
}

func isTrusted(sid *windows.SID, trusted []*windows.SID) bool {
	for _, t := range trusted {
		if sid.Equals(t) {
			return true
		}
	}
	return false
}
