package vault

import (
	"context"
	"testing"
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
