package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// On disk a vault directory holds two things:
//
//	header   the keyring header (JSON): KDF parameters, salt, wrapped data key
//	db/      a Badger store whose keys are opaque and whose values are sealed
const (
	headerFile = "header"
	dbDir      = "db"
)

// Record kinds. The kind is the first byte of every Badger key and part of
// every record's associated data.
const (
	kindSettings  = 's' // "s": the vault settings
	kindIndex     = 'i' // "i" ‖ HMAC(name): the secret id
	kindMeta      = 'm' // "m" ‖ id: the Secret, without values
	kindValue     = 'v' // "v" ‖ id ‖ version: one version's value
	kindTrash     = 't' // "t" ‖ id: deletion time, to purge old trash cheaply
	kindScrub     = 'p' // "p" ‖ id: a purge whose compaction is still owed
	kindAudit     = 'a' // "a" ‖ seq: one audit event
	kindAuditHead = 'A' // "A": the newest event's seq and hash
)

const idSize = 16

func key(kind byte, parts ...[]byte) []byte {
	k := []byte{kind}
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

// badgerOptions sizes Badger for a vault of up to a few hundred thousand
// small records instead of its server defaults (64 MiB memtables, 256 MiB
// block cache, 1 GiB value log files).
func badgerOptions(dir string, log debugLog) badger.Options {
	return badger.DefaultOptions(dir).
		WithLogger(badgerLogger{log}).
		// An acknowledged write must survive kill -9 and power loss (security
		// invariant 5): updateLocked and batch call Sync after each commit,
		// except for the audit event of a read (see txn.lazy).
		WithSyncWrites(false).
		WithMemTableSize(8 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithBaseTableSize(2 << 20).
		WithBaseLevelSize(8 << 20).
		WithBlockCacheSize(8 << 20).
		WithIndexCacheSize(4 << 20).
		// Sealed records are already random: compression only costs time.
		WithCompression(options.None).
		// The AEAD authenticates every value, but not Badger's own block
		// structure: a damaged block must be an error, not a panic or a
		// silently missing key. Badger's iterators stop at a block that
		// fails its checksum without an error, so every table is checked
		// whole before Badger opens it (verifyTables, faults.go: Badger's
		// own OnTableRead skips a damaged table), and every block as it is
		// read.
		WithChecksumVerificationMode(options.OnBlockRead).
		WithVerifyValueChecksum(true).
		// Keep every value in the LSM tree, so that purging a secret and
		// compacting removes its records (security invariant 7); a sealed value is
		// at most 64 KiB plus overhead. This must stay below the batch size,
		// 15% of the memtable.
		WithValueThreshold(256 << 10).
		WithValueLogFileSize(4 << 20).
		WithNumCompactors(2).
		WithNumGoroutines(2).
		WithMetricsEnabled(false).
		WithNumVersionsToKeep(1).
		// A process that only reads and audits (a get) leaves a memtable
		// of one or two events, which Close flushes into a new level-0
		// table: one file per get, and every later open slower. Compacting
		// level 0 on close merges it into the tables below, so the count
		// stays put (TestGetLeavesNoTable). At 100k secrets a direct get
		// takes no measurably longer: the KDF dominates it.
		WithCompactL0OnClose(true)
}

// debugLog writes the store's diagnostics to Options.Log, and nowhere
// when that is nil: the vault never writes to the terminal, which may
// belong to the TUI. Diagnostics name files and errors, never a secret.
type debugLog struct{ w io.Writer }

func (l debugLog) printf(f string, a ...any) {
	if l.w != nil {
		fmt.Fprintf(l.w, "locket: debug: "+strings.TrimSuffix(f, "\n")+"\n", a...)
	}
}

// badgerLogger passes Badger's warnings and errors to the debug log.
type badgerLogger struct{ log debugLog }

func (b badgerLogger) Errorf(f string, a ...any)   { b.log.printf("badger error: "+f, a...) }
func (b badgerLogger) Warningf(f string, a ...any) { b.log.printf("badger warning: "+f, a...) }
func (badgerLogger) Infof(string, ...any)          {}
func (badgerLogger) Debugf(string, ...any)         {}

// checkDir refuses a vault directory that others can write to: they could
// swap files under us.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w at %s", ErrNoVault, dir)
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrNoVault, dir)
	}
	return checkPrivate(dir, fi)
}

