package vault

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tables counts the store's table files.
func tables(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, dbDir))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sst") {
			n++
		}
	}
	return n
}

// A get in its own process opens, audits and closes the vault. Each close
// used to flush the audit event's memtable into a new table file, so the
// store grew by one file per get and every open got slower.
func TestGetLeavesNoTable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v := newVault(t, DefaultSettings(), nil)
	for i := range 300 {
		mustPut(t, v, fmt.Sprintf("svc%d/key", i), "value", PutOptions{})
	}
	dir := v.dir
	v = reopen(t, v, Options{})
	v.Close()
	before := tables(t, dir)
	for range 20 {
		v := reopen(t, v, Options{})
		if _, _, err := v.Get(ctx, "svc7/key", 0, OpGet); err != nil {
			t.Fatal(err)
		}
		if err := v.Close(); err != nil {
			t.Fatal(err)
		}
	}
	after := tables(t, dir)
	t.Logf("tables before %d, after 20 gets %d", before, after)
	if after > before+2 {
		t.Errorf("20 gets left %d table files, was %d", after, before)
	}
}
