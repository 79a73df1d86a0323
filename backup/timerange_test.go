package backup

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestBackupTimeOutOfRange: a backup whose times the vault cannot store
// (year 2999 would become 1829) is refused when it is read, by verify as
// by import.
func TestBackupTimeOutOfRange(t *testing.T) {
	doc, err := os.ReadFile("testdata/format1.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Unmarshal(doc); err != nil {
		t.Fatalf("the sample backup: %v", err)
	}
	bad := bytes.Replace(doc, []byte(`"created": "2026-01-05T09:00:00Z"`), []byte(`"created": "2999-01-05T09:00:00Z"`), 1)
	if bytes.Equal(bad, doc) {
		t.Fatal("the sample changed: no time to replace")
	}
	if _, err := Unmarshal(bad); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("a backup from 2999: %v, want out of range", err)
	}
}
