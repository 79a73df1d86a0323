package vault

// Whole-vault rollback (security invariant 9).
//
// The state commitment (state.go) proves that the records agree with each
// other, but an older copy of the whole vault agrees with itself too: its
// MANIFEST, or the whole directory, put back. Only a memory outside the
// vault can tell that it is older. Each machine keeps, per vault id, the
// highest state counter it has seen, in a small file under
// $XDG_STATE_HOME/locket/, MAC'd under a key derived from the vault's data
// key so that it cannot be forged or moved to another vault id by someone
// without the passphrase. Opening a vault whose counter is lower is refused
// with ErrRollback, unless the caller accepts it (a deliberate restore of
// a file-level backup); a writable open then records that in the audit
// log.
//
// What it does not cover: a machine that has never opened the vault, and
// an attacker who can delete files in the user's own state directory (who
// could then also replace the locket binary).

import (
	"crypto/hmac"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/adrg/xdg"

	"locket/keyring"
)

// ErrRollback reports a vault older than this machine has seen it.
var ErrRollback = errors.New("vault rolled back")

// DefaultStateDir is where a machine remembers the vaults it has seen.
func DefaultStateDir() string { return filepath.Join(xdg.StateHome, "locket") }

// seenRecord is the file kept per vault id.
type seenRecord struct {
	Counter uint64 `json:"counter"`
	MAC     []byte `json:"mac"`
	// Next is the MAC under the data key of a rekey in progress, so that
	// the record stays valid whichever key a crash leaves in the header.
	Next []byte `json:"next,omitempty"`
}

func (v *Vault) seenPath() string {
	return filepath.Join(v.stateDir, fmt.Sprintf("%x.seen", v.kr.VaultID()))
}

func (v *Vault) seenMAC(counter uint64) []byte { return seenMAC(v.kr, counter) }

func seenMAC(kr *keyring.Keyring, counter uint64) []byte {
	m := kr.MAC("machine state")
	m.Write(kr.VaultID())
	m.Write(binary.BigEndian.AppendUint64(nil, counter))
	return m.Sum(nil)
}

// loadSeen returns the highest counter this machine has seen, 0 for a
// vault it has never seen.
func (v *Vault) loadSeen() (uint64, error) {
	b, err := os.ReadFile(v.seenPath())
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read machine state: %w", err)
	}
	var r seenRecord
	if json.Unmarshal(b, &r) != nil || !hmac.Equal(r.MAC, v.seenMAC(r.Counter)) && !hmac.Equal(r.Next, v.seenMAC(r.Counter)) {
		// Someone changed the file: what it held is unknown, so the vault
		// cannot be shown to be current.
		return 0, fmt.Errorf("%w: this machine's record of the vault (%s) is damaged; if you trust the vault as it is, run again with --accept-rollback", ErrRollback, v.seenPath())
	}
	return r.Counter, nil
}

// saveSeen records counter as the newest state seen; with next, also
// under the data key of a rekey about to be committed.
func (v *Vault) saveSeen(counter uint64, next ...*keyring.Keyring) error {
	if err := os.MkdirAll(v.stateDir, 0o700); err != nil {
		return fmt.Errorf("write machine state: %w", err)
	}
	r := seenRecord{Counter: counter, MAC: v.seenMAC(counter)}
	for _, kr := range next {
		r.Next = seenMAC(kr, counter)
	}
	b, _ := json.Marshal(r)
	if err := writeFileAtomic(v.seenPath(), b); err != nil {
		return fmt.Errorf("write machine state: %w", err)
	}
	v.seen = counter
	return nil
}

// checkSeen refuses a state older than the machine remembers, unless
// accept. It returns whether a rollback was accepted.
func (v *Vault) checkSeen(counter uint64, accept bool) (rolledBack bool, err error) {
	seen, err := v.loadSeen()
	if err != nil {
		if !accept {
			return false, err
		}
		return true, nil
	}
	v.seen = seen
	if counter >= seen {
		return false, nil
	}
	if !accept {
		return false, fmt.Errorf("%w: its state %d is older than state %d this machine has seen, so an older copy was put in its place; if you restored a file-level backup on purpose, run again with --accept-rollback", ErrRollback, counter, seen)
	}
	return true, nil
}
