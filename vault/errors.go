package vault

import (
	"errors"
	"fmt"

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
	// ErrNoVault: the directory holds no vault.
	ErrNoVault = errors.New("no vault")
	// ErrBusy: another process holds the vault.
	ErrBusy = errors.New("vault busy")
	// ErrUnsafe: the vault directory's permissions let others write to it.
	ErrUnsafe = errors.New("unsafe vault permissions")
	// ErrReadOnly: the vault was opened read-only.
	ErrReadOnly = errors.New("vault is open read-only")
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
	// ErrPurgeProtected: purge protection forbids purging before retention ends.
	ErrPurgeProtected = policyError("purge protection is on")
)

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
