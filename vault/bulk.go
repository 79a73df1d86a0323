package vault

// Bulk operations for backups and importers: a consistent snapshot of many
// secrets with their values, and an all-or-nothing import of many.
//
// An import can be far larger than one Badger transaction (about 1 MiB with
// the memtable sized in store.go), so a large one is written in three steps
// that leave the vault recoverable whenever the process dies:
//
//  1. stage: every write of the import (sealed values, metadata, index
//     entries, trash markers, deletions of pruned versions) is encoded as a
//     list of operations, and the lists are stored in sealed chunks under
//     kindJournal, batch by batch as the secrets are read and planned. No
//     reader looks at that kind, so nothing is visible yet; an import that
//     fails before its commit drops the chunks.
//  2. commit: once the source has ended, one small transaction writes the
//     journal head and the import's audit event. This is the moment the
//     import happens.
//  3. apply: the chunks are read back, checked, and their operations
//     written to their real keys in batches; then the head is deleted and
//     the chunks dropped from disk.
//
// recoverImport, run before any other write when the vault is opened for
// writing, finishes step 3 when it finds a head (the operations are
// absolute writes, so repeating them is harmless) and otherwise drops the
// chunks of an import that never committed. An import small enough for one
// transaction skips the journal and writes everything, with its audit
// event, in that one transaction like any other change.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"iter"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// Record kinds of the import journal (see store.go for the others).
const (
	// kindJournal: "~" ‖ seq: a sealed chunk of staged operations. It sorts
	// after every other kind, so that the compactions of the records an
	// import applies never take in the chunks: at "j", between the index
	// and the metadata, every compaction of the records rewrote them too
	// (decisions/0078).
	kindJournal = '~'
	// kindJournalV1 is where lockets before that kept the chunks: an
	// import they committed is finished from there (journalHead.Kind).
	kindJournalV1   = 'j'
	kindJournalHead = 'J' // "J": a committed import whose chunks are still to apply
)

// ErrConflict reports an import refused because of conflicting secrets.
var ErrConflict = errors.New("import conflict")

// SecretData is a secret with the values of all its versions, as a backup
// holds it: Values[i] is the value of Versions[i].
type SecretData struct {
	Secret
	Values [][]byte

	// id, set by Salvage only, keeps the secret's id in the new vault,
	// so that its audit events still name it.
	id []byte
}

// SnapshotOptions choose the secrets of a snapshot. Secrets in the trash
// and disabled secrets are included: a backup keeps their state too.
type SnapshotOptions struct {
	// Prefix keeps names that start with it.
	Prefix string
	// Tags keeps secrets that carry every one of these key=value pairs.
	Tags map[string]string
	// Purpose names the audit event: a read operation, OpExport by
	// default. Note goes into it.
	Purpose Op
	Note    string
	// Passphrase is the vault's passphrase: an export of the whole vault
	// (no prefix, no tags) asks for it (reauth.go).
	Passphrase []byte
}

// Snapshot returns the chosen secrets, sorted by name, with every version's
// value, and the vault settings, all read in one transaction so that they
// are consistent with each other. Handing out values is audited as one
// event when the vault is writable.
func (v *Vault) Snapshot(ctx context.Context, o SnapshotOptions) (_ []SecretData, _ Settings, err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return nil, Settings{}, err
	}
	defer done(&err)
	if err := ValidatePrefix(o.Prefix); err != nil {
		return nil, Settings{}, err
	}
	if o.Purpose != "" && !o.Purpose.Read() {
		return nil, Settings{}, fmt.Errorf("%w: %q is not a purpose for reading values", ErrInvalid, o.Purpose)
	}
	if o.wholeVault() {
		if err := v.checkCurrent(o.Passphrase, "exporting the whole vault"); err != nil {
			return nil, Settings{}, err
		}
	}
	var (
		out []SecretData
		set Settings
	)
	err = v.read(ctx, func(tx *txn) error {
		var err error
		if set, err = tx.getSettings(); err != nil {
			return err
		}
		return tx.eachSecret(func(id []byte, s *Secret) error {
			if !strings.HasPrefix(s.Name, o.Prefix) || !hasTags(s, o.Tags) {
				return nil
			}
			vals := make([][]byte, len(s.Versions))
			for i, ver := range s.Versions {
				if vals[i], err = tx.value(id, ver.Number); err != nil {
					return err
				}
			}
			out = append(out, SecretData{Secret: *s, Values: vals})
			return ctx.Err()
		})
	})
	if err != nil {
		return nil, Settings{}, err
	}
	slices.SortFunc(out, func(a, b SecretData) int { return strings.Compare(a.Name, b.Name) })
	// An empty snapshot hands out nothing: it leaves the vault, audit log
	// included, as it was.
	if !v.readOnly && len(out) > 0 {
		if o.Purpose == "" {
			o.Purpose = OpExport
		}
		note := fmt.Sprintf("%d secrets", len(out))
		if o.Note != "" {
			note = o.Note + ", " + note
		}
		err = v.write(ctx, func(tx *txn) error {
			return tx.audit(Event{Op: o.Purpose, Note: note, Outcome: "ok"})
		})
		if err != nil {
			return nil, Settings{}, err
		}
	}
	return out, set, nil
}

