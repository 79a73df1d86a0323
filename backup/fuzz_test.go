package backup

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"filippo.io/age"

	"locket/vault"
)

// FuzzUnmarshal: the decoder never panics, fails only with its sentinels,
// accepts only valid secrets, and what it accepts survives a round trip.
func FuzzUnmarshal(f *testing.F) {
	if doc, err := os.ReadFile("testdata/format1.json"); err == nil {
		f.Add(doc)
	}
	f.Add([]byte(`{"format":1,"secrets":[{"name":"a","versions":[{"version":1,"value":"eA=="}]}]}`))
	f.Add([]byte(`{"format":2}`))
	f.Add([]byte(`{"format":1,"settings":{"retention":"7d"},"secrets":[]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		b, err := Unmarshal(doc)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrNewerFormat) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		for _, sd := range b.Secrets {
			if vault.ValidateName(sd.Name) != nil || len(sd.Versions) == 0 || len(sd.Versions) != len(sd.Values) {
				t.Fatalf("accepted an invalid secret %q", sd.Name)
			}
		}
		out, err := Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Unmarshal(out)
		if err != nil {
			t.Fatalf("re-encoded document rejected: %v", err)
		}
		if comparable(t, again.Secrets) != comparable(t, b.Secrets) {
			t.Fatal("round trip changed the secrets")
		}
	})
}

// FuzzDecrypt: arbitrary files never panic and fail with a sentinel.
func FuzzDecrypt(f *testing.F) {
	id, err := age.ParseX25519Identity("AGE-SECRET-KEY-1QLHC67AL9F4VF28V6Y9EZZ0ZEDPL6GVCYK5YXAJJG37HWGCT3DQQVL2ULN")
	if err != nil {
		f.Fatal(err)
	}
	good := encryptTo(f, &Backup{Secrets: []vault.SecretData{secret("a", "1")}}, false, id.Recipient())
	f.Add(good)
	f.Add(encryptTo(f, &Backup{Secrets: []vault.SecretData{secret("a", "1")}}, true, id.Recipient()))
	f.Add([]byte("age-encryption.org/v1\n-> X25519 abc\n--- xyz\n"))
	f.Fuzz(func(t *testing.T, file []byte) {
		_, err := Decrypt(bytes.NewReader(file), with(id))
		if err == nil {
			return
		}
		for _, s := range []error{ErrNotBackup, ErrWrongKey, ErrDamaged, ErrFormat, ErrNewerFormat, ErrTooLarge} {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("unexpected error kind: %v", err)
	})
}

// FuzzDotenv: the parser never panics, and every value the exporter can
// write reads back exactly.
func FuzzDotenv(f *testing.F) {
	if b, err := os.ReadFile("testdata/app.env"); err == nil {
		f.Add(string(b), "v")
	}
	f.Add("A=1\n", "p@ss \"$x\"\n\\")
	f.Fuzz(func(t *testing.T, file, value string) {
		if entries, err := ParseDotenv(strings.NewReader(file)); err == nil {
			for _, e := range entries {
				if !envKeyOK(e.Key) {
					t.Fatalf("accepted key %q", e.Key)
				}
			}
		}
		if !envValueOK(value) {
			return
		}
		line := "K=" + envQuote(value) + "\n"
		entries, err := ParseDotenv(strings.NewReader(line))
		if value == "" {
			return
		}
		if err != nil || len(entries) != 1 || entries[0].Value != value {
			t.Fatalf("%q wrote %q, read back %+v %v", value, line, entries, err)
		}
	})
}

// FuzzKeePassXC: any CSV gives an error or only valid secrets.
func FuzzKeePassXC(f *testing.F) {
	if b, err := os.ReadFile("testdata/keepassxc.csv"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("\"Title\",\"Password\"\nx,y\n"))
	f.Fuzz(func(t *testing.T, csv []byte) {
		found, err := ImportKeePassXC(bytes.NewReader(csv), "kp")
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, sd := range found.Secrets {
			if vault.ValidateName(sd.Name) != nil || vault.ValidateValue(sd.Values[0]) != nil || vault.ValidateTags(sd.Tags) != nil || seen[sd.Name] {
				t.Fatalf("invalid or duplicate secret %q", sd.Name)
			}
			seen[sd.Name] = true
		}
	})
}

// FuzzNameFrom: a foreign path becomes a valid name, or is too long.
func FuzzNameFrom(f *testing.F) {
	f.Add("Web Sites/../Ünïcode Bank/.")
	f.Fuzz(func(t *testing.T, path string) {
		name, _ := nameFrom("pass", strings.Split(path, "/")...)
		if len(name) <= vault.MaxNameLen && vault.ValidateName(name) != nil {
			t.Fatalf("%q became invalid name %q", path, name)
		}
	})
}
