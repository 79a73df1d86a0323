package vault

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLifecycleSmoke(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir() + "/v"
	pass := []byte("pw")
	v, err := Create(ctx, dir, pass, MinKDF, DefaultSettings(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Put(ctx, "a/b", []byte("hello"), PutOptions{Tags: map[string]string{"env": "prod"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Put(ctx, "a/b", []byte("hello2"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	val, ver, err := v.Get(ctx, "a/b", 0, OpGet)
	if err != nil || string(val) != "hello2" || ver.Number != 2 {
		t.Fatal(err, string(val), ver)
	}
	if err := v.Rename(ctx, "a/b", "c"); err != nil {
		t.Fatal(err)
	}
	if err := v.Delete(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Put(ctx, "c", []byte("x"), PutOptions{}); err == nil {
		t.Fatal("reuse of trash name")
	}
	if err := v.Purge(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	v, err = Open(ctx, dir, pass, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	n, err := v.VerifyAudit(ctx)
	if err != nil || n != 7 {
		t.Fatal(n, err)
	}
	l, err := v.List(ctx, ListOptions{})
	if err != nil || len(l) != 0 {
		t.Fatal(l, err)
	}
}

// TestSnoozeExpired: a snooze postpones rotation, not expiry. Snoozing an
// expired secret was accepted and changed nothing (issue 12, bug 2); it
// is refused, by the snooze command and by a snooze-until tag alike.
func TestSnoozeExpired(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	v := newVault(t, DefaultSettings(), c)
	mustPut(t, v, "old/cert", "x", PutOptions{Expires: c.Now().Add(Day)})
	mustPut(t, v, "live/token", "y", PutOptions{})
	c.Advance(2 * Day)
	until := c.Now().Add(14 * Day)
	err := v.Tag(ctx, "old/cert", Snooze(until, "waiting"))
	if !errors.Is(err, ErrExpiredSnooze) || !errors.Is(err, ErrPolicy) {
		t.Fatalf("snooze of an expired secret: %v", err)
	}
	if err := v.Tag(ctx, "old/cert", TagChange{Set: map[string]string{TagSnoozeUntil: until.Format(time.RFC3339)}}); !errors.Is(err, ErrExpiredSnooze) {
		t.Fatalf("snooze-until tag on an expired secret: %v", err)
	}
	if Code(err) != "expired_snooze" || !errors.Is(ErrorFromCode(Code(err), err.Error()), ErrExpiredSnooze) {
		t.Errorf("code %q does not carry the refusal over a wire", Code(err))
	}
	if err := v.Tag(ctx, "live/token", Snooze(until, "fine")); err != nil {
		t.Fatalf("snooze of a live secret: %v", err)
	}
}