func hasTags(s *Secret, tags map[string]string) bool {
	for k, val := range tags {
		if got, ok := s.Tags[k]; !ok || got != val {
			return false
		}
	}
	return true
}

// OnConflict says what Import does with a secret that exists in the vault
// and whose history has diverged from the imported one.
type OnConflict string

// The conflict policies of `locket backup import --on-conflict`.
const (
	ConflictNewVersion OnConflict = "new-version" // add the imported values as new versions
	ConflictSkip       OnConflict = "skip"        // leave the secret alone
	ConflictFail       OnConflict = "fail"        // refuse the whole import
)

// ParseOnConflict checks a policy name.
func ParseOnConflict(s string) (OnConflict, error) {
	switch c := OnConflict(s); c {
	case ConflictNewVersion, ConflictSkip, ConflictFail:
		return c, nil
	}
	return "", fmt.Errorf("%w: the conflict policy must be new-version, skip or fail, not %q", ErrInvalid, s)
}

// ImportOptions tune Import.
type ImportOptions struct {
	// OnConflict is the policy for diverged secrets (default new-version).
	OnConflict OnConflict
	// DryRun computes the plan and writes nothing.
	DryRun bool
	// Settings, when set, replace the vault settings as part of the import.
	// Purge protection stays on if it is on.
	Settings *Settings
	// Note goes into the import's audit event (where the secrets came from).
	Note string
	// Expect is how many secrets the source holds, when the caller knows:
	// progress then has a total from the start.
	Expect int `json:",omitempty"`
	// Progress, when set, receives how far the import is, in steps: one
	// per secret read and planned, then one per secret's share of the
	// writes. Total is 2×Expect while the source is read (0 when Expect is
	// 0), then twice the secrets read; Done only grows, and the last
	// report has Done == Total. A dry run reports nothing. The caller must
	// read it until Import returns (a send waits for the reader or for
	// ctx); Import does not close it.
	Progress chan<- ImportProgress `json:"-"`
	// Sync, when set, makes the import a pull from a sync target (see
	// syncstate.go).
	Sync *SyncPull

	// salvage keeps the secrets' ids and version numbers (Salvage into a
	// new, empty vault).
	salvage bool
}

// ImportProgress is how many of Total steps of an import are written.
type ImportProgress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

// progressFunc adapts a progress channel to the import's writers.
func progressFunc(ctx context.Context, ch chan<- ImportProgress) func(done, total int) {
	if ch == nil {
		return nil
	}
	return func(done, total int) {
		select {
		case ch <- ImportProgress{done, total}:
		case <-ctx.Done():
		}
	}
}

// ImportAction is what an import does with one secret.
type ImportAction string

// The plan's categories.
const (
	// ActionNew: the name is free; the secret is created with all its versions.
	ActionNew ImportAction = "new"
	// ActionNewVersions: the import continues the vault's history (it holds
	// the vault's current value and newer ones): the newer ones are added.
	ActionNewVersions ImportAction = "new-versions"
	// ActionIdentical: the current values are the same; nothing to do.
	ActionIdentical ImportAction = "identical"
	// ActionConflict: both sides changed, or the name is in the trash here.
	ActionConflict ImportAction = "conflict"
	// ActionSkipped: nothing to import (the vault is ahead, or the secret
	// is in the trash of the import).
	ActionSkipped ImportAction = "skipped"
)

// ImportItem is the plan for one secret.
type ImportItem struct {
	Name   string       `json:"name"`
	Action ImportAction `json:"action"`
	// Versions is how many versions are added; 0 when nothing is written.
	Versions int `json:"versions"`
	// Reason explains a conflict or a skip.
	Reason string `json:"reason,omitempty"`
}

// ImportReport is an import's plan, and whether it was applied.
type ImportReport struct {
	Items []ImportItem `json:"items"`
	// Settings reports that the vault settings are replaced.
	Settings bool `json:"settings"`
	Applied  bool `json:"applied"`
}

// Count returns how many items have action a.
func (r ImportReport) Count(a ImportAction) int {
	n := 0
	for _, it := range r.Items {
		if it.Action == a {
			n++
		}
	}
	return n
}

// Changes is the number of secrets the import writes to.
func (r ImportReport) Changes() int {
	n := 0
	for _, it := range r.Items {
		if it.Versions > 0 {
			n++
		}
	}
	return n
}

