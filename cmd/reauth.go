package cmd

import (
	"bytes"

	"locket/vault"
)

// Sensitive calls ask again (security invariant 16): changing the
// passphrase, rekey, turning on purge protection, turning the agent off
// and exporting the whole vault send the current passphrase with the
// call, and the vault checks it. A command that has just been given the
// passphrase (to open the vault or unlock the agent) sends that one; one
// that found an unlocked agent asks, from the usual sources.

// rememberPassphrase keeps a copy of pass until forgetPassphrase.
func (a *app) rememberPassphrase(pass []byte) {
	a.forgetPassphrase()
	a.openedWith = bytes.Clone(pass)
}

// forgetPassphrase wipes the copy rememberPassphrase kept.
func (a *app) forgetPassphrase() {
	clear(a.openedWith)
	a.openedWith = nil
}

// currentPassphrase is the vault's passphrase for a sensitive call; the
// caller clears it.
func (a *app) currentPassphrase() ([]byte, error) {
	if a.openedWith != nil {
		return bytes.Clone(a.openedWith), nil
	}
	return a.passphrase("Current passphrase for " + vault.Sanitize(a.dir()) + ": ")
}
