package vault

// A full disk (security invariant 10). Badger writes its logs and tables
// through memory-mapped files that it sizes up front: when the disk
// fills, a store in the page of such a file is not an error but a
// SIGBUS that kills the process, possibly after a write was reported
// done. So every write, and every open for writing, first makes sure the
// file system has room for the most Badger may claim before the next
// check: two write-ahead logs, a value log pair and a flushed table. A
// refusal writes nothing, and the vault stays readable (read-only opens
// create no file).

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"
)

// ErrNoSpace: the file system lacks room for a write; nothing was written.
var ErrNoSpace = syscall.ENOSPC

// spaceReserve is what Badger may claim on disk at once, from the options
// in store.go.
func spaceReserve() uint64 {
	o := badgerOptions("", debugLog{})
	return uint64(o.NumMemtables)*2*uint64(o.MemTableSize) + 2*uint64(o.ValueLogFileSize) + uint64(o.MemTableSize)
}

// statfs is the file system's free space for an unprivileged writer;
// tests replace it.
var statfs = diskFree

// checkSpace refuses a write of about need bytes to the vault in dir when
// the file system could not hold it with Badger's reserve.
func checkSpace(dir string, need uint64) error {
	free, err := statfs(dir)
	if err != nil {
		// Cannot tell (an unusual file system): let the write try.
		return nil
	}
	if want := spaceReserve() + need; free < want {
		return fmt.Errorf("%w: %s free where the vault needs %s to write safely; nothing was changed", ErrNoSpace, mib(free), mib(want))
	}
	return nil
}

// storeSize is the space the vault's files take, which a rekey needs once
// more.
func storeSize(dir string) uint64 {
	var n uint64
	filepath.WalkDir(filepath.Join(dir, dbDir), func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if fi, err := d.Info(); err == nil && fi.Mode().IsRegular() {
			n += diskUsage(fi)
		}
		return nil
	})
	return n
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
