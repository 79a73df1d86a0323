package vault

import (
	"fmt"
)

// Sensitive calls ask again (security invariant 16). Changing the
// passphrase, rekey, turning on purge protection, turning the agent off
// and exporting the whole vault take the current passphrase with the
// call, and the vault checks it against its header itself. An unlocked
// session — an agent any process of the user can talk to — is then not
// enough to hold the vault to ransom, make its trash permanent, or carry
// it all away in one file.

// reauthError is ErrCurrentPassphrase: its own words, and the exit code
// and wire code of a wrong passphrase (4).
type reauthError struct{ msg string }

func (e *reauthError) Error() string { return e.msg }
func (e *reauthError) Unwrap() error { return ErrWrongPassphrase }

// ErrCurrentPassphrase: a sensitive call came without the current
// passphrase. It matches ErrWrongPassphrase too.
var ErrCurrentPassphrase error = &reauthError{"this change asks for the current passphrase"}

// checkCurrent verifies current, the passphrase the caller gave for a
// sensitive call (what names it), by unwrapping the data key from the
// vault's header with it: the same proof as opening the vault.
func (v *Vault) checkCurrent(current []byte, what string) error {
	if len(current) == 0 {
		return fmt.Errorf("%w: %s", ErrCurrentPassphrase, what)
	}
	v.mu.Lock()
	h := v.header
	v.mu.Unlock()
	kr, err := h.Unlock(current)
	if err != nil {
		return fmt.Errorf("current passphrase: %w", ErrWrongPassphrase)
	}
	kr.Wipe()
	return nil
}

// wholeVault says whether a snapshot takes every secret for a backup:
// an export with no prefix and no tag chosen.
func (o SnapshotOptions) wholeVault() bool {
	return o.Prefix == "" && len(o.Tags) == 0 && (o.Purpose == "" || o.Purpose == OpExport)
}

// SensitiveSetting says whether setting key to value on settings was
// asks for the current passphrase: a caller asks for it only then.
func SensitiveSetting(was Settings, key, value string) bool {
	set, err := was.With(key, value)
	return err == nil && sensitiveSetting(was, set) != ""
}

// sensitiveSetting says which change of settings from was to set asks
// for the passphrase, or "".
func sensitiveSetting(was, set Settings) string {
	switch {
	case set.PurgeProtection && !was.PurgeProtection:
		return "turning on purge protection"
	case set.AgentOff && !was.AgentOff:
		return "turning the agent off"
	}
	return ""
}
