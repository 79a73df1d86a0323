package vault

// Salvage: copying what still authenticates out of a damaged vault.
//
// A damaged store is read without Badger's database layer, which is not
// safe on one: even opened read-only, Badger deletes every table file a
// damaged MANIFEST does not name (levels.go, revertToManifest), and its
// iterator ends quietly at the first corrupt block. Salvage instead reads
// the files themselves, read-only, under a shared lock on the store
// directory (what a Badger reader takes), and writes nothing there:
//
//   - every table (*.sst) is loaded into memory and walked block by block
//     through Badger's table package, so that a bad block loses only its
//     own records;
//   - every write-ahead log (*.mem) is parsed entry by entry, each entry
//     checked against its CRC, up to the last whole transaction;
//   - a value kept in a value log (*.vlog) is read at its pointer.
//
// Of every key the newest entry found wins, as in Badger; a deletion hides
// older entries. Each record is then opened with the vault's data key: a
// record that does not authenticate (damaged, or moved to another key) is
// counted and dropped, never copied. The survivors become a new vault,
// through the same import a backup restore uses, with the secrets' ids and
// version numbers kept.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/badger/v4/y"

	"locket/keyring"
)

// ErrHeaderLost reports a vault whose header is gone or unreadable: the
// data key is wrapped in it, so no record can be opened.
var ErrHeaderLost = errors.New("the vault header is missing or unreadable, and every record is encrypted under the key it holds: nothing can be salvaged; restore the newest backup")

// SalvageReport says what Salvage copied and what it could not.
type SalvageReport struct {
	Source string `json:"source"`
	Target string `json:"target"`
	// Saved are the secrets copied, with the version numbers that were lost.
	Saved []SalvagedSecret `json:"saved"`
	// Lost are the secrets known to have existed of which nothing usable
	// survived: metadata without any value, or an index entry without its
	// metadata (then the name comes from the audit log, if it survived).
	Lost []LostSecret `json:"lost"`
	// Settings is "kept", or "lost" when the defaults were used.
	Settings string       `json:"settings"`
	Audit    SalvageAudit `json:"audit"`
	// Damaged lists the files, blocks and records that could not be read
	// or did not authenticate.
	Damaged []string `json:"damaged"`
	// Records counts the records that authenticated; Rejected those that
	// did not.
	Records  int `json:"records"`
	Rejected int `json:"rejected"`
}

// SalvagedSecret is one secret copied into the new vault.
type SalvagedSecret struct {
	Name     string `json:"name"`
	Versions []int  `json:"versions"`
	// Missing are the versions the metadata names whose value was lost.
	Missing []int `json:"missing_versions,omitempty"`
	Deleted bool  `json:"deleted,omitempty"`
}

