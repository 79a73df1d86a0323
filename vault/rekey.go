package vault

// Rekey: every record re-sealed under a new data key (locket passwd
// --rekey), for when a passphrase and a copy of the header may have
// leaked: changing the passphrase alone rewraps the same data key, which
// the old header still unwraps.
//
// The records cannot be rewritten in one transaction, so, like an import
// (bulk.go), a rekey is staged, committed and applied:
//
//  1. stage: every record is opened with the old key and sealed with the
//     new one, for the same kind, key and version, under kindRekey ‖ key;
//     then kindRekeyHead, sealed with the new key, says the staging is
//     complete. Under the old header nothing can open them.
//  2. commit: the new header is written (an atomic rename). From here on
//     the new key is the vault's.
//  3. apply: every old record is dropped from every level of the store, so
//     that no copy sealed under the old key stays on disk, the staged
//     records are moved to their keys, and the staging is dropped.
//
// An open that finds kindRekeyHead finishes step 3 when the head opens
// with the header's key, and otherwise drops the staging of a rekey whose
// header was never written. A reader has a writer do it first, as for an
// import.

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/dgraph-io/badger/v4"

	"locket/keyring"
)

const (
	kindRekey     = 'r' // "r" ‖ key: a record re-sealed under the new data key
	kindRekeyHead = 'R' // "R": the staging of a rekey is complete
)

// liveKinds are the kinds a rekey drops and restages: all but its own.
var liveKinds = []byte{kindSettings, kindIndex, kindMeta, kindValue, kindTrash, kindScrub, kindSync,
	kindAudit, kindAuditHead, kindState, kindJournal, kindJournalV1, kindJournalHead}

type rekeyHead struct {
	Records int `json:"records"`
}

// Rekey re-seals every record under a new data key wrapped under
// newPassphrase and kdf, given the current passphrase. Afterwards an older header, with the passphrase
// it was made for, opens nothing of the vault. It is audited.
func (v *Vault) Rekey(ctx context.Context, current, newPassphrase []byte, kdf KDFParams) (err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return err
	}
	defer done(&err)
	if err := v.canChangePassphrase(ctx, current, newPassphrase, "rekey"); err != nil {
		return err
	}
	// Finish purges first, so that no dead record is carried over.
	if err := v.scrub(); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.db == nil {
		return ErrClosed
	}
	// The staged copy of every record sits beside the records until the
	// rekey is applied.
	if err := checkSpace(v.dir, 2*storeSize(v.dir)); err != nil {
		return err
	}
	nh, nkr, err := v.header.Rekey(newPassphrase, keyring.Params(kdf))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := v.stageRekey(ctx, nkr); err != nil {
		nkr.Wipe()
		return errors.Join(err, v.dropRekey())
	}
	if v.limits.crash != nil && v.limits.crash("rekey staged") {
		nkr.Wipe()
		return errSimulatedCrash
	}
	if err := v.saveSeen(v.counter, nkr); err != nil {
		nkr.Wipe()
		return errors.Join(err, v.dropRekey())
	}
	if err := writeFileAtomic(filepath.Join(v.dir, headerFile), nh.Marshal()); err != nil {
		nkr.Wipe()
		return errors.Join(fmt.Errorf("write header: %w", err), v.dropRekey())
	}
	old := v.kr
	v.kr, v.header = nkr, nh
	old.Wipe()
	if v.limits.crash != nil && v.limits.crash("rekey committed") {
		return errSimulatedCrash
	}
	return v.applyRekey("", clientFrom(ctx))
}

// stageRekey writes every record re-sealed under nkr, and the head. The
// commitment is restaged with its leaves under the new key.
func (v *Vault) stageRekey(ctx context.Context, nkr *keyring.Keyring) error {
	l := &leafer{mac: nkr.MAC("state commitment")}
	var head *commitment
	n := 0
	err := v.view(func(tx *txn) error {
		var err error
		if head, err = tx.stateHead(); err != nil {
			return err
		}
		head.counter++
		head.buckets = [stateBuckets + 1]leaf{}
		return v.batch(func(put func(k, val []byte) error) error {
			it := tx.tx.NewIterator(badger.IteratorOptions{})
			defer it.Close()
			for it.Rewind(); it.Valid(); it.Next() {
				item := it.Item()
				k := item.Key()
				if k[0] == kindRekey || k[0] == kindRekeyHead || k[0] == kindState {
					continue
				}
				var ver uint64
				if k[0] == kindValue && len(k) == 1+idSize+8 {
					ver = binary.BigEndian.Uint64(k[1+idSize:])
				}
				nk := item.KeyCopy(nil)
				var sealed []byte
				err := item.Value(func(old []byte) error {
					pt, err := v.kr.Open(k[0], k, ver, old)
					if err != nil {
						return fmt.Errorf("%w: rekey refuses a damaged vault; run locket verify", err)
					}
					defer clear(pt)
					if k[0] == kindIndex {
						// An index key is a MAC of the name under the data
						// key: it moves with the key.
						if nk, err = v.rekeyIndex(tx, nkr, pt); nk == nil || err != nil {
							return err
						}
					}
					if k[0] == kindSync {
						if nk, err = rekeySyncKey(nkr, pt); err != nil {
							return err
						}
					}
					sealed = nkr.Seal(nk[0], nk, ver, pt)
					return nil
				})
				if err != nil {
					return err
				}
				if sealed == nil {
					continue
				}
				if inCommitment(nk, sealed) {
					xorLeaf(&head.buckets[bucketOf(nk)], l.leaf(nk, sealed))
				}
				if err := put(key(kindRekey, nk), sealed); err != nil {
					return err
				}
				if n++; n%1024 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
			}
			sk := []byte{kindState}
			if err := put(key(kindRekey, sk), nkr.Seal(kindState, sk, 0, head.encode())); err != nil {
				return err
			}
			n++
			b, _ := json.Marshal(rekeyHead{Records: n})
			return put([]byte{kindRekeyHead}, nkr.Seal(kindRekeyHead, []byte{kindRekeyHead}, 0, b))
		})
	})
	return err
}