// tightenFiles gives the store's files mode 0600 and its directories 0700.
// Badger creates its files 0666 less the umask and takes no mode, and
// setting the umask would change it for the whole process that embeds the
// vault. The vault directory (0700) already keeps others out while the
// store is open; this keeps copies of it (cp -a, a backup tool) private
// too. It runs after the store is opened and after it is closed.
func tightenFiles(dbdir string) {
	filepath.WalkDir(dbdir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a file compaction removed meanwhile
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm()&0o077 != 0 {
			os.Chmod(path, fi.Mode().Perm()&want)
		}
		return nil
	})
}

// openBadger opens the store, waiting with exponential back-off while
// another process holds the directory lock. Badger deletes the tables its
// MANIFEST does not name, even when it only reads, and skips a damaged
// one: the files are checked first (faults.go).
func openBadger(ctx context.Context, dir string, wait time.Duration, readOnly bool, log debugLog) (*badger.DB, error) {
	dbdir := filepath.Join(dir, dbDir)
	// A writer changes the files as it runs: check them only while none
	// holds the store.
	unlock, err := lockStore(ctx, dbdir, wait, false)
	if err != nil {
		return nil, err
	}
	orphans, err := checkFiles(dbdir)
	if err == nil {
		err = verifyTables(dbdir, orphans)
	}
	unlock()
	if err != nil {
		return nil, err
	}
	if len(orphans) > 0 {
		if readOnly {
			return nil, fmt.Errorf("%w: the MANIFEST does not name %s", errNeedsReplay, tableNames(orphans))
		}
		return nil, fmt.Errorf("%w: the MANIFEST does not name %s", ErrIntegrity, tableNames(orphans))
	}
	return openChecked(ctx, dir, wait, readOnly, log)
}

// openChecked is openBadger for a store whose files were just checked.
func openChecked(ctx context.Context, dir string, wait time.Duration, readOnly bool, log debugLog) (*badger.DB, error) {
	if !readOnly {
		// Badger writes to its files as it opens (see space.go).
		if err := checkSpace(dir, 0); err != nil {
			return nil, err
		}
	}
	// Badger has no read-only mode on Windows (ErrWindowsNotSupported):
	// there a reader opens the store as a writer does and takes its
	// exclusive lock, and the session stays read-only above it.
	opts := badgerOptions(filepath.Join(dir, dbDir), log).WithReadOnly(readOnly && runtime.GOOS != "windows")
	deadline := time.Now().Add(wait)
	delay := 20 * time.Millisecond
	repaired := false
	for {
		db, err := openDB(opts)
		if err == nil {
			if !readOnly {
				tightenFiles(opts.Dir)
			}
			return db, nil
		}
		if readOnly && emptyLog(err) {
			// The repair below removes a file: only a writer does it,
			// after its proof (faults.go).
			return nil, fmt.Errorf("%w: %v", errNeedsReplay, err)
		}
		if !repaired && emptyLog(err) {
			// A memtable or value log left empty by a kill, which Badger
			// refuses to open, readers and writers alike: a writer
			// removes it.
			repaired = true
			removeEmptyLogs(opts.Dir, log)
			continue
		}
		if readOnly && strings.Contains(err.Error(), "Log truncate required") {
			// A writer was killed: its write-ahead log needs replaying and
			// truncating, which Badger does only when it may write. The
			// caller opens as a writer, after its proof (faults.go).
			return nil, fmt.Errorf("%w: %v", errNeedsReplay, err)
		}
		// Badger's words for a held lock: its flock on Unix, its LOCK
		// file opened without sharing on Windows.
		if !strings.Contains(err.Error(), "Cannot acquire directory lock") &&
			!strings.Contains(err.Error(), "Another process is using this Badger database") {
			return nil, err
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return nil, fmt.Errorf("%w: %s", ErrBusy, lockHolder(filepath.Join(dir, dbDir)))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(delay, remaining)):
		}
		delay *= 2
	}
}