// LostSecret is a secret of which nothing could be copied.
type LostSecret struct {
	// Name is empty when neither the metadata nor the audit log gave it.
	Name   string `json:"name,omitempty"`
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// SalvageAudit says whether the audit log survived whole.
type SalvageAudit struct {
	Events int `json:"events"`
	// Intact: every event from the first to the head authenticated and
	// the hash chain holds.
	Intact  bool   `json:"intact"`
	Problem string `json:"problem,omitempty"`
}

// Complete reports whether everything authenticated and was copied.
func (r *SalvageReport) Complete() bool {
	if len(r.Lost) > 0 || r.Settings != "kept" || !r.Audit.Intact || len(r.Damaged) > 0 || r.Rejected > 0 {
		return false
	}
	for _, s := range r.Saved {
		if len(s.Missing) > 0 {
			return false
		}
	}
	return true
}

// Salvage reads the vault in src without writing to it and copies every
// record that still authenticates into a new vault in dst, with the same
// passphrase, key derivation cost and settings. dst must not exist or be
// empty. It fails with ErrHeaderLost when src's header is gone, and with
// ErrWrongPassphrase like Open. An error from writing dst leaves no vault
// there.
func Salvage(ctx context.Context, src, dst string, passphrase []byte, opts Options) (SalvageReport, error) {
	r := SalvageReport{Source: src, Target: dst, Saved: []SalvagedSecret{}, Lost: []LostSecret{}, Damaged: []string{}}
	if err := checkDir(src); err != nil {
		return r, err
	}
	if err := emptyTarget(dst); err != nil {
		return r, err
	}
	if inside(src, dst) {
		return r, fmt.Errorf("%w: %s is inside the vault being salvaged, which salvage never writes to", ErrInvalid, dst)
	}
	b, err := os.ReadFile(filepath.Join(src, headerFile))
	if err != nil {
		return r, fmt.Errorf("%w (%v)", ErrHeaderLost, err)
	}
	hdr, err := keyring.ParseHeader(b)
	if err != nil {
		return r, fmt.Errorf("%w (%v)", ErrHeaderLost, err)
	}
	kr, err := hdr.Unlock(passphrase)
	if err != nil {
		return r, err
	}
	defer kr.Wipe()
	dbdir := filepath.Join(src, dbDir)
	unlock, err := shareLock(dbdir)
	if err != nil {
		return r, err
	}
	entries, damaged := readStore(dbdir)
	unlock()
	r.Damaged = append(r.Damaged, damaged...)

	// Open every live record; keep the plaintexts by kind.
	byKind := map[byte][]salvageRec{}
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, ks := range keys {
		e := entries[ks]
		if e.deleted {
			continue
		}
		k := []byte(ks)
		kind := k[0]
		if !salvaged(kind) {
			continue
		}
		ver := uint64(0)
		if kind == kindValue && len(k) == 1+idSize+8 {
			ver = binary.BigEndian.Uint64(k[1+idSize:])
		}
		pt, err := kr.Open(kind, k, ver, e.val)
		if err != nil {
			r.Rejected++
			r.Damaged = append(r.Damaged, fmt.Sprintf("a %s record does not authenticate", kindName(kind)))
			continue
		}
		r.Records++
		byKind[kind] = append(byKind[kind], salvageRec{k, pt})
	}

	// Settings.
	set := DefaultSettings()
	r.Settings = "lost"
	if rs := byKind[kindSettings]; len(rs) == 1 {
		s := DefaultSettings()
		if json.Unmarshal(rs[0].pt, &s) == nil && s.Validate() == nil {
			set, r.Settings = s, "kept"
		}
	}

	// The audit log: its events, and whether the chain holds.
	events := map[uint64]storedEvent{}
	var seqs []uint64
	var chain [][]byte
	for _, rc := range byKind[kindAudit] {
		var se storedEvent
		if len(rc.k) != 9 || json.Unmarshal(rc.pt, &se) != nil {
			continue
		}
		seq := binary.BigEndian.Uint64(rc.k[1:])
		events[seq] = se
		seqs = append(seqs, seq)
		chain = append(chain, rc.pt)
	}
	r.Audit = auditState(seqs, chain, events, byKind[kindAuditHead])
	history := make([]storedEvent, 0, len(seqs))
	for _, seq := range seqs {
		history = append(history, events[seq])
	}

	// Purged secrets whose records await their scrub are not secrets.
	purged := map[string]bool{}
	for _, rc := range byKind[kindScrub] {
		purged[string(rc.k[1:])] = true
	}
	values := map[string][]byte{}
	for _, rc := range byKind[kindValue] {
		values[string(rc.k)] = rc.pt
	}
	var secrets []SecretData
	known := map[string]bool{}
	listed := map[string]bool{} // the value keys some metadata names
	names := map[string]bool{}
	for _, rc := range byKind[kindMeta] {
		id := rc.k[1:]
		if len(id) != idSize || purged[string(id)] {
			continue
		}
		s, err := openSecret(rc.pt)
		if err != nil || ValidateName(s.Name) != nil || names[s.Name] {
			r.Rejected++
			r.Damaged = append(r.Damaged, "a secret's metadata does not decode")
			continue
		}
		known[string(id)] = true
		names[s.Name] = true
		for _, ver := range s.Versions {
			listed[string(valueKey(id, ver.Number))] = true
		}
		sd := SecretData{Secret: s.Clone(), id: bytes.Clone(id)}
		sd.Versions = nil
		item := SalvagedSecret{Name: s.Name, Versions: []int{}, Deleted: s.InTrash()}
		for _, ver := range s.Versions {
			val, ok := values[string(valueKey(id, ver.Number))]
			if !ok {
				item.Missing = append(item.Missing, ver.Number)
				continue
			}
			sd.Versions = append(sd.Versions, ver)
			sd.Values = append(sd.Values, val)
			item.Versions = append(item.Versions, ver.Number)
		}
		if len(sd.Versions) == 0 {
			r.Lost = append(r.Lost, LostSecret{Name: s.Name, ID: hex.EncodeToString(id), Reason: "no version's value survived"})
			continue
		}
		secrets = append(secrets, sd)
		r.Saved = append(r.Saved, item)
	}
	// Index entries whose secret's metadata is gone: the name is only in
	// the audit log, where events carry the secret's id.
	for _, rc := range byKind[kindIndex] {
		id := rc.pt
		if len(id) != idSize || known[string(id)] || purged[string(id)] {
			continue
		}
		known[string(id)] = true
		r.Lost = append(r.Lost, LostSecret{Name: nameFromAudit(id, seqs, events), ID: hex.EncodeToString(id), Reason: "its metadata was lost"})
	}
	// A value of a secret whose metadata does not name it: the metadata
	// that did was lost, and an older copy came back. Its attributes went
	// with it, so it is reported, not copied.
	for _, rc := range byKind[kindValue] {
		if id := rc.k[1:min(len(rc.k), 1+idSize)]; known[string(id)] && !listed[string(rc.k)] {
			r.Damaged = append(r.Damaged, "a value that its secret's surviving metadata does not name was not copied (newer metadata was lost, or the version was pruned)")
		}
	}
	if len(byKind[kindJournalHead]) > 0 {
		r.Damaged = append(r.Damaged, "an interrupted import was not finished; its secrets are not salvaged")
	}
	slices.SortFunc(secrets, func(a, b SecretData) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(r.Saved, func(a, b SalvagedSecret) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(r.Lost, func(a, b LostSecret) int { return strings.Compare(a.Name+a.ID, b.Name+b.ID) })
	r.Damaged = compactDamage(r.Damaged)

	if err := writeSalvage(ctx, dst, passphrase, hdr.KDF, set, secrets, history, r, opts); err != nil {
		return r, err
	}
	return r, nil
}

// salvageRec is one record that authenticated: its key and plaintext.
type salvageRec struct{ k, pt []byte }

// salvaged reports whether salvage reads records of kind. The commitment,
// sync state and journal chunks describe a store that is gone; a new
// vault makes its own.
func salvaged(kind byte) bool {
	switch kind {
	case kindSettings, kindIndex, kindMeta, kindValue, kindTrash, kindScrub, kindAudit, kindAuditHead, kindJournalHead:
		return true
	}
	return false
}

// writeSalvage creates the new vault in dst and imports the secrets.
func writeSalvage(ctx context.Context, dst string, passphrase []byte, kdf keyring.Params, set Settings, secrets []SecretData, history []storedEvent, r SalvageReport, opts Options) error {
	made := !exists(dst)
	v, err := Create(ctx, dst, passphrase, KDFParams(kdf), set, opts)
	if err != nil {
		return err
	}
	err = v.keepHistory(ctx, history)
	note := fmt.Sprintf("salvaged from %s: %d secrets saved, %d lost; %d audit events kept", r.Source, len(r.Saved), len(r.Lost), len(history))
	if !r.Audit.Intact {
		note += " (" + r.Audit.Problem + ")"
	}
	if err == nil && len(secrets) > 0 {
		_, err = v.Import(ctx, SecretsOf(secrets), ImportOptions{Note: note, salvage: true})
	}
	if cerr := v.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// A half-made salvage is no vault: remove what was made.
		os.RemoveAll(filepath.Join(dst, dbDir))
		os.Remove(filepath.Join(dst, headerFile))
		if made {
			os.Remove(dst)
		}
		return fmt.Errorf("write the salvaged vault: %w", err)
	}
	return nil
}

// keepHistory appends the old vault's surviving audit events to the new
// vault's log, after its init event, in their order: each keeps its time,
// actor, secret and note, and says which event of the old log it was. The
// new log is chained afresh; what the old one lost is said in the
// salvage's import event, which follows them.
func (v *Vault) keepHistory(ctx context.Context, events []storedEvent) error {
	const perTxn = 2000 // well within a Badger transaction
	for len(events) > 0 {
		n := min(len(events), perTxn)
		batch := events[:n]
		events = events[n:]
		err := v.write(ctx, func(tx *txn) error {
			h, err := tx.head()
			if err != nil {
				return err
			}
			for _, old := range batch {
				e := old.Event
				note := fmt.Sprintf("salvaged event %d", e.Seq)
				if e.Note != "" {
					note += ": " + e.Note
				}
				e.Seq, e.Note = h.Seq+1, note
				b, err := json.Marshal(storedEvent{Event: e, ID: old.ID, Prev: h.Hash})
				if err != nil {
					return err
				}
				k := eventKey(e.Seq)
				tx.set(k, tx.seal(kindAudit, k, b))
				h = auditHead{Seq: e.Seq, Hash: chainHash(h.Hash, b), State: true}
			}
			nh, _ := json.Marshal(h)
			tx.set([]byte{kindAuditHead}, tx.seal(kindAuditHead, []byte{kindAuditHead}, nh))
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// inside reports whether path is dir or lies under it.
func inside(dir, path string) bool {
	d, err1 := filepath.Abs(dir)
	p, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return true // unknown: refuse
	}
	rel, err := filepath.Rel(d, p)
	return err != nil || !(rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)))
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// emptyTarget refuses a target that exists and is not an empty directory:
// a salvage never writes over anything.
func emptyTarget(dst string) error {
	ents, err := os.ReadDir(dst)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: %s is not an empty directory", ErrExists, dst)
	}
	if len(ents) > 0 {
		return fmt.Errorf("%w: %s is not empty; salvage writes only into a new or empty directory", ErrExists, dst)
	}
	return nil
}

// shareLock takes the shared lock Badger's readers take on the store
// directory, so that no writer changes the files while they are read. It
// writes nothing.
func shareLock(dbdir string) (func(), error) {
	d, err := os.Open(dbdir)
	if err != nil {
		// No store: nothing but the header survived; that is for the
		// report, not an error.
		return func() {}, nil
	}
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		d.Close()
		return nil, fmt.Errorf("%w: %s", ErrBusy, lockHolder(dbdir))
	}
	return func() {
		syscall.Flock(int(d.Fd()), syscall.LOCK_UN)
		d.Close()
	}, nil
}

// Badger's entry flags (value.go in Badger, unexported there).
const (
	bitDelete       = 1 << 0
	bitValuePointer = 1 << 1
	bitTxn          = 1 << 6
	bitFinTxn       = 1 << 7
	logHeaderSize   = 20 // a log file's key id and IV
)

// rawEntry is the newest entry found for a key.
type rawEntry struct {
	ts      uint64
	deleted bool
	val     []byte
}

type rawStore struct {
	entries map[string]rawEntry
	damaged []string
	dir     string
}

func (s *rawStore) put(key []byte, meta byte, val []byte, file string) {
	ts := y.ParseTs(key)
	k := string(y.ParseKey(key))
	if len(k) == 0 {
		return
	}
	if old, ok := s.entries[k]; ok && old.ts >= ts {
		return
	}
	e := rawEntry{ts: ts, deleted: meta&bitDelete != 0}
	if !e.deleted {
		if meta&bitValuePointer != 0 {
			v, err := s.pointed(val)
			if err != nil {
				s.damaged = append(s.damaged, fmt.Sprintf("%s: a value in the value log: %v", file, err))
				return
			}
			val = v
		}
		e.val = bytes.Clone(val)
	}
	s.entries[k] = e
}

// pointed reads the value a value pointer (fid, len, offset, native
// order as Badger copies it) refers to.
func (s *rawStore) pointed(ptr []byte) ([]byte, error) {
	if len(ptr) < 12 {
		return nil, errors.New("bad value pointer")
	}
	fid := binary.LittleEndian.Uint32(ptr)
	n := binary.LittleEndian.Uint32(ptr[4:])
	off := binary.LittleEndian.Uint32(ptr[8:])
	name := filepath.Join(s.dir, fmt.Sprintf("%06d.vlog", fid))
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if uint64(off)+uint64(n) > uint64(len(b)) {
		return nil, errors.New("the value log is truncated")
	}
	e, _, err := parseLogEntry(b[off : off+n])
	if err != nil {
		return nil, err
	}
	return e.val, nil
}

// readStore reads every entry of the store in dbdir that can be read, and
// lists what could not.
func readStore(dbdir string) (map[string]rawEntry, []string) {
	s := &rawStore{entries: map[string]rawEntry{}, dir: dbdir}
	files, err := os.ReadDir(dbdir)
	if err != nil {
		return s.entries, []string{fmt.Sprintf("the store directory: %v", err)}
	}
	for _, f := range files {
		name := f.Name()
		path := filepath.Join(dbdir, name)
		switch filepath.Ext(name) {
		case ".sst":
			s.readTable(path)
		case ".mem":
			s.readLog(path)
		}
	}
	return s.entries, s.damaged
}

// readTable walks one table block by block: a block that fails its
// checksum is reported and skipped, and the walk goes on with the next.
func (s *rawStore) readTable(path string) {
	name := filepath.Base(path)
	defer func() {
		// Badger's table code panics on some malformed indexes.
		if p := recover(); p != nil {
			s.damaged = append(s.damaged, fmt.Sprintf("%s: unreadable table", name))
		}
	}()
	data, err := os.ReadFile(path)
	if err != nil {
		s.damaged = append(s.damaged, fmt.Sprintf("%s: %v", name, err))
		return
	}
	id, _ := table.ParseFileID(name)
	// In memory: no file handle, so nothing the table package does can
	// touch the file (its DecrRef deletes a file-backed table).
	t, err := table.OpenInMemoryTable(data, id, &table.Options{ChkMode: options.OnBlockRead, Compression: options.None})
	if err != nil {
		s.damaged = append(s.damaged, fmt.Sprintf("%s: unreadable table index (%v)", name, firstLine(err)))
		return
	}
	starts := t.KeySplits(1<<30, nil) // every block's first key: n splits, a step of oLen/n, at least 1
	if len(starts) == 0 {
		return
	}
	it := t.NewIterator(table.NOCACHE)
	defer it.Close()
	bad := 0
	for i, start := range starts {
		var next []byte
		if i+1 < len(starts) {
			next = []byte(starts[i+1])
		}
		it.Seek([]byte(start))
		if !it.Valid() || !bytes.Equal(it.Key(), []byte(start)) {
			// The seek landed past this block: it did not read.
			bad++
			continue
		}
		for ; it.Valid(); it.Next() {
			k := it.Key()
			if next != nil && y.CompareKeys(k, next) >= 0 {
				break
			}
			v := it.Value()
			s.put(k, v.Meta, v.Value, name)
		}
	}
	if bad > 0 {
		s.damaged = append(s.damaged, fmt.Sprintf("%s: %d of %d blocks unreadable", name, bad, len(starts)))
	}
}

// logEntry is one entry of a write-ahead or value log.
type logEntry struct {
	meta     byte
	key, val []byte
}

var errLogEnd = errors.New("end of log")

// parseLogEntry decodes the entry at the start of b and returns its size.
func parseLogEntry(b []byte) (logEntry, int, error) {
	if len(b) < 2 {
		return logEntry{}, 0, errLogEnd
	}
	meta := b[0]
	i := 2
	klen, n := binary.Uvarint(b[i:])
	if n <= 0 {
		return logEntry{}, 0, errLogEnd
	}
	i += n
	vlen, n := binary.Uvarint(b[i:])
	if n <= 0 {
		return logEntry{}, 0, errLogEnd
	}
	i += n
	_, n = binary.Uvarint(b[i:])
	if n <= 0 {
		return logEntry{}, 0, errLogEnd
	}
	i += n
	if klen == 0 {
		return logEntry{}, 0, errLogEnd // the zeroed rest of a log
	}
	end := uint64(i) + klen + vlen
	if end+4 > uint64(len(b)) {
		return logEntry{}, 0, errors.New("truncated entry")
	}
	sum := crc32.Checksum(b[:end], y.CastagnoliCrcTable)
	if sum != binary.BigEndian.Uint32(b[end:]) {
		return logEntry{}, 0, errors.New("checksum mismatch")
	}
	return logEntry{meta: meta, key: b[i : uint64(i)+klen], val: b[uint64(i)+klen : end]}, int(end + 4), nil
}

// readLog replays a write-ahead log as Badger would: the entries of each
// transaction count once its closing entry is read.
func (s *rawStore) readLog(path string) {
	name := filepath.Base(path)
	b, err := os.ReadFile(path)
	if err != nil {
		s.damaged = append(s.damaged, fmt.Sprintf("%s: %v", name, err))
		return
	}
	if len(b) < logHeaderSize {
		if len(b) > 0 {
			s.damaged = append(s.damaged, fmt.Sprintf("%s: truncated", name))
		}
		return
	}
	var pending []logEntry
	off := logHeaderSize
	for off < len(b) {
		e, n, err := parseLogEntry(b[off:])
		if errors.Is(err, errLogEnd) {
			break
		}
		if err != nil {
			// Nothing after a bad entry can be trusted to be framed right.
			s.damaged = append(s.damaged, fmt.Sprintf("%s: %v at offset %d; the rest of the log is lost", name, err, off))
			break
		}
		off += n
		switch {
		case e.meta&bitFinTxn != 0:
			for _, p := range pending {
				s.put(p.key, p.meta, p.val, name)
			}
			pending = pending[:0]
		case e.meta&bitTxn != 0:
			pending = append(pending, e)
		default:
			s.put(e.key, e.meta, e.val, name)
		}
	}
}

// auditState checks the chain of the events that survived.
func auditState(seqs []uint64, chain [][]byte, events map[uint64]storedEvent, head []salvageRec) SalvageAudit {
	a := SalvageAudit{Events: len(seqs)}
	var h auditHead
	if len(head) != 1 || json.Unmarshal(head[0].pt, &h) != nil {
		a.Problem = "the audit head was lost"
		return a
	}
	// seqs come sorted (the keys are big-endian sequence numbers).
	var prev []byte
	for i, seq := range seqs {
		if seq != uint64(i+1) {
			a.Problem = fmt.Sprintf("event %d was lost", i+1)
			return a
		}
		if !bytes.Equal(events[seq].Prev, prev) {
			a.Problem = fmt.Sprintf("event %d does not follow event %d", seq, seq-1)
			return a
		}
		prev = chainHash(prev, chain[i])
	}
	if h.Seq != uint64(len(seqs)) || !bytes.Equal(h.Hash, prev) {
		a.Problem = fmt.Sprintf("the newest events were lost (the head says %d, %d survived)", h.Seq, len(seqs))
		return a
	}
	a.Intact = true
	return a
}

// nameFromAudit returns the newest name the audit log gives the secret id.
func nameFromAudit(id []byte, seqs []uint64, events map[uint64]storedEvent) string {
	for i := len(seqs) - 1; i >= 0; i-- {
		if e := events[seqs[i]]; bytes.Equal(e.ID, id) && e.Secret != "" && ValidateName(e.Secret) == nil {
			return e.Secret
		}
	}
	return ""
}

func kindName(kind byte) string {
	switch kind {
	case kindSettings:
		return "settings"
	case kindIndex:
		return "name index"
	case kindMeta:
		return "secret metadata"
	case kindValue:
		return "value"
	case kindTrash:
		return "trash"
	case kindAudit, kindAuditHead:
		return "audit"
	case kindState:
		return "state commitment"
	}
	return "store"
}

// compactDamage counts repeated lines ("a value record does not
// authenticate" × 3) so that a badly damaged vault gives a short report.
func compactDamage(lines []string) []string {
	count := map[string]int{}
	var order []string
	for _, l := range lines {
		if count[l] == 0 {
			order = append(order, l)
		}
		count[l]++
	}
	out := make([]string, 0, len(order))
	for _, l := range order {
		if n := count[l]; n > 1 {
			l = fmt.Sprintf("%s (%d times)", l, n)
		}
		out = append(out, l)
	}
	return out
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
