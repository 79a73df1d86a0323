package vault

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// A vault with the metadata cache answers exactly as one without, through
// every kind of change.
func TestCacheFollowsChanges(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	set := DefaultSettings()
	v := newVault(t, set, c)
	for i := range 20 {
		mustPut(t, v, fmt.Sprintf("app%d/key", i%4)+fmt.Sprint(i), "value", PutOptions{})
	}
	v = reopen(t, v, Options{Cache: true, Now: c.Now, Actor: "tester@host"})
	changes, err := v.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Load it, then change things under it.
	if _, err := v.List(ctx, ListOptions{}); err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { _, err := v.Put(ctx, "app1/new", []byte("v"), PutOptions{}); return err },
		func() error { _, err := v.Put(ctx, "app1/key1", []byte("v2"), PutOptions{}); return err },
		func() error { return v.Tag(ctx, "app2/key2", TagChange{Set: map[string]string{"env": "prod"}}) },
		func() error { return v.Rename(ctx, "app3/key3", "moved/key3") },
		func() error { return v.Delete(ctx, "app0/key0") },
		func() error { return v.Delete(ctx, "app0/key4") },
		func() error { return v.Recover(ctx, "app0/key4") },
		func() error { return v.Purge(ctx, "app0/key0") },
		func() error {
			f := false
			return v.Update(ctx, "app2/key6", Attributes{Enabled: &f})
		},
		func() error {
			_, err := v.Import(ctx, SecretsOf([]SecretData{{Secret: Secret{Name: "imported/one", Enabled: true, Versions: []Version{{Number: 1, Created: c.Now(), Actor: "a@b"}}}, Values: [][]byte{[]byte("x")}}}), ImportOptions{})
			return err
		},
	}
	for i, step := range steps {
		c.Advance(time.Hour)
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	// A check learns the values' facts; a later one reads only new values.
	mustPut(t, v, "renamed/old", "new", PutOptions{})
	if _, err := v.Check(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	mustPut(t, v, "app1/new", "app1/new", PutOptions{})
	mustPut(t, v, "app2/twin", "v2", PutOptions{})
	// What was learned survives a change of tags, not a change of name:
	// the value now equals its name.
	if err := v.Tag(ctx, "app1/key1", TagChange{Set: map[string]string{"env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	if err := v.Rename(ctx, "renamed/old", "renamed/new"); err != nil {
		t.Fatal(err)
	}
	cached := map[string]any{}
	collect := func(v *Vault, into map[string]any) {
		for _, o := range []ListOptions{{}, {Prefix: "app0/"}, {Prefix: "app2/"}, {Deleted: true}, {Tags: map[string]string{"env": "prod"}}, {Statuses: []Status{StatusDisabled}}} {
			l, err := v.List(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			into[fmt.Sprintf("list %+v", o)] = l
		}
		for _, name := range []string{"app1/key1", "moved/key3", "app3/key3", "app0/key0", "imported/one"} {
			s, err := v.Secret(ctx, name)
			into["secret "+name] = fmt.Sprint(s, err)
		}
		f, err := v.Check(ctx, time.Time{})
		into["check"] = fmt.Sprint(f, err)
	}
	collect(v, cached)
	fresh := map[string]any{}
	collect(reopen(t, v, Options{Now: c.Now, Actor: "tester@host"}), fresh)
	for k := range fresh {
		if !reflect.DeepEqual(cached[k], fresh[k]) {
			t.Errorf("%s:\ncached %v\nfresh  %v", k, cached[k], fresh[k])
		}
	}
	// Every change was reported, then the channel closed with the vault.
	var got []Change
	for ch := range changes {
		got = append(got, ch)
	}
	want := []Change{{OpSet, "app1/new"}, {OpSet, "app1/key1"}, {OpTag, "app2/key2"}, {OpMove, "moved/key3"}, {OpDelete, "app0/key0"}, {OpDelete, "app0/key4"}, {OpRecover, "app0/key4"}, {OpPurge, "app0/key0"}, {OpDisable, "app2/key6"}, {OpImport, ""}, {OpImport, ""},
		{OpSet, "renamed/old"}, {OpSet, "app1/new"}, {OpSet, "app2/twin"}, {OpTag, "app1/key1"}, {OpMove, "renamed/new"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("changes:\n got %v\nwant %v", got, want)
	}
}
