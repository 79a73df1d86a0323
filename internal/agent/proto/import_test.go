package proto

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"locket/vault"
)

func TestFramesRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in := []vault.SecretData{
		{Secret: vault.Secret{Name: "a", Created: t0, Updated: t0, Enabled: true, Tags: map[string]string{"k": "v"},
			Versions: []vault.Version{{Number: 1, Created: t0, Actor: "me"}, {Number: 2, Created: t0, Size: 3}}},
			Values: [][]byte{[]byte("one"), {0, 1, 2}}},
		{Secret: vault.Secret{Name: "b", Created: t0, Updated: t0, Deleted: t0, Versions: []vault.Version{{Number: 1, Created: t0}}},
			Values: [][]byte{[]byte("x")}},
	}
	o := vault.ImportOptions{OnConflict: vault.ConflictSkip, Note: "n", Expect: 2,
		Sync: &vault.SyncPull{Target: "t", Remote: map[string]vault.SyncRemote{"a": {ServerVersion: 4, Meta: map[string]string{"m": "1"}}}}}
	var b bytes.Buffer
	fw := NewFrameWriter(&b)
	if err := fw.Options(o); err != nil {
		t.Fatal(err)
	}
	for _, sd := range in {
		if err := fw.Secret(sd); err != nil {
			t.Fatal(err)
		}
	}
	if err := fw.End(); err != nil {
		t.Fatal(err)
	}
	fr := NewFrameReader(&b)
	got, err := fr.Options()
	if err != nil {
		t.Fatal(err)
	}
	var out []vault.SecretData
	for {
		sd, ok, err := fr.Next(&got)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		out = append(out, sd)
	}
	if !reflect.DeepEqual(out, in) {
		t.Fatalf("secrets:\n%+v\n%+v", out, in)
	}
	if got.OnConflict != o.OnConflict || got.Note != "n" || got.Expect != 2 || !reflect.DeepEqual(got.Sync, o.Sync) {
		t.Fatalf("options: %+v", got)
	}
}

func TestFramesRefused(t *testing.T) {
	for name, c := range map[string]struct {
		body string
		want error
	}{
		"no end":            {`{"options":{}}` + "\n", ErrNoEnd},
		"after end":         {`{"options":{}}` + "\n" + `{"end":true}` + "\n" + `{"end":true}` + "\n", vault.ErrInvalid},
		"unknown field":     {`{"options":{"require_review":true}}` + "\n", ErrUnsupported},
		"unknown frame":     {`{"options":{}}` + "\n" + `{"blob":1}` + "\n", ErrUnsupported},
		"no options":        {`{"end":true}` + "\n", vault.ErrInvalid},
		"remote, no sync":   {`{"options":{}}` + "\n" + `{"remote":{"name":"a"}}` + "\n", vault.ErrInvalid},
		"too many versions": {`{"options":{}}` + "\n" + `{"secret":{"name":"a"},"count":16385}` + "\n", ErrTooLarge},
		"short versions":    {`{"options":{}}` + "\n" + `{"secret":{"name":"a"},"count":2}` + "\n" + `{"end":true}` + "\n", vault.ErrInvalid},
		"long line":         {`{"options":{"note":"` + strings.Repeat("a", MaxFrame) + `"}}` + "\n", ErrTooLarge},
	} {
		t.Run(name, func(t *testing.T) {
			fr := NewFrameReader(strings.NewReader(c.body))
			o, err := fr.Options()
			for err == nil {
				var ok bool
				if _, ok, err = fr.Next(&o); !ok && err == nil {
					t.Fatal("accepted")
				}
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}