// rekeyIndex returns the key under nkr of the index record holding id,
// or nil for a tombstone, which a rekey drops: it names no secret.
func (v *Vault) rekeyIndex(tx *txn, nkr *keyring.Keyring, id []byte) ([]byte, error) {
	if len(id) == 0 {
		return nil, nil
	}
	mk := key(kindMeta, id)
	item, err := tx.tx.Get(mk)
	if err != nil {
		return nil, fmt.Errorf("%w: an index record names a missing secret; run locket verify", ErrIntegrity)
	}
	var name string
	err = item.Value(func(sealed []byte) error {
		pt, err := v.kr.Open(kindMeta, mk, 0, sealed)
		if err != nil {
			return err
		}
		s, err := openSecret(pt)
		if err == nil {
			name = s.Name
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return key(kindIndex, nkr.Index("name", []byte(name))), nil
}

// applyRekey replaces every record with its staged copy and drops the
// staging; note and client go into the audit event. The caller holds v.mu.
func (v *Vault) applyRekey(note string, client *Client) error {
	var head rekeyHead
	err := v.view(func(tx *txn) error {
		pt, err := tx.get(kindRekeyHead, []byte{kindRekeyHead}, 0)
		if err != nil {
			return err
		}
		return json.Unmarshal(pt, &head)
	})
	if err != nil {
		return fmt.Errorf("finish rekey: %w", err)
	}
	// Dropping the old records first removes every copy sealed under the
	// old key from every level of the store (the method of security invariant 7).
	if err := v.db.DropPrefix(prefixes(liveKinds)...); err != nil {
		return fmt.Errorf("finish rekey: %w", err)
	}
	n := 0
	err = v.view(func(tx *txn) error {
		return v.batch(func(put func(k, val []byte) error) error {
			it := tx.tx.NewIterator(badger.IteratorOptions{Prefix: []byte{kindRekey}})
			defer it.Close()
			for it.Rewind(); it.Valid(); it.Next() {
				val, err := it.Item().ValueCopy(nil)
				if err != nil {
					return err
				}
				if err := put(it.Item().KeyCopy(nil)[1:], val); err != nil {
					return err
				}
				n++
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("finish rekey: %w", err)
	}
	if n != head.Records {
		return fmt.Errorf("%w: the rekey staged %d records, found %d", ErrIntegrity, head.Records, n)
	}
	if err := v.dropRekey(); err != nil {
		return err
	}
	v.verified.Store(false)
	if err := v.read(context.Background(), func(tx *txn) error { return tx.checkAll(context.Background()) }); err != nil {
		return err
	}
	v.verified.Store(true)
	err = v.updateLocked(func(tx *txn) error {
		return tx.audit(Event{Op: OpRekey, Note: note, Outcome: "ok", Client: client})
	})
	if err != nil {
		return err
	}
	// The machine's record of the vault is MAC'd under the data key.
	return v.saveSeen(v.counter)
}

func (v *Vault) dropRekey() error {
	if err := v.db.DropPrefix([]byte{kindRekey}, []byte{kindRekeyHead}); err != nil {
		return fmt.Errorf("clear rekey staging: %w", err)
	}
	return nil
}

func prefixes(kinds []byte) [][]byte {
	out := make([][]byte, len(kinds))
	for i, k := range kinds {
		out[i] = []byte{k}
	}
	return out
}

// pendingRekey reports whether a rekey's staging is in the store.
func (v *Vault) pendingRekey() (bool, error) {
	found := false
	err := v.view(func(tx *txn) error {
		_, err := tx.tx.Get([]byte{kindRekeyHead})
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		found = err == nil
		return err
	})
	return found, err
}

// recoverRekey finishes a rekey whose header was written, or drops the
// staging of one whose header was not. It runs first at a writable open.
func (v *Vault) recoverRekey() error {
	pending, err := v.pendingRekey()
	if err != nil || !pending {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	err = v.view(func(tx *txn) error {
		_, err := tx.get(kindRekeyHead, []byte{kindRekeyHead}, 0)
		return err
	})
	if errors.Is(err, ErrIntegrity) {
		// Sealed under a key no header holds: a rekey that never committed.
		return v.dropRekey()
	}
	if err != nil {
		return err
	}
	// Every rekey stages a commitment: the vault has one.
	v.stateOn = true
	return v.applyRekey("finished after an interruption", nil)
}