// Import adds the secrets src yields to the vault all-or-nothing, as one
// audited event. Imported values always become new versions with new
// numbers; no existing version is changed. Versions keep their creation
// time and actor, so that rotation status survives a restore. With
// ConflictFail and a conflict, it returns the plan and an error wrapping
// ErrConflict.
//
// Import reads src once, one secret at a time, so that a large import is
// never held in memory whole: each secret is checked and planned as it
// arrives, and once the plan outgrows one transaction its writes are
// sealed and staged in the journal as they come (see the top of this
// file). An error that src yields, a cancelled ctx or an invalid secret
// ends the import before its commit: the vault is left as it was. Import
// may keep each yielded SecretData, values included, until it returns: a
// source must not change or reuse them before.
func (v *Vault) Import(ctx context.Context, src iter.Seq2[SecretData, error], o ImportOptions) (_ ImportReport, err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return ImportReport{}, err
	}
	defer done(&err)
	if o.OnConflict == "" {
		o.OnConflict = ConflictNewVersion
	}
	if _, err := ParseOnConflict(string(o.OnConflict)); err != nil {
		return ImportReport{}, err
	}
	if o.Settings != nil {
		if err := o.Settings.Validate(); err != nil {
			return ImportReport{}, fmt.Errorf("imported settings: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return ImportReport{}, err
	}
	var set Settings
	if o.DryRun {
		set = v.currentSettings()
	} else {
		if v.readOnly {
			return ImportReport{}, ErrReadOnly
		}
		v.mu.Lock()
		defer v.mu.Unlock()
		if v.db == nil {
			return ImportReport{}, ErrClosed
		}
		if err := v.recoverImportLocked(); err != nil {
			return ImportReport{}, err
		}
		set = v.settings
	}
	p := &importPlan{v: v, t: &txn{v: v, now: v.now().UTC().Round(0)}, policy: o.OnConflict, sync: o.Sync, keep: o.salvage}
	p.set = set
	if o.Settings != nil {
		// Restored settings cannot undo purge protection: it stays on, and
		// the retention it guards does not shrink.
		p.set, _ = set.guard(*o.Settings)
		// The backup clock is the vault's own, not the backup's.
		p.set.LastBackup, p.set.Since = set.LastBackup, set.Since
		p.report.Settings = true
	}
	run := &importRun{v: v, ctx: ctx, p: p, o: o, progress: progressFunc(ctx, o.Progress)}
	defer func() {
		if run.unlimit != nil {
			run.unlimit()
		}
	}()
	if o.DryRun {
		run.progress = nil // a plan writes nothing to report on
	}
	err = run.read(src)
	if run.journal != nil {
		run.journal.cancel()
	}
	staged := run.journal != nil && run.journal.chunks > 0
	if err != nil {
		if staged {
			err = errors.Join(err, v.dropJournal())
		}
		return ImportReport{}, err
	}
	slices.SortFunc(p.report.Items, func(a, b ImportItem) int { return strings.Compare(a.Name, b.Name) })
	if p.conflicts > 0 && o.OnConflict == ConflictFail {
		err := fmt.Errorf("%w: %d secrets differ between the vault and the import (first: %s); nothing was imported",
			ErrConflict, p.conflicts, Sanitize(p.firstConflict))
		if staged {
			err = errors.Join(err, v.dropJournal())
		}
		return p.report, err
	}
	if o.DryRun {
		return p.report, nil
	}
	event := Event{Op: OpImport, Note: importNote(o.Note, p.report), Outcome: "ok", Client: clientFrom(ctx)}
	if run.journal != nil {
		err = run.commit(event)
	} else {
		err = run.writeOnce(event)
	}
	if v.cache != nil {
		// An import writes records as raw operations, which the cache does
		// not follow one by one: it loads again on its next use, and the
		// watchers, told once at the commit, hear again that it is done.
		v.cache.reset()
		v.watchers.publish([]Change{{Op: OpImport}})
	}
	if err != nil {
		return ImportReport{}, err
	}
	if p.report.Settings {
		v.settings = p.set
	}
	p.report.Applied = true
	return p.report, nil
}

// SecretsOf adapts a slice to Import's source.
func SecretsOf(secrets []SecretData) iter.Seq2[SecretData, error] {
	return func(yield func(SecretData, error) bool) {
		for _, sd := range secrets {
			if !yield(sd, nil) {
				return
			}
		}
	}
}

// importRun is one Import under way: the secrets read so far, and the
// journal once the plan has outgrown one transaction.
type importRun struct {
	v        *Vault
	ctx      context.Context
	p        *importPlan
	o        ImportOptions
	progress func(done, total int)

	// n counts the secrets read; seen holds their names.
	n       int
	seen    map[string]bool
	journal *journalWriter
	// unlimit undoes Options.LimitHeap, once the journal is in use.
	unlimit func()
}

// progressEvery is how many secrets are read between two progress
// reports: a report per secret would cost more than a small secret's plan.
const progressEvery = 256

// report sends a progress report, when one is wanted. A step is one
// secret read or one secret's share of the writes applied: the total is
// twice the secrets, as many as o.Expect says until the source ends, and
// unknown (0) before that when o.Expect is 0.
func (r *importRun) report(done int, final bool) {
	if r.progress == nil {
		return
	}
	total := 2 * r.n
	if !final {
		total = 0
		if r.o.Expect > 0 {
			total = 2 * max(r.o.Expect, r.n)
		}
	}
	r.progress(done, total)
}

// read checks and plans every secret of src in one snapshot of the
// vault, staging the writes in the journal once they outgrow one
// transaction.
func (r *importRun) read(src iter.Seq2[SecretData, error]) error {
	v, p := r.v, r.p
	r.seen = map[string]bool{}
	return v.view(func(tx *txn) error {
		for sd, err := range src {
			if err != nil {
				return err
			}
			if err := checkImported(&sd, r.o.Sync != nil, r.seen); err != nil {
				return err
			}
			if err := p.plan(tx, &sd); err != nil {
				return err
			}
			if err := r.ctx.Err(); err != nil {
				return err
			}
			r.n++
			if err := r.spill(tx, false); err != nil {
				return err
			}
			if r.n%progressEvery == 0 {
				r.report(r.n, false)
			}
		}
		if p.report.Settings && !r.o.DryRun {
			b, err := json.Marshal(p.set)
			if err != nil {
				return err
			}
			p.seal(kindSettings, []byte{kindSettings}, 0, b)
		}
		if err := r.spill(tx, true); err != nil {
			return err
		}
		r.report(r.n, true)
		if r.journal == nil {
			return nil
		}
		return r.journal.close()
	})
}

// spill decides what becomes of the writes planned so far: a dry run,
// or an import that a conflict already refuses, drops them (they would
// never be written); else they stay in memory while they fit one
// transaction, and are staged in the journal once they do not. last
// stages what is left once the journal is in use.
func (r *importRun) spill(tx *txn, last bool) error {
	p, v := r.p, r.v
	if r.o.DryRun || p.conflicts > 0 && r.o.OnConflict == ConflictFail {
		p.drop()
		return nil
	}
	over := p.size > v.limits.singleTxn || len(p.ops) > singleTxnOps
	if !over && (r.journal == nil || !last) {
		return nil
	}
	if len(p.ops) == 0 {
		return nil
	}
	if r.journal == nil {
		j, err := v.newJournalWriter(r.ctx)
		if err != nil {
			return err
		}
		r.journal = j
		if v.limits.limitHeap != nil {
			r.unlimit = v.limits.limitHeap()
		}
	}
	err := r.journal.stage(tx, p.ops, p.size)
	p.drop()
	return err
}

// writeOnce writes an import that fits one transaction, with its audit
// event, like any other change.
func (r *importRun) writeOnce(event Event) error {
	v, ops := r.v, r.p.ops
	v.sealAll(ops)
	err := v.updateLocked(func(tx *txn) error {
		for _, op := range ops {
			tx.op(op)
		}
		if err := tx.audit(event); err != nil {
			return err
		}
		return r.ctx.Err()
	})
	if err == nil {
		r.report(2*r.n, true)
	}
	return err
}

// commit commits a staged import and applies it (steps 2 and 3 at the top
// of this file). The caller holds v.mu.
func (r *importRun) commit(event Event) error {
	v, j := r.v, r.journal
	if v.limits.crash != nil && v.limits.crash("staged") {
		return errSimulatedCrash
	}
	// The head and the audit event in one transaction, with the state
	// commitment of the vault as it is once the ops are applied; the
	// commitment names the journal head, and the head the chunks, so that
	// nothing of an older import can be put in their place.
	h := journalHead{Chunks: j.chunks, Digest: j.sum.sum(), Kind: j.kind}
	if j.kind == kindJournalV1 {
		h.Kind = 0 // as an older locket wrote it (tests only)
	}
	head, _ := json.Marshal(h)
	err := v.updateLocked(func(tx *txn) error {
		k := []byte{kindJournalHead}
		sealed := tx.seal(kindJournalHead, k, head)
		tx.set(k, sealed)
		tx.delta = j.delta.delta
		tx.setJournal, tx.journal = true, digest(sealed)
		if err := tx.audit(event); err != nil {
			return err
		}
		return r.ctx.Err()
	})
	if err != nil {
		return errors.Join(err, v.dropJournal())
	}
	if v.limits.crash != nil && v.limits.crash("committed") {
		return errSimulatedCrash
	}
	// From here on the import has happened: a failure leaves the head for
	// recoverImport to finish.
	ops, n := j.ops, r.n
	return v.finishImport(func(applied int) {
		if ops > 0 {
			r.report(n+n*applied/ops, true)
		}
	})
}

func importNote(note string, r ImportReport) string {
	s := fmt.Sprintf("%d new, %d updated, %d unchanged", r.Count(ActionNew), r.Changes()-r.Count(ActionNew), len(r.Items)-r.Changes())
	if r.Settings {
		s += ", settings restored"
	}
	if note != "" {
		s = note + ": " + s
	}
	return s
}

// checkImported checks one secret the caller hands in as if it came from
// a user: name, values, attributes and tags, and that its name is not in
// seen, the names of the secrets before it, to which it adds its own.
func checkImported(sd *SecretData, sync bool, seen map[string]bool) error {
	if err := ValidateName(sd.Name); err != nil {
		return err
	}
	if seen[sd.Name] {
		return fmt.Errorf("%w: %q appears twice in the import", ErrInvalid, sd.Name)
	}
	seen[sd.Name] = true
	// A pull may bring only tags or trash state: no version.
	if len(sd.Versions) == 0 && !sync || len(sd.Versions) != len(sd.Values) {
		return fmt.Errorf("%w: %q: every imported secret needs at least one version with a value", ErrInvalid, sd.Name)
	}
	if err := ValidateTags(sd.Tags); err != nil {
		return fmt.Errorf("%q: %w", sd.Name, err)
	}
	if err := ValidateTimes(NamedTime{"created", sd.Created}, NamedTime{"updated", sd.Updated}, NamedTime{"deleted", sd.Deleted}); err != nil {
		return fmt.Errorf("%q: %w", sd.Name, err)
	}
	for j, ver := range sd.Versions {
		if err := ValidateTimes(NamedTime{"created", ver.Created}, NamedTime{"expires", ver.Expires}, NamedTime{"not-before", ver.NotBefore}); err != nil {
			return fmt.Errorf("%q version %d: %w", sd.Name, j+1, err)
		}
		if err := ValidateValue(sd.Values[j]); err != nil {
			return fmt.Errorf("%q: %w", sd.Name, err)
		}
		if err := ValidateContentType(ver.ContentType); err != nil {
			return fmt.Errorf("%q: %w", sd.Name, err)
		}
		if !ValidActor(ver.Actor) {
			return fmt.Errorf("%w: %q: actor is too long or holds control characters", ErrInvalid, sd.Name)
		}
	}
	return nil
}

// importOp is one staged write: a record to set, or a key to delete. The
// plan records plaintexts; sealAll seals them on every core, since sealing
// is most of the CPU an import of many secrets needs.
type importOp struct {
	del      bool
	key, val []byte

	kind  byte
	ver   uint64
	plain []byte
}

func (v *Vault) sealAll(ops []importOp) {
	workers := min(runtime.GOMAXPROCS(0), 8)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(ops); i += workers {
				if op := &ops[i]; !op.del {
					op.val = v.kr.Seal(op.kind, op.key, op.ver, op.plain)
					op.plain = nil
				}
			}
		}()
	}
	wg.Wait()
}

