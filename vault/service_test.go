package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCloseWithCallsInFlight races reads against Close: every call either
// succeeds or fails with ErrClosed, never panics, and Close returns once
// they are done. Run it with -race.
func TestCloseWithCallsInFlight(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v := newVault(t, DefaultSettings(), newClock())
	for i := range 200 {
		mustPut(t, v, fmt.Sprintf("app/s%03d", i), fmt.Sprintf("value-%d-Zq8#kT", i), PutOptions{})
	}
	dir := v.dir
	for round := range 4 {
		if round > 0 {
			var err error
			if v, err = Open(ctx, dir, testPass, Options{Actor: "tester@host"}); err != nil {
				t.Fatal(err)
			}
		}
		calls := []func() error{
			func() error { _, err := v.List(ctx, ListOptions{}); return err },
			func() error { _, _, err := v.Get(ctx, "app/s007", 0, OpGet); return err },
			func() error { _, err := v.Check(ctx, v.now()); return err },
			func() error { _, err := v.Timeline(ctx, "app/s042"); return err },
			func() error { _, err := v.Secret(ctx, "app/s100"); return err },
			func() error { _, err := v.Put(ctx, "app/new", []byte("x"), PutOptions{}); return err },
		}
		var (
			wg      sync.WaitGroup
			started sync.WaitGroup
			mu      sync.Mutex
			bad     []error
		)
		for _, call := range calls {
			wg.Add(1)
			started.Add(1)
			go func() {
				defer wg.Done()
				first := true
				for {
					err := call()
					if first {
						// Close only once every kind of call has run.
						started.Done()
						first = false
					}
					if errors.Is(err, ErrClosed) {
						return
					}
					if err != nil {
						mu.Lock()
						bad = append(bad, err)
						mu.Unlock()
						return
					}
				}
			}()
		}
		started.Wait()
		if err := v.Close(); err != nil {
			t.Fatalf("round %d: close: %v", round, err)
		}
		wg.Wait()
		for _, err := range bad {
			t.Errorf("round %d: a call racing Close failed with %v, want success or ErrClosed", round, err)
		}
		if _, err := v.List(ctx, ListOptions{}); !errors.Is(err, ErrClosed) {
			t.Fatalf("round %d: list after close: %v, want ErrClosed", round, err)
		}
		if err := v.Close(); err != nil {
			t.Fatalf("round %d: second close: %v", round, err)
		}
	}
}

func TestPutModes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v := newVault(t, DefaultSettings(), newClock())
	if _, err := v.Put(ctx, "a", []byte("1"), PutOptions{Mode: PutExisting}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("existing-only put of a new name: %v, want ErrNotFound", err)
	}
	mustPut(t, v, "a", "1", PutOptions{Mode: PutCreate})
	if _, err := v.Put(ctx, "a", []byte("2"), PutOptions{Mode: PutCreate}); !errors.Is(err, ErrExists) {
		t.Fatalf("create-only put of an existing name: %v, want ErrExists", err)
	}
	if ver := mustPut(t, v, "a", "2", PutOptions{Mode: PutExisting}); ver.Number != 2 {
		t.Fatalf("existing-only put: version %d, want 2", ver.Number)
	}
	if _, err := v.Put(ctx, "a", []byte("3"), PutOptions{Op: OpGet}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("put audited as get: %v, want ErrInvalid", err)
	}
	if _, _, err := v.Get(ctx, "a", 0, OpSet); !errors.Is(err, ErrInvalid) {
		t.Fatalf("get for the purpose set: %v, want ErrInvalid", err)
	}
}

// TestTimelineLeavesOutReads: a value shown in the TUI (reveal) is a
// read, so it neither appears in the timeline nor replaces the operation
// that wrote the version.
func TestTimelineLeavesOutReads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v := newVault(t, DefaultSettings(), newClock())
	mustPut(t, v, "a", "1", PutOptions{})
	for _, op := range []Op{OpReveal, OpCopy, OpGet} {
		if _, _, err := v.Get(ctx, "a", 1, op); err != nil {
			t.Fatal(err)
		}
	}
	tl, err := v.Timeline(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != 1 || tl[0].Kind != "version" || tl[0].Op != OpSet {
		t.Fatalf("timeline %+v, want version 1 written by set", tl)
	}
}

// TestGetForNamesTheRecipient: a value handed on to another program is
// one event with the operation and the recipient, and no value.
func TestGetForNamesTheRecipient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v := newVault(t, DefaultSettings(), newClock())
	mustPut(t, v, "a", "canary-value", PutOptions{})
	for _, c := range []struct {
		op Op
		to string
	}{{OpRun, "psql"}, {OpInject, "config.yml"}, {OpGitCredential, "github.com"}} {
		if val, _, err := v.GetFor(ctx, "a", 0, c.op, c.to); err != nil || string(val) != "canary-value" {
			t.Fatalf("GetFor %s: %q, %v", c.op, val, err)
		}
	}
	events, err := v.Audit(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, e := range events[1:] {
		got += fmt.Sprintf("%s>%s ", e.Op, e.To)
	}
	if want := "run>psql inject>config.yml git-credential>github.com "; got != want {
		t.Fatalf("events %q, want %q", got, want)
	}
	b, _ := json.Marshal(events)
	if strings.Contains(string(b), "canary") {
		t.Fatal("an audit event holds the value")
	}
}

func TestCodesRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range codes {
		err := fmt.Errorf("%w: %q", c.err, "x")
		code := Code(err)
		if code != c.code {
			t.Errorf("Code(%v) = %q, want %q", err, code, c.code)
		}
		back := ErrorFromCode(code, err.Error())
		if !errors.Is(back, c.err) || back.Error() != err.Error() || Code(back) != code {
			t.Errorf("%s: rebuilt %v does not match %v", code, back, c.err)
		}
	}
	if !errors.Is(ErrorFromCode("disabled", "secret is disabled"), ErrPolicy) {
		t.Error("a rebuilt policy refusal does not match ErrPolicy")
	}
	if Code(nil) != "" || Code(errors.New("disk on fire")) != CodeInternal {
		t.Error("nil or unknown errors get the wrong code")
	}
}

// TestTagChanges: snoozes and policies are tag changes with their own
// audit operations; removing a missing tag is an error, except resetting
// the rotation policy to the default.
func TestTagChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	v := newVault(t, DefaultSettings(), c)
	mustPut(t, v, "a", "1", PutOptions{})
	if err := v.Tag(ctx, "a", TagChange{Remove: []string{TagRotateEvery}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("untag of a missing tag: %v, want ErrNotFound", err)
	}
	if err := v.Tag(ctx, "a", RotateEvery(0, "default")); err != nil {
		t.Fatalf("reset to the default policy: %v", err)
	}
	if err := v.Tag(ctx, "a", Snooze(c.Now().Add(-time.Hour), "past")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("snooze into the past: %v, want ErrInvalid", err)
	}
	if err := v.Tag(ctx, "a", Snooze(c.Now().Add(Day), "vendor")); err != nil {
		t.Fatal(err)
	}
	if err := v.Tag(ctx, "a", TagChange{Set: map[string]string{"env": "prod"}}); err != nil {
		t.Fatal(err)
	}
	events, err := v.Audit(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	var ops []Op
	for _, e := range events {
		ops = append(ops, e.Op)
	}
	if want := []Op{OpSet, OpPolicy, OpSnooze, OpTag}; !slices.Equal(ops, want) {
		t.Fatalf("audit ops %v, want %v", ops, want)
	}
}
