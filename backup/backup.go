// Package backup writes and reads locket backups, and imports secrets from
// other password managers.
//
// A backup is an age file (https://age-encryption.org) holding one JSON
// document: the format version, the source vault's id, its settings and the
// chosen secrets with every version's value. age is the whole security
// model: the file is encrypted and authenticated with a random file key,
// wrapped either to a passphrase (scrypt) or to one or more recipients
// (X25519 or SSH keys), so that in an emergency `age -d` alone recovers the
// secrets. The document is decoded as a stream, one secret at a time, from
// chunks age has authenticated, and nothing is used before age has
// authenticated the end of the file; the decoder checks every field as if
// a stranger had written it, because with recipients anyone can encrypt a
// file to you.
package backup

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"runtime"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"

	"locket/vault"
)

// Sentinel errors, wrapped with %w.
var (
	// ErrNotBackup: the file is not age-encrypted.
	ErrNotBackup = errors.New("not a locket backup: the file is not age-encrypted")
	// ErrWrongKey: the passphrase or identities do not open the file.
	ErrWrongKey = errors.New("wrong passphrase or identity for this backup")
	// ErrDamaged: the file is truncated, or was changed after encryption.
	ErrDamaged = errors.New("backup is damaged or truncated")
	// ErrFormat: the decrypted content is not a valid locket backup.
	ErrFormat = errors.New("backup content is invalid")
	// ErrNewerFormat: the backup was written by a newer locket.
	ErrNewerFormat = errors.New("backup was made by a newer version of locket")
	// ErrTooLarge: the backup exceeds the size this locket accepts.
	ErrTooLarge = errors.New("backup is too large")
	// ErrNoSecrets: Snapshot found no secret to back up.
	ErrNoSecrets = errors.New("no secrets match; nothing was exported")
	// ErrNoSettings: settings were to be restored from a backup without any.
	ErrNoSettings = errors.New("the backup holds no settings to restore")
)

// Backup is the content of a backup file.
type Backup struct {
	// Format is the version of the document read (FormatVersion on write).
	Format int
	// Created is when the backup was made.
	Created time.Time
	// SourceVault is the id of the vault it was made from.
	SourceVault string
	// Settings are the source vault's settings, nil when the file has none.
	Settings *vault.Settings
	// Secrets are sorted by name.
	Secrets []vault.SecretData
}

// Limits against hostile or absurd files. maxDocument bounds the decrypted
// JSON (a vault of 100k ordinary secrets is about 40 MB); a var so that
// tests can lower it.
var maxDocument int64 = 1 << 30

const (
	armorHeader = "-----BEGIN AGE ENCRYPTED FILE-----"
	ageIntro    = "age-encryption.org/"
)

// Encrypt writes b as an age file to w, encrypted to recipients, in
// ASCII armor when armored is true.
func Encrypt(w io.Writer, b *Backup, recipients []age.Recipient, armored bool) error {
	if len(recipients) == 0 {
		return errors.New("no recipients to encrypt the backup to")
	}
	doc, err := Marshal(b)
	if err != nil {
		return err
	}
	var out io.Writer = w
	var aw io.WriteCloser
	if armored {
		aw = armor.NewWriter(w)
		out = aw
	}
	ew, err := age.Encrypt(out, recipients...)
	if err != nil {
		return fmt.Errorf("encrypt backup: %w", err)
	}
	if _, err := ew.Write(doc); err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	if err := ew.Close(); err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	if aw != nil {
		if err := aw.Close(); err != nil {
			return fmt.Errorf("write backup: %w", err)
		}
	}
	return nil
}

// Keys supplies what opens a backup. It is called once, after the header
// has been read, with whether the file is encrypted to a passphrase, so
// that a passphrase is only asked for when one is needed.
type Keys func(passphrase bool) ([]age.Identity, error)

// Decrypt reads, authenticates and decodes a backup file (binary or
// armored). Every failure wraps one of the sentinel errors.
func Decrypt(r io.Reader, keys Keys) (*Backup, error) {
	pr, err := open(r, keys)
	if err != nil {
		return nil, err
	}
	return collect(pr)
}

// Summary is what Verify reports of a backup: counts, no values.
type Summary struct {
	Format      int
	Created     time.Time
	SourceVault string
	// Settings reports whether the file holds vault settings.
	Settings bool
	// Secrets counts all of them, Trash and Disabled those that are.
	Secrets, Trash, Disabled int
	Versions                 int
}

// Verify reads, authenticates and checks all of a backup file as Decrypt
// does, keeping only counts: its memory is bounded by the largest secret,
// not by the file.
func Verify(r io.Reader, keys Keys) (Summary, error) {
	pr, err := open(r, keys)
	if err != nil {
		return Summary{}, err
	}
	var s Summary
	b, err := Stream(pr, func(sd vault.SecretData) error {
		s.Secrets++
		s.Versions += len(sd.Versions)
		if sd.InTrash() {
			s.Trash++
		}
		if !sd.Enabled {
			s.Disabled++
		}
		return nil
	})
	if err != nil {
		return Summary{}, err
	}
	s.Format, s.Created, s.SourceVault, s.Settings = b.Format, b.Created, b.SourceVault, b.Settings != nil
	return s, nil
}

