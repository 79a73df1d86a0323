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
//     kindJournal. No reader looks at that kind, so nothing is visible yet.
//  2. commit: one small transaction writes the journal head and the
//     import's audit event. This is the moment the import happens.
//  3. apply: the chunks' operations are written to their real keys in
//     batches; then the head is deleted and the chunks dropped from disk.
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
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// Record kinds of the import journal (see store.go for the others).
const (
	kindJournal     = 'j' // "j" ‖ seq: a sealed chunk of staged operations
	kindJournalHead = 'J' // "J": a committed import whose chunks are still to apply
)

// ErrConflict reports an import refused because of conflicting secrets.
var ErrConflict = errors.New("import conflict")

// SecretData is a secret with the values of all its versions, as a backup
// holds it: Values[i] is the value of Versions[i].
type SecretData struct {
	Secret
	Values [][]byte
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
	// Progress, when set, receives how far the import is written, ending
	// with Done == Total. The caller must read it until Import returns (a
	// send waits for the reader or for ctx); Import does not close it.
	Progress chan<- ImportProgress `json:"-"`
	// Sync, when set, makes the import a pull from a sync target (see
	// syncstate.go).
	Sync *SyncPull
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

// Import adds secrets to the vault all-or-nothing, as one audited event.
// Imported values always become new versions with new numbers; no
// existing version is changed. Versions keep their creation time and
// actor, so that rotation status survives a restore. With ConflictFail
// and a conflict, it returns the plan and an error wrapping ErrConflict.
func (v *Vault) Import(ctx context.Context, secrets []SecretData, o ImportOptions) (_ ImportReport, err error) {
	ctx, done, err := v.enter(ctx)
	if err != nil {
		return ImportReport{}, err
	}
	defer done(&err)
	if err := validateImport(secrets, o.Sync != nil); err != nil {
		return ImportReport{}, err
	}
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
	p := &importPlan{v: v, t: &txn{v: v, now: v.now().UTC().Round(0)}, policy: o.OnConflict, sync: o.Sync}
	p.set = set
	if o.Settings != nil {
		// Restored settings cannot undo purge protection: it stays on, and
		// the retention it guards does not shrink.
		p.set, _ = set.guard(*o.Settings)
		p.report.Settings = true
	}
	// At most a value per version and a metadata, index and trash record
	// per secret: sized once rather than grown through 400k appends.
	capacity := 3*len(secrets) + 2
	for i := range secrets {
		capacity += len(secrets[i].Versions)
	}
	p.ops = make([]importOp, 0, capacity)
	err = v.view(func(tx *txn) error {
		for i := range secrets {
			if err := p.plan(tx, &secrets[i]); err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ImportReport{}, err
	}
	slices.SortFunc(p.report.Items, func(a, b ImportItem) int { return strings.Compare(a.Name, b.Name) })
	if p.conflicts > 0 && o.OnConflict == ConflictFail {
		return p.report, fmt.Errorf("%w: %d secrets differ between the vault and the import (first: %s); nothing was imported",
			ErrConflict, p.conflicts, Sanitize(p.firstConflict))
	}
	if o.DryRun {
		return p.report, nil
	}
	if p.report.Settings {
		b, err := json.Marshal(p.set)
		if err != nil {
			return ImportReport{}, err
		}
		p.seal(kindSettings, []byte{kindSettings}, 0, b)
	}
	v.sealAll(p.ops)
	event := Event{Op: OpImport, Note: importNote(o.Note, p.report), Outcome: "ok"}
	err = v.applyImport(ctx, p.ops, p.size, event, progressFunc(ctx, o.Progress))
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

// validateImport checks everything the caller hands in as if it came from
// a user: names, values, attributes, tags and duplicates.
func validateImport(secrets []SecretData, sync bool) error {
	seen := make(map[string]bool, len(secrets))
	for i := range secrets {
		sd := &secrets[i]
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
	// one transaction; larger ones go through the journal.
	singleTxn int
	// chunk bounds a journal chunk, well below the value threshold in
	// store.go so that chunks stay in the LSM tree and compaction removes
	// them.
	chunk int
	// crash, when a test sets it, is asked after each journal step
	// ("staged", "committed") whether to stop there as if the process died.
	crash func(step string) bool
}

var defaultImportLimits = importLimits{singleTxn: 512 << 10, chunk: 96 << 10}

// singleTxnOps bounds the number of records in that one transaction:
// Badger also limits a transaction's entry count.
const singleTxnOps = 4000

// applyImport writes ops, with the audit event, all-or-nothing. The caller
// holds v.mu.
func (v *Vault) applyImport(ctx context.Context, ops []importOp, size int, event Event, progress func(done, total int)) error {
	if progress == nil {
		progress = func(int, int) {}
	}
	if size <= v.limits.singleTxn && len(ops) <= singleTxnOps {
		err := v.updateLocked(func(tx *txn) error {
			for _, op := range ops {
				tx.op(op)
			}
			if err := tx.audit(event); err != nil {
				return err
			}
			return ctx.Err()
		})
		if err == nil {
			progress(len(ops), len(ops))
		}
		return err
	}
	// The journal and the records it applies, with room to spare.
	if err := checkSpace(v.dir, 3*uint64(size)); err != nil {
		return err
	}
	// 1. Stage. A failure here leaves chunks without a head: rolled back.
	// Each chunk is sealed and written as soon as it is full, so that the
	// journal is never held in memory next to the operations.
	total := len(ops) * 2
	chunks, sum := 0, newChunksDigest()
	err := v.batch(func(put func(k, val []byte) error) error {
		buf := make([]byte, 0, v.limits.chunk)
		flush := func(done int) error {
			if len(buf) == 0 {
				return nil
			}
			k := journalKey(uint64(chunks))
			if err := put(k, v.kr.Seal(kindJournal, k, 0, buf)); err != nil {
				return err
			}
			sum.add(buf)
			chunks++
			buf = buf[:0] // Seal wrote a new slice
			progress(done, total)
			return ctx.Err()
		}
		for i, op := range ops {
			if len(buf) > 0 && len(buf)+len(op.key)+len(op.val)+16 > v.limits.chunk {
				if err := flush(i); err != nil {
					return err
				}
			}
			buf = appendOp(buf, op)
		}
		return flush(len(ops))
	})
	if err != nil {
		return errors.Join(err, v.dropJournal())
	}
	if v.limits.crash != nil && v.limits.crash("staged") {
		return errSimulatedCrash
	}
	// 2. Commit: the head and the audit event in one transaction, with the
	// state commitment of the vault as it is once the ops are applied; the
	// commitment names the journal head, and the head the chunks, so that
	// nothing of an older import can be put in their place.
	delta, err := v.opsDelta(ops)
	if err != nil {
		return errors.Join(err, v.dropJournal())
	}
	head, _ := json.Marshal(journalHead{Chunks: chunks, Digest: sum.sum()})
	err = v.updateLocked(func(tx *txn) error {
		k := []byte{kindJournalHead}
		sealed := tx.seal(kindJournalHead, k, head)
		tx.set(k, sealed)
		tx.delta = delta
		tx.setJournal, tx.journal = true, digest(sealed)
		return tx.audit(event)
	})
	if err != nil {
		return errors.Join(err, v.dropJournal())
	}
	if v.limits.crash != nil && v.limits.crash("committed") {
		return errSimulatedCrash
	}
	// 3. Apply the operations still in memory; the journal is only read
	// back when a crash lost them. From here on the import has happened: a
	// failure leaves the head for recoverImport to finish.
	return v.finishImport(ops, func(done int) { progress(len(ops)+done, total) })
}

var errSimulatedCrash = errors.New("simulated crash")

// journalHead marks a committed import.
type journalHead struct {
	Chunks int    `json:"chunks"`
	Digest []byte `json:"digest"`
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

func journalKey(seq uint64) []byte {
	return key(kindJournal, binary.BigEndian.AppendUint64(nil, seq))
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

func decodeOps(b []byte) ([]importOp, error) {
	d := &decoder{b: b}
	var ops []importOp
	for d.err == nil && len(d.b) > 0 {
		del := d.byte()
		k := d.string(1024)
		val := d.string(2 * MaxValueLen)
		if del > 1 {
			d.err = errCodec
		}
		ops = append(ops, importOp{del: del == 1, key: []byte(k), val: []byte(val)})
	}
	if d.err != nil {
		return nil, fmt.Errorf("%w: import journal: %v", ErrIntegrity, d.err)
	}
	return ops, nil
}

// batch runs fn with a put that streams writes through a Badger
// WriteBatch, which spreads them over as many transactions as their size
// needs and commits them without waiting for each. It is not atomic:
// callers make it so with the journal. Flush waits for every commit, each
// synced to disk like any other write.
func (v *Vault) batch(fn func(put func(k, val []byte) error) error) error {
	if err := checkSpace(v.dir, 0); err != nil {
		return err
	}
	wb := v.db.NewWriteBatch()
	defer wb.Cancel()
	put := func(k, val []byte) error {
		var err error
		if val == nil {
			err = wb.Delete(k)
		} else {
			err = wb.Set(k, val)
		}
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		return nil
	}
	if err := fn(put); err != nil {
		return err
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := v.db.Sync(); err != nil {
		return fmt.Errorf("write: sync: %w", err)
	}
	return nil
}

// readJournal returns the operations of a committed import from its
// journal, checking that no chunk is missing.
func (v *Vault) readJournal() ([]importOp, error) {
	var head journalHead
	var chunks [][]byte
	err := v.view(func(tx *txn) error {
		pt, err := tx.get(kindJournalHead, []byte{kindJournalHead}, 0)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(pt, &head); err != nil {
			return fmt.Errorf("%w: import journal head", ErrIntegrity)
		}
		return tx.each(kindJournal, func(k, pt []byte) error {
			if !bytes.Equal(k, journalKey(uint64(len(chunks)))) {
				return fmt.Errorf("%w: import journal chunk missing", ErrIntegrity)
			}
			chunks = append(chunks, bytes.Clone(pt))
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if len(chunks) != head.Chunks {
		return nil, fmt.Errorf("%w: the journal has %d of %d chunks", ErrIntegrity, len(chunks), head.Chunks)
	}
	sum := newChunksDigest()
	for _, c := range chunks {
		sum.add(c)
	}
	if !bytes.Equal(sum.sum(), head.Digest) {
		return nil, fmt.Errorf("%w: the journal's chunks are not the ones its head names", ErrIntegrity)
	}
	var ops []importOp
	for _, c := range chunks {
		more, err := decodeOps(c)
		if err != nil {
			return nil, err
		}
		ops = append(ops, more...)
	}
	return ops, nil
}

// finishImport writes the operations of a committed import to their real
// keys, then removes the head and the chunks. The caller holds v.mu.
func (v *Vault) finishImport(ops []importOp, progress func(done int)) error {
	err := v.batch(func(put func(k, val []byte) error) error {
		for i, op := range ops {
			val := op.val
			if op.del {
				val = nil
			}
			if err := put(op.key, val); err != nil {
				return err
			}
			if (i+1)%1024 == 0 || i+1 == len(ops) {
				progress(i + 1)
			}
		}
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

// dropJournal removes every chunk from every level of the store, so that
// no staged copy of the imported records stays on disk.
func (v *Vault) dropJournal() error {
	if err := v.db.DropPrefix([]byte{kindJournal}); err != nil {
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
		it := tx.tx.NewIterator(badger.IteratorOptions{Prefix: []byte{kindJournal}})
		defer it.Close()
		it.Rewind()
		staged = it.Valid()
		return nil
	})
	switch {
	case err != nil:
		return err
	case committed:
		ops, err := v.readJournal()
		if err != nil {
			return fmt.Errorf("finish import: %w", err)
		}
		return v.finishImport(ops, func(int) {})
	case staged:
		return v.dropJournal()
	}
	return nil
}
