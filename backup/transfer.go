package backup

import (
	"context"
	"fmt"
	"io"

	"filippo.io/age"

	"locket/vault"
)

// The export and the restore of a backup, as `locket backup` and the TUI
// both run them: the two front ends only gather the choices and report.

// ExportOptions say what an export holds and whom it is encrypted to.
type ExportOptions struct {
	// Prefix and Tags choose the secrets (see vault.SnapshotOptions).
	Prefix string
	Tags   map[string]string
	// Recipients can decrypt the backup (a passphrase is a recipient too).
	Recipients []age.Recipient
	// Armor writes PEM-like text instead of binary.
	Armor bool
	// Note goes into the export's audit event (see ExportNote).
	Note string
	// Passphrase is the vault's: an export of the whole vault (no prefix,
	// no tags) asks for it (vault.SnapshotOptions).
	Passphrase []byte
	// Progress, when set, is told how many bytes are written of about how
	// many. It runs on the exporting goroutine and must not block.
	Progress func(written, estimate int64)
}

// ExportResult counts what an export wrote.
type ExportResult struct {
	Secrets, Versions int
}

// Export writes a backup of v's chosen secrets to w, encrypted. It fails
// with ErrNoSecrets, before writing anything, when none is chosen. The
// snapshot's values are wiped from memory once written.
func Export(ctx context.Context, v vault.Service, w io.Writer, o ExportOptions) (ExportResult, error) {
	b, err := Snapshot(ctx, v, vault.SnapshotOptions{Prefix: o.Prefix, Tags: o.Tags, Note: o.Note, Passphrase: o.Passphrase})
	if err != nil {
		return ExportResult{}, err
	}
	defer b.Wipe()
	estimate, versions := estimateSize(b, o.Armor)
	if o.Progress != nil {
		w = &countingWriter{w: w, report: func(n int64) { o.Progress(n, estimate) }}
	}
	if err := Encrypt(w, b, o.Recipients, o.Armor); err != nil {
		return ExportResult{}, err
	}
	return ExportResult{Secrets: len(b.Secrets), Versions: versions}, nil
}

// Whole reports whether o exports the whole vault: no prefix, no tag.
func (o ExportOptions) Whole() bool { return o.Prefix == "" && len(o.Tags) == 0 }

// Exported records, once a backup file of the whole vault is written
// whole, that it was: check's backup reminder (the backup-every setting)
// counts from then. An export of part of the vault records nothing: it
// would not restore the rest.
func Exported(ctx context.Context, v vault.Service, o ExportOptions) error {
	if !o.Whole() {
		return nil
	}
	if err := v.RecordBackup(ctx); err != nil {
		return fmt.Errorf("the backup is written, but recording it for the backup reminder failed: %w", err)
	}
	return nil
}

// estimateSize guesses the size of the encrypted file, for a progress
// bar: values grow by a third in base64, each version and secret adds
// its metadata, armor adds another third.
func estimateSize(b *Backup, armored bool) (size int64, versions int) {
	for _, sd := range b.Secrets {
		size += 256
		for _, v := range sd.Values {
			size += int64(len(v))*4/3 + 192
			versions++
		}
	}
	if armored {
		size = size * 4 / 3
	}
	return size, versions
}

// countingWriter reports how much has been written.
type countingWriter struct {
	w      io.Writer
	n      int64
	report func(int64)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.report(c.n)
	return n, err
}

// RestoreOptions say how a backup is imported.
type RestoreOptions struct {
	OnConflict vault.OnConflict
	// DryRun computes the plan and changes nothing.
	DryRun bool
	// Settings also replaces the vault settings with the backup's.
	Settings bool
	// Progress, when set, receives the import's progress (see
	// vault.ImportOptions).
	Progress chan<- vault.ImportProgress
}

// Restore imports the backup rd, read from the file path, into v all or
// nothing, a secret at a time, and returns the plan (applied unless
// DryRun). Its audit event names the file and the vault the backup came
// from.
func Restore(ctx context.Context, v vault.Service, rd *Reader, path string, o RestoreOptions) (vault.ImportReport, error) {
	opts := vault.ImportOptions{OnConflict: o.OnConflict, DryRun: o.DryRun, Note: rd.Head().ImportNote(path), Expect: rd.count(), Progress: o.Progress}
	if o.Settings {
		set, err := rd.RestoreSettings()
		if err != nil {
			return vault.ImportReport{}, err
		}
		opts.Settings = set
	}
	return v.Import(ctx, rd.Secrets(), opts)
}