// importPlan compares the import with the vault and collects the writes.
type importPlan struct {
	v      *Vault
	t      *txn // for the sealing helpers only; it has no Badger transaction
	set    Settings
	policy OnConflict
	sync   *SyncPull
	// keep: ids and version numbers as the source has them (salvage).
	keep bool

	report        ImportReport
	ops           []importOp
	size          int
	conflicts     int
	firstConflict string
}

// seal stages a record to be sealed as kind with version ver.
func (p *importPlan) seal(kind byte, k []byte, ver uint64, plain []byte) {
	p.ops = append(p.ops, importOp{key: k, kind: kind, ver: ver, plain: plain})
	p.size += len(k) + len(plain) + 56
}

// del stages a deletion.
func (p *importPlan) del(k []byte) {
	p.ops = append(p.ops, importOp{del: true, key: k})
	p.size += len(k) + 16
}

// drop forgets the writes planned so far: staged, or never to be written.
func (p *importPlan) drop() {
	clear(p.ops) // the values they hold
	p.ops, p.size = p.ops[:0], 0
}

func (p *importPlan) item(it ImportItem) { p.report.Items = append(p.report.Items, it) }

func (p *importPlan) conflict(name, reason string, versions int) {
	p.conflicts++
	if p.firstConflict == "" {
		p.firstConflict = name
	}
	p.item(ImportItem{Name: name, Action: ActionConflict, Versions: versions, Reason: reason})
}

