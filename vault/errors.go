package vault

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"locket/keyring"
)

// Sentinel errors. The CLI maps them to exit codes; wrap them with %w.
var (
	// ErrNotFound: no secret (or version) of that name.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the input breaks a rule (a malformed name, tag or value).
	ErrInvalid = errors.New("invalid input")
	// ErrExists: the target name is already taken.
	ErrExists = errors.New("already exists")
	// ErrDeleted: the secret is in the trash, so it is not found among the
	// live ones; it matches ErrNotFound too.
	ErrDeleted error = &notFoundErr{"secret is in the trash"}
	// ErrNoVault: the directory holds no vault.
	ErrNoVault = errors.New("no vault")
	// ErrBusy: another process holds the vault.
	ErrBusy = errors.New("vault busy")
	// ErrUnsafe: the vault directory's permissions let others write to it.
	ErrUnsafe = errors.New("unsafe vault permissions")
	// ErrReadOnly: the vault was opened read-only.
	ErrReadOnly = errors.New("vault is open read-only")
	// ErrClosed: the session ended (Close, a lock) before or during the call.
	ErrClosed = errors.New("vault is closed")
	// ErrWrongPassphrase: the passphrase did not unwrap the data key.
	ErrWrongPassphrase = keyring.ErrWrongPassphrase
	// ErrIntegrity: a record failed authentication; it is never returned.
	ErrIntegrity = keyring.ErrIntegrity
	// ErrBadHeader: the header is unreadable or out of range.
	ErrBadHeader = keyring.ErrBadHeader

	// ErrPolicy is matched by every refusal of policy below.
	ErrPolicy = errors.New("refused by policy")
	// ErrDisabled: the secret is disabled; its value is not handed out.
	ErrDisabled = policyError("secret is disabled")
	// ErrInTrash: the name belongs to a secret in the trash.
	ErrInTrash = policyError("name is in the trash")
	// ErrExpiredSnooze: a snooze postpones rotation, not expiry, so an
	// expired secret cannot be snoozed (docs/decisions/0100).
	ErrExpiredSnooze = policyError("an expired secret cannot be snoozed; rotate it or set a new expiry")
	// ErrPurgeProtected: purge protection forbids purging before retention ends.
	ErrPurgeProtected = policyError("purge protection is on")
)

// UnsafeError refuses a vault directory that others can write to; it
// matches ErrUnsafe and names the directory, so that a front end can say
// how to fix it.
type UnsafeError struct {
	Dir  string
	Mode fs.FileMode
	// Reason replaces the mode where permissions are access control
	// lists (Windows).
	Reason string
}

func (e *UnsafeError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("%v: %s: %s", ErrUnsafe, e.Dir, e.Reason)
	}
	return fmt.Sprintf("%v: %s is writable by group or others (mode %#o)", ErrUnsafe, e.Dir, e.Mode)
}

func (e *UnsafeError) Unwrap() error { return ErrUnsafe }

type notFoundErr struct{ msg string }

func (e *notFoundErr) Error() string        { return e.msg }
func (e *notFoundErr) Is(target error) bool { return target == ErrNotFound }

type policyErr struct{ msg string }

func (e *policyErr) Error() string        { return e.msg }
func (e *policyErr) Is(target error) bool { return target == ErrPolicy }

func policyError(msg string) error { return &policyErr{msg} }

// NotFoundError is the ErrNotFound of a name that has no secret: it keeps
// the name so that the CLI can suggest the names closest to it.
type NotFoundError struct{ Name string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s: no secret %q", ErrNotFound, e.Name)
}

// Is makes errors.Is(err, ErrNotFound) hold.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// codes name the sentinels on a wire. A code is part of the protocol: it
// never changes once released. More specific errors come first, so that a
// policy refusal keeps its own code rather than the general "policy".
var codes = []struct {
	code string
	err  error
}{
	{"deleted", ErrDeleted},
	{"not_found", ErrNotFound},
	{"invalid", ErrInvalid},
	{"exists", ErrExists},
	{"no_vault", ErrNoVault},
	{"busy", ErrBusy},
	{"unsafe", ErrUnsafe},
	{"read_only", ErrReadOnly},
	{"closed", ErrClosed},
	{"wrong_passphrase", ErrWrongPassphrase},
	{"integrity", ErrIntegrity},
	{"bad_header", ErrBadHeader},
	{"audit_broken", ErrAuditBroken},
	{"conflict", ErrConflict},
	{"disabled", ErrDisabled},
	{"in_trash", ErrInTrash},
	{"purge_protected", ErrPurgeProtected},
	{"expired_snooze", ErrExpiredSnooze},
	{"policy", ErrPolicy},
	{"canceled", context.Canceled},
	{"deadline", context.DeadlineExceeded},
}

// CodeInternal is the code of an error that matches no sentinel.
const CodeInternal = "internal"

// Code returns the stable code of the sentinel err wraps: "" for nil,
// CodeInternal when it wraps none.
func Code(err error) string {
	if err == nil {
		return ""
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return CodeInternal
}

// ErrorFromCode rebuilds an error that came over a wire as its code and
// message: its text is msg, and errors.Is matches the sentinel of code
// (and ErrPolicy for a policy refusal), so callers treat it exactly like
// the error Code was given. An unknown code gives a plain error.
func ErrorFromCode(code, msg string) error {
	for _, c := range codes {
		if c.code == code {
			return &wireError{msg: msg, err: c.err}
		}
	}
	return errors.New(msg)
}

// wireError is an error rebuilt from its code.
type wireError struct {
	msg string
	err error
}

func (e *wireError) Error() string { return e.msg }
func (e *wireError) Unwrap() error { return e.err }
