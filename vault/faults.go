package vault

// Faults of the disk (security invariants 11 and 12).
//
// Badger repairs what it finds as it opens a store for writing: it
// truncates a write-ahead log (.mem) at its first bad entry, truncates a
// MANIFEST at its first partial change, deletes every table the MANIFEST
// does not name (even when opened read-only), and starts compacting at
// once, and its iterators stop at a block that fails its checksum without
// an error. On a damaged disk each of those turns a small fault into the
// loss of every secret. So before Badger may open a store to write,
// preflight proves, without changing a file, that
//
//   - the MANIFEST names exactly the tables on disk (checkFiles), so that
//     Badger has nothing to delete;
//   - every table reads back whole: every block's checksum holds
//     (verifyTables; Badger itself then checks each block it reads);
//   - the state commitment recomputed from every record matches, and the
//     state is not older than this machine's rollback anchor (seen.go),
//     which every acknowledged change advances: an acknowledged write lost
//     with a damaged write-ahead log shows as a rollback.
//
// The proof runs on a scratch copy of the store in the vault directory,
// opened for writing as the store will be: the tables hard-linked (Badger
// never writes to a table), the logs and the MANIFEST copied. So the
// replay of a write-ahead log a crash left, and whatever Badger's
// writable open does to a damaged log, happen to the copy first. The
// copy goes when the proof is done.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/ristretto/v2/z"

	"locket/keyring"
)

// RecoveryHint names the way out of a damaged vault. Every front end puts
// it after an integrity error, and verify after its findings.
const RecoveryHint = "run 'locket salvage --to NEWDIR' or restore your newest backup (docs/recovery.md)"

// errNeedsReplay is what a read-only open of a store gets when a crash
// left a write-ahead log that only a writer may replay.
var errNeedsReplay = errors.New("the store's write-ahead log needs replaying")

// orphanDir is where tables that the MANIFEST does not name are kept,
// instead of letting Badger delete them.
const orphanDir = "orphans"

// checkFiles compares the store's MANIFEST with the tables in its
// directory, before Badger sees either. It returns the tables the MANIFEST
// does not name, which Badger would delete; a crash between writing a
// table and naming it leaves one, and so does an older MANIFEST put back.
// A MANIFEST that is missing, unreadable, or cut short while tables are
// unnamed is an integrity error naming it.
func checkFiles(dbdir string) (orphans []uint64, err error) {
	entries, err := os.ReadDir(dbdir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read store: %w", err)
	}
	tables := map[uint64]bool{}
	used := false // the store holds data, so it must have a MANIFEST
	for _, e := range entries {
		name := e.Name()
		if id, ok := table.ParseFileID(name); ok {
			tables[id] = true
			used = true
		}
		if strings.HasSuffix(name, ".mem") || strings.HasSuffix(name, ".vlog") {
			if fi, err := e.Info(); err == nil && fi.Size() > 0 {
				used = true
			}
		}
	}
	manifest := filepath.Join(dbdir, badger.ManifestFilename)
	fp, err := os.Open(manifest)
	if errors.Is(err, fs.ErrNotExist) {
		if !used {
			return nil, nil // a new store: Badger creates its MANIFEST
		}
		return nil, fmt.Errorf("%w: %s is missing: the store cannot be opened without it", ErrIntegrity, manifest)
	}
	if err != nil {
		return nil, fmt.Errorf("read store: %w", err)
	}
	defer fp.Close()
	fi, err := fp.Stat()
	if err != nil {
		return nil, fmt.Errorf("read store: %w", err)
	}
	mf, end, err := badger.ReplayManifestFile(fp, 0, badgerOptions(dbdir, debugLog{}))
	if err != nil {
		return nil, fmt.Errorf("%w: %s is damaged: %v", ErrIntegrity, manifest, err)
	}
	var missing []string
	for id := range mf.Tables {
		if !tables[id] {
			missing = append(missing, table.IDToFilename(id))
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("%w: %s names tables that are missing: %s", ErrIntegrity, manifest, strings.Join(missing, ", "))
	}
	for id := range tables {
		if _, ok := mf.Tables[id]; !ok {
			orphans = append(orphans, id)
		}
	}
	slices.Sort(orphans)
	if len(orphans) > 0 && end < fi.Size() {
		// A cut-off change names no table: a torn last write, or damage
		// that hides the tables written after it.
		return nil, fmt.Errorf("%w: %s is damaged (it ends in a partial change) and does not name %s", ErrIntegrity, manifest, tableNames(orphans))
	}
	return orphans, nil
}

// renamedError is an error with another text.
type renamedError struct {
	msg string
	err error
}

func (e *renamedError) Error() string { return e.msg }
func (e *renamedError) Unwrap() error { return e.err }

// verifyTables reads every block of every table in dbdir and checks its
// checksum, before Badger opens them. Badger cannot be left to do it: it
// skips a table whose checksum fails as it opens it ("Ignoring table"),
// and its check panics in a goroutine of its own on a damaged block. A
// damaged table is an integrity error that names it.
// The tables in skip, which the MANIFEST does not name, are not checked:
// Badger never reads them.
func verifyTables(dbdir string, skip []uint64) error {
	names, err := filepath.Glob(filepath.Join(dbdir, "*.sst"))
	if err != nil {
		return err
	}
	for _, name := range names {
		if id, ok := table.ParseFileID(name); ok && slices.Contains(skip, id) {
			continue
		}
		if err := verifyTable(name); err != nil {
			return fmt.Errorf("%w: %s is damaged: %v", ErrIntegrity, name, err)
		}
	}
	return nil
}

func verifyTable(name string) (err error) {
	mf, err := z.OpenMmapFile(name, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer func() {
		// Close, never DecrRef: a table's last reference deletes its file.
		mf.Close(-1)
		// Badger panics on a table whose index cannot be decoded, with a
		// dump of the table's bytes as the message: that belongs to no
		// one-line error, so the fault is named, not quoted.
		if recover() != nil {
			err = errors.New("its index or a block fails its checksum")
		}
	}()
	_, err = table.OpenTable(mf, table.Options{ChkMode: options.OnTableRead, Compression: options.None})
	return err
}

func tableNames(ids []uint64) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = table.IDToFilename(id)
	}
	return strings.Join(names, ", ")
}