// plan decides what to do with one imported secret and stages its writes.
func (p *importPlan) plan(tx *txn, sd *SecretData) error {
	if p.sync != nil {
		return p.planSync(tx, sd)
	}
	id, s, err := tx.lookup(sd.Name)
	switch {
	case errors.Is(err, ErrNotFound):
		p.item(ImportItem{Name: sd.Name, Action: ActionNew, Versions: p.newSecret(sd)})
		return nil
	case err != nil:
		return err
	case s.InTrash() && sd.InTrash():
		p.item(ImportItem{Name: sd.Name, Action: ActionSkipped, Reason: "deleted on both sides"})
		return nil
	case s.InTrash():
		p.conflict(sd.Name, "the name is in the trash here; recover or purge it first", 0)
		return nil
	case sd.InTrash():
		p.item(ImportItem{Name: sd.Name, Action: ActionSkipped, Reason: "deleted in the import, live here"})
		return nil
	}
	local := make(map[string]bool, len(s.Versions))
	var cur []byte
	for _, ver := range s.Versions {
		val, err := tx.value(id, ver.Number)
		if err != nil {
			return err
		}
		local[string(val)] = true
		cur = val
	}
	last := len(sd.Values) - 1
	if bytes.Equal(sd.Values[last], cur) {
		p.item(ImportItem{Name: sd.Name, Action: ActionIdentical})
		return nil
	}
	if local[string(sd.Values[last])] {
		p.item(ImportItem{Name: sd.Name, Action: ActionSkipped, Reason: "the vault has newer versions"})
		return nil
	}
	// The import continues the vault's history when it holds the vault's
	// current value: only what came after it is new.
	from := -1
	for i := last - 1; i >= 0; i-- {
		if bytes.Equal(sd.Values[i], cur) {
			from = i
			break
		}
	}
	var add []int
	for i := from + 1; i <= last; i++ {
		if !local[string(sd.Values[i])] {
			add = append(add, i)
		}
	}
	if from >= 0 {
		p.item(ImportItem{Name: sd.Name, Action: ActionNewVersions, Versions: len(add)})
		return p.addVersions(id, s.Clone(), sd, add)
	}
	if p.policy != ConflictNewVersion {
		reason := "the vault and the import differ"
		if p.policy == ConflictSkip {
			reason += "; skipped"
		}
		p.conflict(sd.Name, reason, 0)
		return nil
	}
	p.conflict(sd.Name, "the vault and the import differ; the import's values are added as new versions", len(add))
	return p.addVersions(id, s.Clone(), sd, add)
}