// Reader is a backup read as a stream, for a restore that holds one
// secret at a time: OpenReader has read the age header, unwrapped the
// file key and read the document up to its secrets; Secrets decodes them
// as the import asks. ReaderOf reads a backup already decoded.
type Reader struct {
	d *decoder
	// head is the backup's fields read so far; once the secrets are read
	// to the end, all of them.
	head *Backup
	// atSecrets says the document's next field is its secrets.
	atSecrets bool
	// secrets are those of a decoded backup, for ReaderOf.
	secrets []vault.SecretData
	decoded bool
	used    bool
	// settingsErr is RestoreSettings' verdict once it read to the end.
	settingsErr error
}

// ErrSettingsLate: the settings were to be restored from a backup that
// holds them after its secrets. A restore reads the secrets as a stream
// and needs the settings first (max-versions decides what it keeps);
// locket writes them first, so only a file written by other means does
// this.
var ErrSettingsLate = errors.New("the backup holds its settings after its secrets, where a restore cannot use them; nothing was imported: import without --restore-settings, then set them with locket config")

// errStopped ends a decoding that its consumer stopped.
var errStopped = errors.New("stopped")

// errReaderUsed: the secrets of a streamed backup can be read once.
var errReaderUsed = errors.New("the backup's secrets were already read")

// OpenReader opens the backup file r (binary or armored) for a streamed
// restore: it reads the header, asks keys for what opens it, so that a
// wrong key fails here, and reads the document's fields up to its
// secrets. Nothing the secrets hold is trusted before Secrets has read
// to the end, where age authenticates the last chunk: an import of them
// is all or nothing, so a damaged file imports none.
func OpenReader(r io.Reader, keys Keys) (*Reader, error) {
	pr, err := open(r, keys)
	if err != nil {
		return nil, err
	}
	d := newDecoder(pr)
	if err := d.begin(); err != nil {
		return nil, err
	}
	rd := &Reader{d: d}
	if rd.atSecrets, err = d.fields(); err != nil {
		return nil, err
	}
	if !rd.atSecrets {
		// No secrets: the whole document is read.
		rd.head, err = d.finish()
		return rd, err
	}
	head := d.b
	// Settings read before the format are checked at the end, when the
	// format says whether a key this locket does not know is a newer one.
	if head.Format != 0 {
		if err := d.head(); err != nil {
			return nil, err
		}
		head.Settings = d.b.Settings
	}
	rd.head = &head
	return rd, nil
}

// ReaderOf is a Reader of the backup b, already decoded.
func ReaderOf(b *Backup) *Reader {
	return &Reader{head: b, secrets: b.Secrets, decoded: true}
}

// Head is what the backup says besides its secrets: its format, creation
// time, source vault and settings, as far as they come before the
// secrets (locket writes them first). Its Secrets are empty for a stream.
func (rd *Reader) Head() *Backup { return rd.head }

// count is how many secrets the backup holds, or 0 when it is not known
// before they are read.
func (rd *Reader) count() int { return len(rd.secrets) }

// Secrets yields the backup's secrets one at a time, then the error that
// ends the document early, if any: a damaged, truncated or invalid file
// yields its error after some secrets. A stream can be read once.
func (rd *Reader) Secrets() iter.Seq2[vault.SecretData, error] {
	if rd.decoded {
		return vault.SecretsOf(rd.secrets)
	}
	return func(yield func(vault.SecretData, error) bool) {
		if rd.used {
			yield(vault.SecretData{}, errReaderUsed)
			return
		}
		rd.used = true
		b, err := rd.d.body(func(sd vault.SecretData) error {
			if !yield(sd, nil) {
				return errStopped
			}
			return nil
		}, rd.atSecrets)
		switch {
		case errors.Is(err, errStopped):
		case err != nil:
			yield(vault.SecretData{}, err)
		default:
			rd.head = b
		}
	}
}

// RestoreSettings returns the settings to restore with the secrets:
// ErrNoSettings when the backup holds none, ErrSettingsLate when they
// follow the secrets. Telling those two apart reads a stream to its end,
// which uses it up; either is an error that ends the restore.
func (rd *Reader) RestoreSettings() (*vault.Settings, error) {
	if rd.settingsErr != nil {
		return nil, rd.settingsErr
	}
	if rd.head.Settings != nil {
		return rd.head.Settings, nil
	}
	if rd.decoded || !rd.atSecrets || rd.used {
		return nil, ErrNoSettings
	}
	rd.used = true
	b, err := rd.d.body(func(vault.SecretData) error { return nil }, rd.atSecrets)
	if err != nil {
		return nil, err
	}
	rd.head, rd.settingsErr = b, ErrNoSettings
	if b.Settings != nil {
		rd.settingsErr = ErrSettingsLate
	}
	return nil, rd.settingsErr
}

