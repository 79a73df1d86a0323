package backup

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"filippo.io/age"

	"locket/vault"
)

// TestExportRestore runs the export and the restore that the CLI and the
// TUI share: a plan first, then the import, with progress to the end.
func TestExportRestore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := sourceVault(t)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	var written, estimate int64
	res, err := Export(ctx, src, &buf, ExportOptions{
		Prefix:     "shared/",
		Recipients: []age.Recipient{id.Recipient()},
		Note:       ExportNote("team.age"),
		Progress:   func(n, e int64) { written, estimate = n, e },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Secrets == 0 || res.Versions < res.Secrets || written != int64(buf.Len()) || estimate <= 0 {
		t.Fatalf("export: %+v, %d bytes reported of %d written (estimate %d)", res, written, buf.Len(), estimate)
	}
	if _, err := Export(ctx, src, &bytes.Buffer{}, ExportOptions{Prefix: "none/", Recipients: []age.Recipient{id.Recipient()}}); !errors.Is(err, ErrNoSecrets) {
		t.Fatalf("export of nothing: %v, want ErrNoSecrets", err)
	}

	b, err := Decrypt(bytes.NewReader(buf.Bytes()), func(bool) ([]age.Identity, error) { return []age.Identity{id}, nil })
	if err != nil {
		t.Fatal(err)
	}
	dst := newVault(t, vault.DefaultSettings())
	plan, err := Restore(ctx, dst, ReaderOf(b), "team.age", RestoreOptions{DryRun: true})
	if err != nil || plan.Applied || plan.Count(vault.ActionNew) != res.Secrets {
		t.Fatalf("plan: %+v, %v", plan, err)
	}
	progress := make(chan vault.ImportProgress)
	var last vault.ImportProgress
	read := make(chan struct{})
	go func() {
		defer close(read)
		for p := range progress {
			last = p
		}
	}()
	rep, err := Restore(ctx, dst, ReaderOf(b), "team.age", RestoreOptions{Settings: true, Progress: progress})
	close(progress)
	<-read
	if err != nil || !rep.Applied || !rep.Settings {
		t.Fatalf("restore: %+v, %v", rep, err)
	}
	if last.Total == 0 || last.Done != last.Total {
		t.Fatalf("progress ended at %+v", last)
	}
	if got := mustSettings(t, dst).Retention; got != 30*vault.Day {
		t.Fatalf("restored retention %v", got)
	}
	events, err := dst.Audit(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if e := events[len(events)-1]; e.Op != vault.OpImport || !bytes.Contains([]byte(e.Note), []byte("backup team.age of vault "+mustInfo(t, src).ID)) {
		t.Fatalf("audit event %+v", e)
	}
	b.Settings = nil
	if _, err := Restore(ctx, dst, ReaderOf(b), "team.age", RestoreOptions{Settings: true}); !errors.Is(err, ErrNoSettings) {
		t.Fatalf("restoring missing settings: %v, want ErrNoSettings", err)
	}
}