// storeError turns an error of Badger's open into an integrity error, but
// for the faults of the machine rather than of the store's files.
func storeError(err error) error {
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.ENOMEM) {
		return fmt.Errorf("open store: %w", err)
	}
	return fmt.Errorf("%w: the store cannot be read: %v", ErrIntegrity, err)
}

// preflight proves that the store in dir may be opened for writing (see
// the top of this file), and returns the commitment it checked, or nil
// when the store has none to check yet (a vault older than commitments,
// or an import or rekey a crash interrupted: openState checks those after
// finishing them). It changes no file of the store.
func preflight(ctx context.Context, dir string, kr *keyring.Keyring, opts Options) (*commitment, error) {
	dbdir := filepath.Join(dir, dbDir)
	// No writer may change the files while they are checked and copied.
	unlock, err := lockStore(ctx, dbdir, opts.Wait, true)
	if err != nil {
		return nil, err
	}
	orphans, err := checkFiles(dbdir)
	if err == nil {
		err = verifyTables(dbdir, orphans)
	}
	scratch := ""
	if err == nil {
		scratch, err = scratchCopy(dir, orphans)
	}
	unlock()
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)
	log := debugLog{opts.Log}
	db, err := openDB(badgerOptions(filepath.Join(scratch, dbDir), log).
		WithNumCompactors(0).
		WithCompactL0OnClose(false))
	if err != nil {
		// Name the vault's files, not the scratch copy's.
		return nil, &renamedError{strings.ReplaceAll(err.Error(), scratch, dir), err}
	}
	p := &Vault{dir: dir, db: db, kr: kr, readOnly: true, now: opts.Now, stateDir: opts.StateDir, log: log}
	head, err := p.prove(ctx, opts.AcceptRollback)
	if cerr := db.Close(); err == nil && cerr != nil {
		err = storeError(cerr)
	}
	if err != nil {
		return nil, &renamedError{strings.ReplaceAll(err.Error(), scratch, dir), err}
	}
	if len(orphans) > 0 {
		// The store is proved whole without them: keep them out of
		// Badger's reach rather than let it delete them.
		unlock, err := lockStore(ctx, dbdir, opts.Wait, true)
		if err != nil {
			return nil, err
		}
		err = keepOrphans(dir, orphans)
		unlock()
		if err != nil {
			return nil, err
		}
		log.printf("kept tables the MANIFEST does not name in %s: %s", filepath.Join(dir, orphanDir), tableNames(orphans))
	}
	return head, nil
}