// open reads the header of the age file r (binary or armored), asks keys
// for what opens it, and returns its plaintext as a stream. age
// authenticates each 64 KiB chunk before it is read and the end of the
// file at EOF; the reader's failures wrap ErrDamaged or ErrTooLarge.
func open(r io.Reader, keys Keys) (io.Reader, error) {
	// The armor can hold at most 2 bytes of text per byte of ciphertext.
	br := bufio.NewReader(io.LimitReader(r, 2*maxDocument+4096))
	start, _ := br.Peek(len(armorHeader) + 64)
	trimmed := bytes.TrimLeft(start, " \t\r\n")
	var src io.Reader
	switch {
	case bytes.HasPrefix(trimmed, []byte(armorHeader)):
		src = armor.NewReader(br)
	case bytes.HasPrefix(start, []byte(ageIntro)):
		src = br
	default:
		return nil, ErrNotBackup
	}
	// The header is read twice, to ask for a passphrase only when the
	// file needs one: what the first read consumed is replayed.
	var seen bytes.Buffer
	hdr, err := age.ExtractHeader(io.TeeReader(src, &seen))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	ids, err := keys(isPassphrase(hdr))
	if err != nil {
		return nil, err
	}
	pr, err := age.Decrypt(io.MultiReader(&seen, src), ids...)
	if err != nil {
		var nomatch *age.NoIdentityMatchError
		if errors.As(err, &nomatch) {
			if isPassphrase(hdr) {
				return nil, fmt.Errorf("%w: wrong passphrase (or a damaged header)", ErrWrongKey)
			}
			return nil, fmt.Errorf("%w: it is encrypted to other recipients than the identities given", ErrWrongKey)
		}
		return nil, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	return &plaintext{r: pr, left: maxDocument}, nil
}

// plaintext bounds the decrypted document to maxDocument and makes every
// failure of age's reader wrap ErrDamaged.
type plaintext struct {
	r    io.Reader
	left int64
}

func (p *plaintext) Read(b []byte) (int, error) {
	if p.left <= 0 {
		// One byte more than the limit tells a full file from a larger one.
		var one [1]byte
		if n, err := p.r.Read(one[:]); n > 0 || (err != nil && err != io.EOF) {
			return 0, fmt.Errorf("%w: its content exceeds %d MiB", ErrTooLarge, maxDocument>>20)
		}
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.left)]
	n, err := p.r.Read(b)
	p.left -= int64(n)
	if err != nil && err != io.EOF {
		return n, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	return n, err
}

// isPassphrase reports whether an age header wraps its file key with
// scrypt, age's passphrase recipient.
func isPassphrase(hdr []byte) bool {
	for _, line := range strings.Split(string(hdr), "\n") {
		if strings.HasPrefix(line, "-> scrypt ") {
			return true
		}
	}
	return false
}

// Marshal encodes b as the current format's JSON document: compact, with
// one secret per line so that `age -d` output can be read and grepped.
// Secrets are encoded on every core: it is most of an export's time.
func Marshal(b *Backup) ([]byte, error) {
	f := toV1(b)
	secrets := f.Secrets
	f.Secrets = []secretV1{}
	head, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode backup: %w", err)
	}
	lines := make([][]byte, len(secrets))
	workers := min(runtime.GOMAXPROCS(0), 8)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(secrets); i += workers {
				if lines[i], errs[w] = json.Marshal(&secrets[i]); errs[w] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("encode backup: %w", err)
	}
	size := len(head) + 8
	for _, l := range lines {
		size += len(l) + 2
	}
	out := make([]byte, 0, size)
	out = append(out, head[:len(head)-2]...) // drop "]}"
	for i, l := range lines {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '\n')
		out = append(out, l...)
	}
	return append(out, "\n]}\n"...), nil
}

// Wipe zeroes the values b holds, once they are no longer needed.
func (b *Backup) Wipe() {
	for _, sd := range b.Secrets {
		for _, v := range sd.Values {
			clear(v)
		}
	}
}

// Snapshot makes a backup of the secrets of v that o chooses, with the
// vault settings, from one consistent read (audited as one export). It
// fails with ErrNoSecrets when o chooses none: an empty backup is a
// mistake, not a backup.
func Snapshot(ctx context.Context, v vault.Service, o vault.SnapshotOptions) (*Backup, error) {
	info, err := v.Info(ctx)
	if err != nil {
		return nil, err
	}
	secrets, set, err := v.Snapshot(ctx, o)
	if err != nil {
		return nil, err
	}
	if len(secrets) == 0 {
		return nil, ErrNoSecrets
	}
	return &Backup{Format: FormatVersion, Created: info.Now.UTC(), SourceVault: info.ID, Settings: &set, Secrets: secrets}, nil
}