// newSecret stages a secret that the vault does not hold yet, with all
// its versions (as many as max-versions keeps), and returns their number.
func (p *importPlan) newSecret(sd *SecretData) int {
	if p.keep && len(sd.id) == idSize {
		return p.newSecretID(sd.id, sd)
	}
	return p.newSecretID(newID(), sd)
}

func (p *importPlan) newSecretID(id []byte, sd *SecretData) int {
	s := &Secret{Name: sd.Name, Created: utcOrZero(sd.Created), Enabled: sd.Enabled, Tags: sd.Tags, Deleted: utcOrZero(sd.Deleted)}
	if s.Created.IsZero() {
		s.Created = p.t.now
	}
	first := 0
	if m := p.set.MaxVersions; m > 0 && len(sd.Versions) > m {
		first = len(sd.Versions) - m
	}
	for i := first; i < len(sd.Versions); i++ {
		p.version(id, s, sd, i)
	}
	p.seal(kindMeta, key(kindMeta, id), 0, encodeSecret(s))
	p.seal(kindIndex, p.t.indexKey(s.Name), 0, id)
	if s.InTrash() {
		p.seal(kindTrash, key(kindTrash, id), 0, encodeTime(s.Deleted))
	}
	return len(sd.Versions) - first
}

// addVersions stages versions idx of sd as new versions of the existing
// secret s, merges the imported tags and prunes past max-versions.
func (p *importPlan) addVersions(id []byte, s Secret, sd *SecretData, idx []int) error {
	if len(sd.Tags) > 0 {
		if s.Tags == nil {
			s.Tags = map[string]string{}
		}
		maps.Copy(s.Tags, sd.Tags)
		if err := ValidateTags(s.Tags); err != nil {
			return fmt.Errorf("%q: merging the imported tags: %w", s.Name, err)
		}
	}
	for _, i := range idx {
		p.version(id, &s, sd, i)
	}
	if m := p.set.MaxVersions; m > 0 {
		for len(s.Versions) > m {
			p.del(valueKey(id, s.Versions[0].Number))
			s.Versions = s.Versions[1:]
		}
	}
	p.seal(kindMeta, key(kindMeta, id), 0, encodeSecret(&s))
	return nil
}

// version appends sd's version i to s under the next number and stages
// its sealed value.
func (p *importPlan) version(id []byte, s *Secret, sd *SecretData, i int) {
	src := sd.Versions[i]
	ver := Version{
		Number:      s.Current().Number + 1,
		ContentType: src.ContentType,
		Created:     utcOrZero(src.Created),
		Expires:     utcOrZero(src.Expires),
		NotBefore:   utcOrZero(src.NotBefore),
		Actor:       src.Actor,
		Size:        len(sd.Values[i]),
	}
	if p.keep && src.Number > ver.Number {
		ver.Number = src.Number
	}
	if ver.Created.IsZero() {
		ver.Created = p.t.now
	}
	if ver.Actor == "" {
		ver.Actor = p.v.actor
	}
	s.Versions = append(s.Versions, ver)
	s.Updated = p.t.now
	p.seal(kindValue, valueKey(id, ver.Number), uint64(ver.Number), sd.Values[i])
}

// importLimits size an import's writes. Tests lower them through
// Options.limits, per vault, so that they can run in parallel.
type importLimits struct {
	// singleTxn is the largest import, in bytes of records, written in
	// one transaction; larger ones go through the journal, staged in
	// batches of about this size, so that no more is held at a time.
	singleTxn int
	// chunk bounds a journal chunk, well below the value threshold in
	// store.go so that chunks stay in the LSM tree and compaction removes
	// them.
	chunk int
	// crash, when a test sets it, is asked after each journal step
	// ("staged", "committed") whether to stop there as if the process died.
	crash func(step string) bool
	// limitHeap is Options.LimitHeap.
	limitHeap func() (undo func())
	// journalV1 stages chunks where lockets before decisions/0078 did, for
	// the tests of finishing what they left.
	journalV1 bool
}

var defaultImportLimits = importLimits{singleTxn: 512 << 10, chunk: 96 << 10}

// singleTxnOps bounds the number of records in that one transaction:
// Badger also limits a transaction's entry count.
const singleTxnOps = 4000

