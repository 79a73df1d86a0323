package backup

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"locket/vault"
)

// WriteFile writes the file path whole or not at all: fn writes to a
// temporary file with mode 0600 in the same directory, which is synced
// and renamed into place only when fn has written all of it, so that a
// failure never leaves half a file under the final name.
func WriteFile(path string, fn func(io.Writer) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 256<<10)
	if err := fn(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	// The rename is durable only once the directory is synced.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// ExportNote is the audit note of an export to the file path.
func ExportNote(path string) string {
	return "backup to " + filepath.Base(path)
}

// ImportNote is the audit note of importing b, read from the file path.
func (b *Backup) ImportNote(path string) string {
	note := "backup " + filepath.Base(path)
	if b.SourceVault != "" {
		note += " of vault " + b.SourceVault
	}
	return note
}

// PlanCounts is an import plan in one line. notRead counts the entries an
// importer left out, which are skipped too.
func PlanCounts(r vault.ImportReport, notRead int) string {
	return strings.Join([]string{
		fmt.Sprintf("%d new", r.Count(vault.ActionNew)),
		fmt.Sprintf("%d with new versions", r.Count(vault.ActionNewVersions)),
		fmt.Sprintf("%d identical", r.Count(vault.ActionIdentical)),
		fmt.Sprintf("%d conflicting", r.Count(vault.ActionConflict)),
		fmt.Sprintf("%d skipped", r.Count(vault.ActionSkipped)+notRead),
	}, ", ")
}