// openDB is badger.Open with a fault of a memory-mapped file (a file
// shorter than Badger believes) turned into an integrity error rather
// than the end of the process.
func openDB(opts badger.Options) (db *badger.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("%w: the store in %s cannot be read: %v", ErrIntegrity, opts.Dir, r)
		}
	}()
	db, err = badger.Open(opts)
	if err != nil {
		err = storeError(err)
	}
	return db, err
}

// prove runs preflight's checks on p, a read-only session over a store.
func (p *Vault) prove(ctx context.Context, accept bool) (*commitment, error) {
	if pending, err := p.pendingRekey(); err != nil || pending {
		return nil, err
	}
	var head *commitment
	journal := false
	err := p.view(func(tx *txn) error {
		var err error
		head, err = tx.stateHead()
		if errors.Is(err, ErrNotFound) {
			head, err = nil, nil
		}
		if _, jerr := tx.tx.Get([]byte{kindJournalHead}); jerr == nil {
			journal = true
		}
		return err
	})
	if err != nil || journal || head != nil && head.journal != nil {
		return nil, err
	}
	if head == nil {
		// A vault older than commitments gets one at this open; any other
		// vault without one lost it (openLegacy says the same, later).
		seen, err := p.loadSeen()
		if err != nil && !accept {
			return nil, err
		}
		marked := false
		err = p.view(func(tx *txn) error {
			h, err := tx.head()
			marked = h.State
			return err
		})
		if err != nil {
			return nil, err
		}
		if marked || seen > 0 {
			return nil, fmt.Errorf("%w: the state commitment is missing", ErrIntegrity)
		}
		return nil, nil
	}
	p.stateOn = true
	if _, err := p.checkSeen(head.counter, accept); err != nil {
		return nil, err
	}
	if err := p.view(func(tx *txn) error { return tx.checkAll(ctx) }); err != nil {
		return nil, err
	}
	return head, nil
}

// scratchCopy makes the copy of the store that preflight opens when the
// store itself cannot be opened read-only. Tables are hard-linked, or
// copied on a file system without links; everything else is copied,
// since Badger writes to it. Tables in skip are left out.
func scratchCopy(dir string, skip []uint64) (string, error) {
	scratch, err := os.MkdirTemp(dir, ".check-")
	if err != nil {
		return "", fmt.Errorf("check store: %w", err)
	}
	fail := func(err error) (string, error) {
		os.RemoveAll(scratch)
		return "", fmt.Errorf("check store: %w", err)
	}
	src, dst := filepath.Join(dir, dbDir), filepath.Join(scratch, dbDir)
	if err := os.Mkdir(dst, 0o700); err != nil {
		return fail(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return fail(err)
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || name == "LOCK" {
			continue
		}
		from, to := filepath.Join(src, name), filepath.Join(dst, name)
		if id, ok := table.ParseFileID(name); ok {
			if slices.Contains(skip, id) {
				continue
			}
			if os.Link(from, to) == nil {
				continue
			}
		}
		if fi, err := e.Info(); err == nil && fi.Size() == 0 && (strings.HasSuffix(name, ".mem") || strings.HasSuffix(name, ".vlog")) {
			continue // see removeEmptyLogs
		}
		if err := copyFile(from, to); err != nil {
			return fail(err)
		}
	}
	return scratch, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// keepOrphans moves tables the MANIFEST does not name to the vault's
// orphans directory, where Badger does not look and locket deletes
// nothing.
// The caller holds the store's lock: the tables are still unnamed only if
// no writer ran since they were found, which keepOrphans checks.
func keepOrphans(dir string, ids []uint64) error {
	now, err := checkFiles(filepath.Join(dir, dbDir))
	if err != nil {
		return err
	}
	if !slices.Equal(now, ids) {
		return fmt.Errorf("%w: the store changed while it was checked", ErrBusy)
	}
	to := filepath.Join(dir, orphanDir)
	if err := os.MkdirAll(to, 0o700); err != nil {
		return fmt.Errorf("keep unnamed tables: %w", err)
	}
	for _, id := range ids {
		name := table.IDToFilename(id)
		// Badger may reuse the id of a table it never named: never
		// replace one kept before.
		dst := filepath.Join(to, name)
		for n := 1; ; n++ {
			if _, err := os.Lstat(dst); errors.Is(err, fs.ErrNotExist) {
				break
			}
			dst = filepath.Join(to, fmt.Sprintf("%s.%d", name, n))
		}
		if err := os.Rename(filepath.Join(dir, dbDir, name), dst); err != nil {
			return fmt.Errorf("keep unnamed tables: %w", err)
		}
	}
	return nil
}