// journalWriter stages an import's writes (step 1 at the top of this
// file) as they are planned: each batch is sealed, its change to the
// state commitment added up, and its operations appended to sealed chunks
// that are written as soon as they are full, so that neither the
// operations nor the journal are ever held whole.
type journalWriter struct {
	v     *Vault
	ctx   context.Context
	batch *writeBatch
	kind  byte
	buf   []byte
	// chunks, sum and ops are what is written so far; bytes is the size
	// of the records staged, which the disk must hold twice more.
	chunks, ops, bytes int
	sum                chunksDigest
	// delta accumulates the commitment's delta (see opsDelta).
	delta *txn
}

func (v *Vault) newJournalWriter(ctx context.Context) (*journalWriter, error) {
	b, err := v.newBatch()
	if err != nil {
		return nil, err
	}
	kind := byte(kindJournal)
	if v.limits.journalV1 {
		kind = kindJournalV1
	}
	return &journalWriter{v: v, ctx: ctx, batch: b, kind: kind, buf: make([]byte, 0, v.limits.chunk), sum: newChunksDigest(), delta: &txn{v: v}}, nil
}

// stage seals ops, whose records take size bytes, and appends them to the
// journal. tx is the snapshot the import was planned in: the commitment's
// delta is taken against it.
func (j *journalWriter) stage(tx *txn, ops []importOp, size int) error {
	v := j.v
	j.bytes += size
	// The journal, the records it applies, and as much to spare; what is
	// staged is already on the disk.
	if err := checkSpace(v.dir, 2*uint64(j.bytes)); err != nil {
		return err
	}
	v.sealAll(ops)
	if err := j.delta.opsDelta(tx, ops); err != nil {
		return err
	}
	for _, op := range ops {
		if len(j.buf) > 0 && len(j.buf)+len(op.key)+len(op.val)+16 > v.limits.chunk {
			if err := j.flush(); err != nil {
				return err
			}
		}
		j.buf = appendOp(j.buf, op)
		j.ops++
	}
	return j.ctx.Err()
}

// flush writes the chunk being filled.
func (j *journalWriter) flush() error {
	if len(j.buf) == 0 {
		return nil
	}
	k := journalKey(j.kind, uint64(j.chunks))
	if err := j.batch.put(k, j.v.kr.Seal(j.kind, k, 0, j.buf)); err != nil {
		return err
	}
	j.sum.add(j.buf)
	j.chunks++
	j.buf = j.buf[:0] // Seal wrote a new slice
	return nil
}

// close writes the last chunk and waits until every chunk is on disk.
func (j *journalWriter) close() error {
	if err := j.flush(); err != nil {
		return err
	}
	return j.batch.flush()
}

// cancel gives up what close has not written; after close it does
// nothing. The chunks written stay until dropJournal.
func (j *journalWriter) cancel() { j.batch.cancel() }

var errSimulatedCrash = errors.New("simulated crash")

// journalHead marks a committed import.
type journalHead struct {
	Chunks int    `json:"chunks"`
	Digest []byte `json:"digest"`
	// Kind is the chunks' record kind: kindJournal, or nothing for
	// kindJournalV1 in a head an older locket wrote.
	Kind byte `json:"kind,omitempty"`
}

// kind is the record kind of the chunks head names.
func (h journalHead) kind() byte {
	if h.Kind == 0 {
		return kindJournalV1
	}
	return h.Kind
}

// chunksDigest is the SHA-256 of the journal's chunks, in order, each
// after its length; it is taken as the chunks are written.
type chunksDigest struct{ h hash.Hash }

func newChunksDigest() chunksDigest { return chunksDigest{sha256.New()} }

func (d chunksDigest) add(c []byte) {
	d.h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(c))))
	d.h.Write(c)
}

func (d chunksDigest) sum() []byte { return d.h.Sum(nil) }

func journalKey(kind byte, seq uint64) []byte {
	return key(kind, binary.BigEndian.AppendUint64(nil, seq))
}

func (t *txn) op(op importOp) {
	if op.del {
		t.delete(op.key)
	} else {
		t.set(op.key, op.val)
	}
}

func appendOp(b []byte, op importOp) []byte {
	if op.del {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(op.key)))
	b = append(b, op.key...)
	b = binary.AppendUvarint(b, uint64(len(op.val)))
	return append(b, op.val...)
}

// eachOp calls fn with every operation of a chunk, each in slices of its
// own: a write batch keeps them until it commits.
func eachOp(b []byte, fn func(importOp) error) error {
	d := &decoder{b: b}
	for d.err == nil && len(d.b) > 0 {
		del := d.byte()
		k := d.string(1024)
		val := d.string(2 * MaxValueLen)
		if d.err != nil {
			break
		}
		if del > 1 {
			d.err = errCodec
			break
		}
		if err := fn(importOp{del: del == 1, key: []byte(k), val: []byte(val)}); err != nil {
			return err
		}
	}
	if d.err != nil {
		return fmt.Errorf("%w: import journal: %v", ErrIntegrity, d.err)
	}
	return nil
}

// writeBatch streams writes through a Badger WriteBatch, which spreads
// them over as many transactions as their size needs and commits them
// without waiting for each. It is not atomic: callers make it so with a
// journal. flush waits for every commit, synced to disk like any other
// write.
type writeBatch struct {
	v  *Vault
	wb *badger.WriteBatch
}

