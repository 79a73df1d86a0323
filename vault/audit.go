package vault

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Event is one entry of the audit log. It never holds a value.
type Event struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Op      Op        `json:"op"`
	Secret  string    `json:"secret,omitempty"`
	Version int       `json:"version,omitempty"`
	Actor   string    `json:"actor"`
	Outcome string    `json:"outcome"`
	Note    string    `json:"note,omitempty"`

	id []byte // the secret's id: events follow a secret across renames
}

// storedEvent is an event as sealed on disk: it carries the hash of the
// event before it, so that removing or editing one breaks the chain.
type storedEvent struct {
	Event
	ID   []byte `json:"id,omitempty"`
	Prev []byte `json:"prev"`
}

// auditHead is the newest event's sequence number and chain hash.
type auditHead struct {
	Seq  uint64 `json:"seq"`
	Hash []byte `json:"hash"`
}

// ErrAuditBroken reports a removed, reordered or edited audit event.
var ErrAuditBroken = errors.New("audit log chain is broken")

func eventKey(seq uint64) []byte {
	return key(kindAudit, binary.BigEndian.AppendUint64(nil, seq))
}

func chainHash(prev, sealedPlaintext []byte) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(sealedPlaintext)
	return h.Sum(nil)
}

func (t *txn) head() (auditHead, error) {
	var h auditHead
	pt, err := t.get(kindAuditHead, []byte{kindAuditHead}, 0)
	if errors.Is(err, ErrNotFound) {
		return h, nil
	}
	if err != nil {
		return h, err
	}
	if err := json.Unmarshal(pt, &h); err != nil {
		return h, fmt.Errorf("%w: audit head", ErrIntegrity)
	}
	return h, nil
}

// audit appends e to the log inside the transaction.
func (t *txn) audit(e Event) error {
	h, err := t.head()
	if err != nil {
		return err
	}
	e.Seq = h.Seq + 1
	e.Time = t.now
	e.Actor = t.v.actor
	e.Secret = Sanitize(e.Secret)
	b, err := json.Marshal(storedEvent{Event: e, ID: e.id, Prev: h.Hash})
	if err != nil {
		return err
	}
	k := eventKey(e.Seq)
	t.set(k, t.seal(kindAudit, k, b))
	nh, _ := json.Marshal(auditHead{Seq: e.Seq, Hash: chainHash(h.Hash, b)})
	t.set([]byte{kindAuditHead}, t.seal(kindAuditHead, []byte{kindAuditHead}, nh))
	return nil
}

func (t *txn) eachEvent(fn func(Event) error) error {
	return t.each(kindAudit, func(k, pt []byte) error {
		var se storedEvent
		if err := json.Unmarshal(pt, &se); err != nil {
			return fmt.Errorf("%w: audit event", ErrIntegrity)
		}
		se.Event.id = se.ID
		return fn(se.Event)
	})
}

// VerifyAudit walks the whole audit log and checks that every event is
// authentic, that the sequence has no gap and that the hash chain leads to
// the recorded head. It returns the number of events checked.
func (v *Vault) VerifyAudit(ctx context.Context) (_ int, err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return 0, err
	}
	defer done(&err)
	n := 0
	err = v.read(ctx, func(tx *txn) error {
		head, err := tx.head()
		if err != nil {
			return err
		}
		var prev []byte
		err = tx.each(kindAudit, func(k, pt []byte) error {
			var se storedEvent
			if err := json.Unmarshal(pt, &se); err != nil {
				return fmt.Errorf("%w: event %d is unreadable", ErrAuditBroken, n+1)
			}
			n++
			if se.Seq != uint64(n) {
				return fmt.Errorf("%w: event %d is missing", ErrAuditBroken, n)
			}
			if !bytes.Equal(se.Prev, prev) {
				return fmt.Errorf("%w: event %d does not follow event %d", ErrAuditBroken, n, n-1)
			}
			prev = chainHash(prev, pt)
			return ctx.Err()
		})
		if err != nil {
			return err
		}
		if head.Seq != uint64(n) || !bytes.Equal(head.Hash, prev) {
			return fmt.Errorf("%w: the newest events are missing (head says %d, found %d)", ErrAuditBroken, head.Seq, n)
		}
		return nil
	})
	return n, err
}