// lockStore takes the lock Badger takes on the store's directory, shared
// or exclusive, waiting with the same back-off as openBadger while another
// process holds it, so that the files can be checked (faults.go) while no
// writer changes them. A store not created yet needs no lock.
func lockStore(ctx context.Context, dbdir string, wait time.Duration, exclusive bool) (unlock func(), err error) {
	d, err := os.Open(dbdir)
	if errors.Is(err, fs.ErrNotExist) {
		return func() {}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	deadline := time.Now().Add(wait)
	delay := 20 * time.Millisecond
	for {
		if unlock, ok := tryLockDir(d, exclusive); ok {
			return func() { unlock(); d.Close() }, nil
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			d.Close()
			return nil, fmt.Errorf("%w: %s", ErrBusy, lockHolder(dbdir))
		}
		select {
		case <-ctx.Done():
			d.Close()
			return nil, ctx.Err()
		case <-time.After(min(delay, remaining)):
		}
		delay *= 2
	}
}

// emptyLog reports whether Badger refused to open a memtable or value log
// that a kill left empty (see removeEmptyLogs).
func emptyLog(err error) bool {
	msg := err.Error()
	return (strings.Contains(msg, "while opening memtables") || strings.Contains(msg, "db.vlog.open")) &&
		(strings.Contains(msg, "Create a new file") || strings.Contains(msg, "error while truncation"))
}

// removeEmptyLogs deletes zero-length memtable and value logs. Badger
// creates such a log and sizes it in two steps; a kill between them leaves
// an empty file that Badger then refuses to open ("Create a new file"),
// which would lock the user out of an intact vault. An empty log holds no
// write, so removing it loses nothing. It runs only while holding the directory
// lock Badger uses, so it never touches a live process's file.
func removeEmptyLogs(dbdir string, log debugLog) {
	d, err := os.Open(dbdir)
	if err != nil {
		return
	}
	defer d.Close()
	unlock, ok := tryLockDir(d, true)
	if !ok {
		return // a live process holds the store: its logs are not ours
	}
	defer unlock()
	var logs []string
	for _, pattern := range []string{"*.mem", "*.vlog"} {
		found, _ := filepath.Glob(filepath.Join(dbdir, pattern)) // the patterns are valid
		logs = append(logs, found...)
	}
	for _, l := range logs {
		if fi, err := os.Stat(l); err == nil && fi.Size() == 0 {
			err := os.Remove(l)
			log.printf("removed empty log %s: %v", l, err)
		}
	}
}

// lockHolder describes the process named in Badger's LOCK file. Readers
// do not write that file, so without it the holder is looked up among the
// kernel's flock locks on the directory.
func lockHolder(dbdir string) string {
	pid := 0
	if b, err := os.ReadFile(filepath.Join(dbdir, "LOCK")); err == nil {
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if pid <= 0 {
		pid = flockHolder(dbdir)
	}
	if pid <= 0 {
		return "held by another process"
	}
	cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(cmd) == 0 {
		return fmt.Sprintf("held by process %d", pid)
	}
	args := strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
	args[0] = filepath.Base(args[0])
	if len(args) > 3 {
		args = args[:3]
	}
	return fmt.Sprintf("held by process %d (%s)", pid, Sanitize(strings.Join(args, " ")))
}

// writeFileAtomic writes data to path through a synced temporary file and
// a rename, so that a crash leaves either the old or the new file.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}