func (v *Vault) newBatch() (*writeBatch, error) {
	if err := checkSpace(v.dir, 0); err != nil {
		return nil, err
	}
	return &writeBatch{v: v, wb: v.db.NewWriteBatch()}, nil
}

// put writes val at k; a nil val deletes k.
func (b *writeBatch) put(k, val []byte) error {
	var err error
	if val == nil {
		err = b.wb.Delete(k)
	} else {
		err = b.wb.Set(k, val)
	}
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

func (b *writeBatch) flush() error {
	if err := b.wb.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := b.v.db.Sync(); err != nil {
		return fmt.Errorf("write: sync: %w", err)
	}
	return nil
}

func (b *writeBatch) cancel() { b.wb.Cancel() }

// batch runs fn with the put of a writeBatch, and flushes it when fn
// succeeds.
func (v *Vault) batch(fn func(put func(k, val []byte) error) error) error {
	b, err := v.newBatch()
	if err != nil {
		return err
	}
	defer b.cancel()
	if err := fn(b.put); err != nil {
		return err
	}
	return b.flush()
}

// finishImport writes the operations of a committed import to their real
// keys (step 3 at the top of this file), reading the journal back a chunk
// at a time, then removes the head and the chunks. progress is told how
// many operations are written. The caller holds v.mu.
func (v *Vault) finishImport(progress func(applied int)) error {
	err := v.view(func(tx *txn) error {
		// One snapshot for both passes: the chunks applied are the ones
		// checked.
		kind, err := checkJournal(tx)
		if err != nil {
			return err
		}
		b, err := v.newBatch()
		if err != nil {
			return err
		}
		defer b.cancel()
		applied := 0
		err = tx.each(kind, func(_, chunk []byte) error {
			return eachOp(chunk, func(op importOp) error {
				val := op.val
				if op.del {
					val = nil
				}
				if err := b.put(op.key, val); err != nil {
					return err
				}
				if applied++; applied%1024 == 0 {
					progress(applied)
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
		if err := b.flush(); err != nil {
			return err
		}
		progress(applied)
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish import: %w", err)
	}
	err = v.updateLocked(func(tx *txn) error {
		tx.delete([]byte{kindJournalHead})
		tx.setJournal, tx.journal = true, nil
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish import: %w", err)
	}
	return v.dropJournal()
}

// checkJournal checks, before anything of it is applied, that the journal
// of a committed import holds every chunk its head names, in order, and
// nothing else, and returns the chunks' record kind.
func checkJournal(tx *txn) (byte, error) {
	pt, err := tx.get(kindJournalHead, []byte{kindJournalHead}, 0)
	if err != nil {
		return 0, err
	}
	var head journalHead
	if err := json.Unmarshal(pt, &head); err != nil {
		return 0, fmt.Errorf("%w: import journal head", ErrIntegrity)
	}
	kind := head.kind()
	if kind != kindJournal && kind != kindJournalV1 {
		return 0, fmt.Errorf("%w: import journal head", ErrIntegrity)
	}
	n, sum := 0, newChunksDigest()
	err = tx.each(kind, func(k, chunk []byte) error {
		if !bytes.Equal(k, journalKey(kind, uint64(n))) {
			return fmt.Errorf("%w: import journal chunk missing", ErrIntegrity)
		}
		sum.add(chunk)
		n++
		return nil
	})
	if err != nil {
		return 0, err
	}
	if n != head.Chunks {
		return 0, fmt.Errorf("%w: the journal has %d of %d chunks", ErrIntegrity, n, head.Chunks)
	}
	if !bytes.Equal(sum.sum(), head.Digest) {
		return 0, fmt.Errorf("%w: the journal's chunks are not the ones its head names", ErrIntegrity)
	}
	return kind, nil
}

// dropJournal removes every chunk from every level of the store, so that
// no staged copy of the imported records stays on disk.
func (v *Vault) dropJournal() error {
	if err := v.db.DropPrefix([]byte{kindJournal}, []byte{kindJournalV1}); err != nil {
		return fmt.Errorf("clear import journal: %w", err)
	}
	return nil
}

// recoverImport finishes an import that a crash interrupted after it
// committed, or drops the staged chunks of one that never committed. It
// must run before any other write when the vault is opened for writing.
func (v *Vault) recoverImport() error {
	if v.readOnly {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.recoverImportLocked()
}

func (v *Vault) recoverImportLocked() error {
	var committed, staged bool
	err := v.view(func(tx *txn) error {
		_, err := tx.tx.Get([]byte{kindJournalHead})
		committed = err == nil
		for _, kind := range []byte{kindJournal, kindJournalV1} {
			it := tx.tx.NewIterator(badger.IteratorOptions{Prefix: []byte{kind}})
			it.Rewind()
			staged = staged || it.Valid()
			it.Close()
		}
		return nil
	})
	switch {
	case err != nil:
		return err
	case committed:
		return v.finishImport(func(int) {})
	case staged:
		return v.dropJournal()
	}
	return nil
}
