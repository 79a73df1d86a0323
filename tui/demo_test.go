package tui

import (
	"context"
	"testing"

	"locket/vault"
)

// TestSeedDemoCoversEveryStatus checks that the demo shows what a
// newcomer should see: every status, the trash and several versions.
func TestSeedDemoCoversEveryStatus(t *testing.T) {
	t.Parallel()
	v := shared(t)
	live, err := v.List(context.Background(), vault.ListOptions{At: testNow})
	if err != nil {
		t.Fatal(err)
	}
	trash, err := v.List(context.Background(), vault.ListOptions{Deleted: true, At: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(live) + len(trash); n < 35 || n > 45 {
		t.Errorf("the demo has %d secrets, want about 40", n)
	}
	if len(trash) == 0 {
		t.Error("the demo trash is empty")
	}
	seen := map[vault.Status]int{}
	multi := 0
	set, err := v.Settings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range live {
		seen[s.Status(testNow, set)]++
		if len(s.Versions) > 1 {
			multi++
		}
		if len(s.Tags) == 0 {
			t.Errorf("%s has no tags", s.Name)
		}
	}
	for _, st := range vault.Statuses {
		if seen[st] == 0 {
			t.Errorf("no demo secret is %s", st)
		}
	}
	if multi < 3 {
		t.Errorf("only %d demo secrets have several versions", multi)
	}
}
