package backup

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"locket/vault"
)

var testPass = []byte("vault pass")

func init() { scryptWorkFactor = 10 }

func clock() func() time.Time {
	t := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return func() time.Time { return t }
}

func newVault(t testing.TB, set vault.Settings) *vault.Vault {
	t.Helper()
	return newVaultWith(t, set, vault.Options{})
}

// newVaultWith is newVault with opts besides the clock and the actor.
func newVaultWith(t testing.TB, set vault.Settings, opts vault.Options) *vault.Vault {
	t.Helper()
	opts.Now, opts.Actor = clock(), "ana@laptop"
	v, err := vault.Create(context.Background(), filepath.Join(t.TempDir(), "vault"), testPass, vault.MinKDF, set, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func mustSettings(t testing.TB, v vault.Service) vault.Settings {
	t.Helper()
	set, err := v.Settings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func mustInfo(t testing.TB, v vault.Service) vault.Info {
	t.Helper()
	info, err := v.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// sourceVault holds versions, tags, a disabled secret, trash and settings
// that differ from the defaults.
// snapshotAll is a backup of every secret of v.
func snapshotAll(t testing.TB, v vault.Service) *Backup {
	t.Helper()
	b, err := Snapshot(context.Background(), v, vault.SnapshotOptions{Passphrase: testPass})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sourceVault(t testing.TB) *vault.Vault {
	ctx := context.Background()
	set := vault.DefaultSettings()
	set.Retention = 30 * vault.Day
	set.MaxVersions = 5
	v := newVault(t, set)
	put := func(name, val string, o vault.PutOptions) {
		t.Helper()
		if _, err := v.Put(ctx, name, []byte(val), o); err != nil {
			t.Fatal(err)
		}
	}
	put("shared/db/password", "hunter2", vault.PutOptions{ContentType: "text/plain", Tags: map[string]string{"env": "prod", "rotate-every": "30d"}})
	put("shared/db/password", "correct horse", vault.PutOptions{Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
	put("shared/api", "key\x00with binary\xff", vault.PutOptions{ContentType: "application/octet-stream"})
	put("personal/mail", "m", vault.PutOptions{Tags: map[string]string{"env": "home"}})
	put("shared/old", "gone", vault.PutOptions{})
	if err := v.Delete(ctx, "shared/old"); err != nil {
		t.Fatal(err)
	}
	if err := v.Update(ctx, "shared/api", vault.Attributes{Enabled: new(false)}); err != nil {
		t.Fatal(err)
	}
	return v
}

// comparable renders the state a backup must preserve.
func comparable(t testing.TB, secrets []vault.SecretData) string {
	t.Helper()
	var b strings.Builder
	for _, sd := range secrets {
		fmt.Fprintf(&b, "%s enabled=%v deleted=%s tags=%v\n", sd.Name, sd.Enabled, sd.Deleted.Format(time.RFC3339), sd.Tags)
		for i, ver := range sd.Versions {
			fmt.Fprintf(&b, "  v%d %q %s created=%s expires=%s actor=%s\n", ver.Number, sd.Values[i], ver.ContentType,
				ver.Created.Format(time.RFC3339), ver.Expires.Format(time.RFC3339), ver.Actor)
		}
	}
	return b.String()
}

func encryptTo(t testing.TB, b *Backup, armored bool, rs ...age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encrypt(&buf, b, rs, armored); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func with(ids ...age.Identity) Keys {
	return func(bool) ([]age.Identity, error) { return ids, nil }
}

func passphrase(p string) Keys {
	return func(isPass bool) ([]age.Identity, error) {
		if !isPass {
			return nil, errors.New("asked for a passphrase on a recipients file")
		}
		id, err := PassphraseIdentity([]byte(p))
		return []age.Identity{id}, err
	}
}

func sshKeys(t testing.TB) (ed25519Pub string, ed25519Priv []byte, rsaPub string, rsaPriv []byte) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := ssh.NewPublicKey(pub)
	blk, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rp, _ := ssh.NewPublicKey(&rk.PublicKey)
	rblk, err := ssh.MarshalPrivateKey(rk, "")
	if err != nil {
		t.Fatal(err)
	}
	return string(ssh.MarshalAuthorizedKey(sp)), pem.EncodeToMemory(blk), string(ssh.MarshalAuthorizedKey(rp)), pem.EncodeToMemory(rblk)
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := sourceVault(t)
	b := snapshotAll(t, src)
	want := comparable(t, b.Secrets)
	info, err := src.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Secrets) != 4 || b.SourceVault != info.ID {
		t.Fatalf("snapshot: %d secrets from %q", len(b.Secrets), b.SourceVault)
	}

	x, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	edPub, edPriv, rsaPub, rsaPriv := sshKeys(t)
	team, err := ParseRecipients(strings.NewReader("# the team\n\n" + x.Recipient().String() + "\n" + edPub + "  \n# rsa\n" + rsaPub))
	if err != nil || len(team) != 3 {
		t.Fatalf("recipients file: %d %v", len(team), err)
	}
	edIDs, err := ParseIdentities(edPriv, nil)
	if err != nil {
		t.Fatal(err)
	}
	rsaIDs, err := ParseIdentities(rsaPriv, nil)
	if err != nil {
		t.Fatal(err)
	}
	xIDs, err := ParseIdentities([]byte("# created: now\n"+x.String()+"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := PassphraseRecipient([]byte("backup pass"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		file    []byte
		keys    Keys
		armored bool
	}{
		{"passphrase", encryptTo(t, b, false, pr), passphrase("backup pass"), false},
		{"passphrase armored", encryptTo(t, b, true, pr), passphrase("backup pass"), true},
		{"x25519", encryptTo(t, b, false, team...), with(xIDs...), false},
		{"ssh-ed25519", encryptTo(t, b, false, team...), with(edIDs...), false},
		{"ssh-rsa armored", encryptTo(t, b, true, team...), with(rsaIDs...), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := bytes.HasPrefix(c.file, []byte(armorHeader)); got != c.armored {
				t.Errorf("armored = %v", got)
			}
			got, err := Decrypt(bytes.NewReader(c.file), c.keys)
			if err != nil {
				t.Fatal(err)
			}
			if got.Settings == nil || got.Settings.Retention != 30*vault.Day || got.Settings.MaxVersions != 5 {
				t.Errorf("settings %+v", got.Settings)
			}
			dst := newVault(t, vault.DefaultSettings())
			rep, err := dst.Import(ctx, vault.SecretsOf(got.Secrets), vault.ImportOptions{Settings: got.Settings})
			if err != nil || rep.Count(vault.ActionNew) != 4 {
				t.Fatalf("import: %+v %v", rep, err)
			}
			after, _, err := dst.Snapshot(ctx, vault.SnapshotOptions{Passphrase: testPass})
			if err != nil {
				t.Fatal(err)
			}
			if g := comparable(t, after); g != want {
				t.Errorf("restored vault differs:\n%s\nwant:\n%s", g, want)
			}
			if mustSettings(t, dst).Retention != 30*vault.Day {
				t.Error("settings not restored")
			}
		})
	}
}

func TestSelectiveSnapshot(t *testing.T) {
	t.Parallel()
	src := sourceVault(t)
	b, err := Snapshot(context.Background(), src, vault.SnapshotOptions{Prefix: "shared/", Tags: map[string]string{"env": "prod"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Secrets) != 1 || b.Secrets[0].Name != "shared/db/password" {
		t.Errorf("selected %v", b.Secrets)
	}
	if _, err := Snapshot(context.Background(), src, vault.SnapshotOptions{Prefix: "nothing/"}); !errors.Is(err, ErrNoSecrets) {
		t.Errorf("a snapshot of nothing: %v, want ErrNoSecrets", err)
	}
}

func TestEncryptedSSHIdentity(t *testing.T) {
	t.Parallel()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("keypass"))
	if err != nil {
		t.Fatal(err)
	}
	asked := 0
	ids, err := ParseIdentities(pem.EncodeToMemory(blk), func() ([]byte, error) { asked++; return []byte("keypass"), nil })
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := ssh.NewPublicKey(priv.Public())
	r, err := ParseRecipient(string(ssh.MarshalAuthorizedKey(sp)))
	if err != nil {
		t.Fatal(err)
	}
	file := encryptTo(t, &Backup{Secrets: []vault.SecretData{secret("a", "1")}}, false, r)
	if _, err := Decrypt(bytes.NewReader(file), with(ids...)); err != nil || asked != 1 {
		t.Fatalf("decrypt with encrypted SSH key: %v (asked %d)", err, asked)
	}
}

func TestParseRecipientErrors(t *testing.T) {
	t.Parallel()
	x, _ := age.GenerateX25519Identity()
	for _, in := range []string{"", "age1nope", x.String(), "ssh-dss AAAA", "ecdsa-sha2-nistp256 AAAA"} {
		_, err := ParseRecipient(in)
		if err == nil {
			t.Errorf("%q accepted", in)
		} else if strings.Contains(err.Error(), "AGE-SECRET-KEY") {
			t.Errorf("error echoes a private key: %v", err)
		}
	}
	if _, err := ParseRecipients(strings.NewReader("# only comments\n\n")); err == nil {
		t.Error("empty recipients file accepted")
	}
	if _, err := ParseRecipients(strings.NewReader("age1bad\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad line: %v", err)
	}
}

func secret(name string, values ...string) vault.SecretData {
	sd := vault.SecretData{Secret: vault.Secret{Name: name, Enabled: true}}
	for i, val := range values {
		sd.Versions = append(sd.Versions, vault.Version{Number: i + 1, Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		sd.Values = append(sd.Values, []byte(val))
	}
	return sd
}

// encryptDoc encrypts raw JSON, as a stranger or the age tool could.
func encryptDoc(t testing.TB, doc string, r age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(doc))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// vaultDigest hashes everything a read-only open shows of the vault in
// dir: every secret with every value, the settings and the audit log.
func vaultDigest(t testing.TB, dir string) [32]byte {
	t.Helper()
	ctx := context.Background()
	v, err := vault.Open(ctx, dir, testPass, vault.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	secrets, set, err := v.Snapshot(ctx, vault.SnapshotOptions{Passphrase: testPass})
	if err != nil {
		t.Fatal(err)
	}
	events, err := v.Audit(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal([]any{secrets, set, events})
	return sha256.Sum256(b)
}

// restore is what `locket backup import` does: open the file, then
// stream its secrets into the vault, restoring the settings it has.
func restore(dir string, file []byte, keys Keys) error {
	ctx := context.Background()
	rd, err := OpenReader(bytes.NewReader(file), keys)
	if err != nil {
		return err
	}
	// The vault's clock: a writable open at today's date would purge the
	// trash the test vault made in March.
	v, err := vault.Open(ctx, dir, testPass, vault.Options{Now: clock()})
	if err != nil {
		return err
	}
	defer v.Close()
	_, err = Restore(ctx, v, rd, "file.age", RestoreOptions{Settings: rd.Head().Settings != nil})
	return err
}

func TestBadBackups(t *testing.T) {
	t.Parallel()
	src := sourceVault(t)
	b := snapshotAll(t, src)
	dir := mustInfo(t, src).Dir
	src.Close()

	x, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	pr, _ := PassphraseRecipient([]byte("right"))
	good := encryptTo(t, b, false, x.Recipient())
	goodPass := encryptTo(t, b, false, pr)
	armored := encryptTo(t, b, true, x.Recipient())
	flip := func(file []byte, at int) []byte {
		f := bytes.Clone(file)
		f[at] ^= 0x01
		return f
	}
	hdrLen := bytes.Index(good, []byte("\n---")) + 48
	docWith := func(secrets string) string {
		return `{"format":1,"created":"2026-01-01T00:00:00Z","secrets":[` + secrets + `]}`
	}
	v1 := func(name string) string {
		return `{"name":"` + name + `","versions":[{"version":1,"value":"eA=="}]}`
	}
	big := base64.StdEncoding.EncodeToString(make([]byte, vault.MaxValueLen+1))
	cases := []struct {
		name string
		file []byte
		keys Keys
		want error
	}{
		{"truncated", good[:len(good)-20], with(x), ErrDamaged},
		{"truncated in header", good[:40], with(x), ErrDamaged},
		{"empty", nil, with(x), ErrNotBackup},
		{"bit flipped payload", flip(good, len(good)-100), with(x), ErrDamaged},
		{"bit flipped nonce", flip(good, hdrLen-40), with(x), ErrDamaged},
		{"bit flipped armor", bytes.Replace(armored, []byte("\n"), []byte("\n!"), 3), with(x), ErrDamaged},
		{"wrong passphrase", goodPass, passphrase("wrong"), ErrWrongKey},
		{"wrong identity", good, with(other), ErrWrongKey},
		{"not age", []byte("format: 1\nsecrets: []\n"), with(x), ErrNotBackup},
		{"plain json", []byte(docWith(v1("a"))), with(x), ErrNotBackup},
		{"invalid json", encryptDoc(t, `{"format":1,"secrets":[`, x.Recipient()), with(x), ErrFormat},
		{"not an object", encryptDoc(t, `[1,2]`, x.Recipient()), with(x), ErrFormat},
		{"no format", encryptDoc(t, `{"secrets":[]}`, x.Recipient()), with(x), ErrFormat},
		{"future format", encryptDoc(t, `{"format":7,"secrets":[]}`, x.Recipient()), with(x), ErrNewerFormat},
		{"unknown field", encryptDoc(t, `{"format":1,"secrets":[],"extra":1}`, x.Recipient()), with(x), ErrFormat},
		{"trailing data", encryptDoc(t, docWith(v1("a"))+`{}`, x.Recipient()), with(x), ErrFormat},
		{"duplicate names", encryptDoc(t, docWith(v1("a")+","+v1("a")), x.Recipient()), with(x), ErrFormat},
		{"invalid name", encryptDoc(t, docWith(v1("../etc")), x.Recipient()), with(x), ErrFormat},
		{"escape in name", encryptDoc(t, docWith(v1(`a\u001b[2J`)), x.Recipient()), with(x), ErrFormat},
		{"no versions", encryptDoc(t, docWith(`{"name":"a","versions":[]}`), x.Recipient()), with(x), ErrFormat},
		{"versions out of order", encryptDoc(t, docWith(`{"name":"a","versions":[{"version":2,"value":"eA=="},{"version":1,"value":"eA=="}]}`), x.Recipient()), with(x), ErrFormat},
		{"bad base64", encryptDoc(t, docWith(`{"name":"a","versions":[{"version":1,"value":"!!"}]}`), x.Recipient()), with(x), ErrFormat},
		{"value too large", encryptDoc(t, docWith(`{"name":"a","versions":[{"version":1,"value":"`+big+`"}]}`), x.Recipient()), with(x), ErrFormat},
		{"bad tag", encryptDoc(t, docWith(`{"name":"a","tags":{"rotate-every":"soon"},"versions":[{"version":1,"value":"eA=="}]}`), x.Recipient()), with(x), ErrFormat},
		{"bad setting", encryptDoc(t, `{"format":1,"settings":{"retention":"1d"},"secrets":[]}`, x.Recipient()), with(x), ErrFormat},
		{"unknown setting", encryptDoc(t, `{"format":1,"settings":{"colour":"red"},"secrets":[]}`, x.Recipient()), with(x), ErrFormat},
	}
	before := vaultDigest(t, dir)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := restore(dir, c.file, c.keys)
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			// The TUI decodes the whole file first: the same verdict.
			if _, derr := Decrypt(bytes.NewReader(c.file), c.keys); !errors.Is(derr, c.want) {
				t.Errorf("decrypt: %v, want %v", derr, c.want)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || msg != vault.Sanitize(msg) {
				t.Errorf("error is not one clean line: %q", msg)
			}
		})
	}
	if vaultDigest(t, dir) != before {
		t.Error("a bad backup changed the vault")
	}
}

// TestAbsurdSizes lowers the package's maxDocument for a moment, so it
// does not run in parallel: every other test reads that limit.
func TestAbsurdSizes(t *testing.T) {
	x, _ := age.GenerateX25519Identity()
	old := maxDocument
	maxDocument = 4096
	defer func() { maxDocument = old }()
	doc := `{"format":1,"secrets":[{"name":"a","versions":[{"version":1,"value":"` + strings.Repeat("A", 8192) + `"}]}]}`
	if _, err := Decrypt(bytes.NewReader(encryptDoc(t, doc, x.Recipient())), with(x)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized document: %v", err)
	}
	maxDocument = old
	var vs []string
	for i := 1; i <= maxVersions+1; i++ {
		vs = append(vs, fmt.Sprintf(`{"version":%d,"value":"eA=="}`, i))
	}
	doc = `{"format":1,"secrets":[{"name":"a","versions":[` + strings.Join(vs, ",") + `]}]}`
	if _, err := Unmarshal([]byte(doc)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too many versions: %v", err)
	}
}

// TestFormat1 reads the format 1 test vector: every later locket must.
func TestFormat1(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("testdata/format1.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Unmarshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	got := comparable(t, b.Secrets)
	want := `old/token enabled=false deleted=2026-02-20T12:00:00Z tags=map[]
  v3 "token"  created=2025-12-01T00:00:00Z expires=0001-01-01T00:00:00Z actor=bo@desk
prod/db/password enabled=true deleted=0001-01-01T00:00:00Z tags=map[env:prod rotate-every:30d]
  v1 "hunter2" text/plain created=2026-01-05T09:00:00Z expires=0001-01-01T00:00:00Z actor=ana@laptop
  v2 "correct horse" text/plain created=2026-02-05T09:00:00Z expires=2026-12-31T00:00:00Z actor=ana@laptop
`
	if got != want {
		t.Errorf("decoded:\n%s\nwant:\n%s", got, want)
	}
	if b.Settings == nil || b.Settings.Retention != 30*vault.Day || !b.Settings.PurgeProtection || b.SourceVault != "9f2c4e0a7b1d3f5e8a6c2b4d0e1f3a5c" {
		t.Errorf("header fields: %+v %q", b.Settings, b.SourceVault)
	}
	// Marshal writes what Unmarshal reads back unchanged.
	out, err := Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Unmarshal(out)
	if err != nil || comparable(t, again.Secrets) != got {
		t.Errorf("re-encoded document differs: %v", err)
	}
}

// ageCLI returns the path of the age tool, skipping without it unless
// LOCKET_E2E=1 demands it.
func ageCLI(t *testing.T) string {
	p, err := exec.LookPath("age")
	if err != nil {
		if os.Getenv("LOCKET_E2E") == "1" {
			t.Fatal("age is not installed (Debian package age) and LOCKET_E2E=1")
		}
		t.Skip("age is not installed")
	}
	return p
}

// TestAgeCLIDecrypts: in an emergency `age -d` alone opens a backup and
// shows the documented JSON.
func TestAgeCLIDecrypts(t *testing.T) {
	t.Parallel()
	agePath := ageCLI(t)
	src := sourceVault(t)
	b := snapshotAll(t, src)
	x, _ := age.GenerateX25519Identity()
	dir := t.TempDir()
	key := filepath.Join(dir, "key.txt")
	os.WriteFile(key, []byte(x.String()+"\n"), 0o600)
	for _, armored := range []bool{false, true} {
		file := filepath.Join(dir, "backup.age")
		os.WriteFile(file, encryptTo(t, b, armored, x.Recipient()), 0o600)
		out, err := exec.Command(agePath, "-d", "-i", key, file).Output()
		if err != nil {
			t.Fatalf("age -d: %v", err)
		}
		var doc struct {
			Format      int    `json:"format"`
			SourceVault string `json:"source_vault"`
			Settings    map[string]string
			Secrets     []struct {
				Name     string
				Enabled  bool
				Deleted  string
				Tags     map[string]string
				Versions []struct {
					Version     int
					Value       string
					ContentType string `json:"content_type"`
					Created     time.Time
				}
			}
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Format != 1 || doc.SourceVault != mustInfo(t, src).ID || doc.Settings["retention"] != "30d" || len(doc.Secrets) != 4 {
			t.Fatalf("document %+v", doc)
		}
		pw := doc.Secrets[2]
		val, _ := base64.StdEncoding.DecodeString(pw.Versions[1].Value)
		if pw.Name != "shared/db/password" || string(val) != "correct horse" || pw.Versions[0].ContentType != "text/plain" || pw.Tags["env"] != "prod" {
			t.Errorf("secret %+v", pw)
		}
		if doc.Secrets[3].Name != "shared/old" || doc.Secrets[3].Deleted == "" || doc.Secrets[1].Enabled {
			t.Errorf("trash or enabled state missing: %+v", doc.Secrets)
		}
	}
}

// TestAgeCLIEncrypts: a document written by hand and encrypted with the
// age tool imports.
func TestAgeCLIEncrypts(t *testing.T) {
	t.Parallel()
	agePath := ageCLI(t)
	x, _ := age.GenerateX25519Identity()
	doc, err := os.ReadFile("testdata/format1.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, armored := range []bool{false, true} {
		args := []string{"-r", x.Recipient().String()}
		if armored {
			args = append(args, "-a")
		}
		c := exec.Command(agePath, args...)
		c.Stdin = bytes.NewReader(doc)
		file, err := c.Output()
		if err != nil {
			t.Fatalf("age -e: %v", err)
		}
		b, err := Decrypt(bytes.NewReader(file), with(x))
		if err != nil {
			t.Fatal(err)
		}
		v := newVault(t, vault.DefaultSettings())
		rep, err := v.Import(context.Background(), vault.SecretsOf(b.Secrets), vault.ImportOptions{})
		if err != nil || rep.Count(vault.ActionNew) != 2 {
			t.Fatalf("%+v %v", rep, err)
		}
		val, _, err := v.Get(context.Background(), "prod/db/password", 0, vault.OpGet)
		if err != nil || string(val) != "correct horse" {
			t.Errorf("imported value %q %v", val, err)
		}
	}
}
