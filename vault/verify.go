package vault

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"
)

// VerifyReport is what Verify found.
type VerifyReport struct {
	// Records is the number of sealed records opened.
	Records int `json:"records"`
	// Secrets counts the live and trashed secrets.
	Secrets int `json:"secrets"`
	// Events is the number of audit events in the checked chain.
	Events int `json:"events"`
	// State is the state commitment's counter.
	State uint64 `json:"state"`
	// Problems holds one line per problem; none for an intact vault.
	Problems []string `json:"problems"`
}

// kindNames name record kinds in problem reports.
var kindNames = map[byte]string{
	kindSettings: "settings", kindIndex: "index", kindMeta: "metadata", kindValue: "value",
	kindTrash: "trash", kindScrub: "scrub marker", kindAudit: "audit event", kindAuditHead: "audit head",
	kindJournal: "import journal chunk", kindJournalV1: "import journal chunk", kindJournalHead: "import journal head", kindState: "state commitment",
	kindSync: "sync state",
}

// Verify checks all of the vault: that every record is authentic and in
// its place, that the records of each secret agree with each other (the
// index names its metadata, every version has its value), the audit
// chain, and the state commitment against every record. It never returns
// a value. With problems, the error wraps ErrIntegrity.
func (v *Vault) Verify(ctx context.Context) (_ VerifyReport, err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return VerifyReport{}, err
	}
	defer done(&err)
	var r VerifyReport
	problem := func(format string, a ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, a...)) }
	err = v.read(ctx, func(tx *txn) error {
		if err := v.verifyState(ctx, tx, &r, problem); err != nil {
			return err
		}
		return v.verifyRecords(ctx, tx, &r, problem)
	})
	if err != nil {
		return r, err
	}
	n, err := v.VerifyAudit(ctx)
	r.Events = n
	if errors.Is(err, ErrAuditBroken) || errors.Is(err, ErrIntegrity) {
		problem("%v", err)
	} else if err != nil {
		return r, err
	}
	slices.Sort(r.Problems)
	if len(r.Problems) > 0 {
		return r, fmt.Errorf("%w: verify found %d problems", ErrIntegrity, len(r.Problems))
	}
	return r, nil
}

func (v *Vault) verifyState(ctx context.Context, tx *txn, r *VerifyReport, problem func(string, ...any)) error {
	if v.inspectErr != nil {
		problem("%v", v.inspectErr)
	}
	if !v.stateOn {
		if v.inspectErr == nil {
			problem("the vault has no state commitment yet: open it for writing once to create it")
		}
		return nil
	}
	head, err := tx.stateHead()
	if errors.Is(err, ErrNotFound) {
		problem("the state commitment is missing")
		return nil
	}
	if err != nil {
		problem("%v", err)
		return nil
	}
	r.State = head.counter
	if head.journal != nil {
		problem("an import is still to be applied: open the vault for writing to finish it")
		return nil
	}
	sums, err := tx.sumAll(ctx)
	if err != nil {
		return err
	}
	bad := 0
	for b := range sums {
		if sums[b] != head.buckets[b] {
			bad++
		}
	}
	if bad > 0 {
		problem("records were added, removed, rolled back or mixed in from another copy: %d of %d state buckets differ from the commitment", bad, len(sums))
	}
	return nil
}

// verifyRecords opens every record and checks that each secret's records
// agree. It reads Badger directly: a damaged record is a finding to
// report, not a reason to stop.
func (v *Vault) verifyRecords(ctx context.Context, tx *txn, r *VerifyReport, problem func(string, ...any)) error {
	dead := tx.deadIDs()
	type secretRecs struct {
		name     string
		versions map[uint64]bool
		values   map[uint64]bool
	}
	secrets := map[string]*secretRecs{}
	rec := func(id []byte) *secretRecs {
		s := secrets[string(id)]
		if s == nil {
			s = &secretRecs{versions: map[uint64]bool{}, values: map[uint64]bool{}}
			secrets[string(id)] = s
		}
		return s
	}
	index := map[string][]byte{} // index key -> id
	it := tx.tx.NewIterator(badger.IteratorOptions{})
	defer it.Close()
	var buf []byte
	for it.Rewind(); it.Valid(); it.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		item := it.Item()
		k := item.KeyCopy(nil)
		name, known := kindNames[k[0]]
		if !known {
			problem("a record of unknown kind %q", k[0])
			continue
		}
		var ver uint64
		if k[0] == kindValue && len(k) == 1+idSize+8 {
			ver = binary.BigEndian.Uint64(k[1+idSize:])
		}
		var pt []byte
		err := item.Value(func(sealed []byte) error {
			var err error
			pt, err = v.kr.OpenAppend(buf[:0], k[0], k, ver, sealed)
			if err == nil {
				buf = pt
			}
			return err
		})
		if errors.Is(err, ErrIntegrity) {
			problem("a %s record fails authentication: it was altered or moved", name)
			continue
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		r.Records++
		if isDead(dead, k) {
			continue
		}
		switch k[0] {
		case kindIndex:
			if len(pt) == idSize {
				index[string(k)] = bytes.Clone(pt)
			} else if len(pt) != 0 {
				problem("an index record holds a malformed id")
			}
		case kindMeta:
			s, err := openSecret(pt)
			if err != nil || len(k) != 1+idSize {
				problem("a metadata record is malformed")
				continue
			}
			sr := rec(k[1:])
			sr.name = s.Name
			for _, ver := range s.Versions {
				sr.versions[uint64(ver.Number)] = true
			}
		case kindValue:
			if len(k) != 1+idSize+8 {
				problem("a value record has a malformed key")
				continue
			}
			rec(k[1 : 1+idSize]).values[ver] = true
		}
	}
	named := map[string]bool{}
	for ik, id := range index {
		s := secrets[string(id)]
		if s == nil || s.name == "" {
			problem("an index record names a secret whose metadata is missing")
			continue
		}
		if !bytes.Equal([]byte(ik), tx.indexKey(s.name)) {
			problem("secret %q is reached through another name's index record", s.name)
		}
		named[string(id)] = true
	}
	for id, s := range secrets {
		if s.name == "" {
			problem("%d value records belong to no secret", len(s.values))
			continue
		}
		r.Secrets++
		if !named[id] {
			problem("secret %q has no index record: its name does not reach it", s.name)
		}
		for ver := range s.versions {
			if !s.values[ver] {
				problem("secret %q: the value of version %d is missing", s.name, ver)
			}
		}
		for ver := range s.values {
			if !s.versions[ver] {
				problem("secret %q: a value record for version %d that its history does not hold", s.name, ver)
			}
		}
	}
	return nil
}
