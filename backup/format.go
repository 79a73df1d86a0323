package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"locket/vault"
)

// FormatVersion is the version of the document this locket writes. Every
// version it ever wrote stays a case of Unmarshal.
const FormatVersion = 1

// Bounds on a document beyond the vault's own limits on each field.
const (
	maxSecrets  = 1 << 20
	maxVersions = 1 << 14
	maxSourceID = 128
)

// fileV1 is format 1, documented in the README ("Backups").
type fileV1 struct {
	Format      int               `json:"format"`
	Created     time.Time         `json:"created"`
	SourceVault string            `json:"source_vault,omitempty"`
	Settings    map[string]string `json:"settings,omitempty"`
	Secrets     []secretV1        `json:"secrets"`
}

type secretV1 struct {
	Name     string            `json:"name"`
	Enabled  *bool             `json:"enabled,omitempty"`
	Created  time.Time         `json:"created,omitzero"`
	Deleted  time.Time         `json:"deleted,omitzero"`
	Tags     map[string]string `json:"tags,omitempty"`
	Versions []versionV1       `json:"versions"`
}

type versionV1 struct {
	Version     int       `json:"version"`
	Value       []byte    `json:"value"`
	ContentType string    `json:"content_type,omitempty"`
	Created     time.Time `json:"created,omitzero"`
	Expires     time.Time `json:"expires,omitzero"`
	NotBefore   time.Time `json:"not_before,omitzero"`
	Actor       string    `json:"actor,omitempty"`
}

func toV1(b *Backup) fileV1 {
	f := fileV1{Format: 1, Created: b.Created.UTC(), SourceVault: b.SourceVault, Secrets: make([]secretV1, 0, len(b.Secrets))}
	if b.Settings != nil {
		f.Settings = map[string]string{}
		for _, k := range vault.SettingKeys {
			f.Settings[k], _ = b.Settings.Get(k)
		}
	}
	for _, sd := range b.Secrets {
		s := secretV1{Name: sd.Name, Enabled: new(sd.Enabled), Created: utc(sd.Created), Deleted: utc(sd.Deleted), Tags: sd.Tags}
		s.Versions = make([]versionV1, len(sd.Versions))
		for i, ver := range sd.Versions {
			s.Versions[i] = versionV1{
				Version: ver.Number, Value: sd.Values[i], ContentType: ver.ContentType,
				Created: utc(ver.Created), Expires: utc(ver.Expires), NotBefore: utc(ver.NotBefore), Actor: ver.Actor,
			}
		}
		f.Secrets = append(f.Secrets, s)
	}
	return f
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// maxElement bounds the JSON of one field or one version as it is read, so
// that a hostile file cannot make one element huge: a version's value is
// at most vault.MaxValueLen, 87 KiB in base64, and its other fields are
// small; the rest is room for escapes.
const maxElement = 1 << 20

// Unmarshal decodes and validates a backup document of any format version
// this locket knows.
func Unmarshal(doc []byte) (*Backup, error) {
	if int64(len(doc)) > maxDocument {
		return nil, fmt.Errorf("%w: its content exceeds %d MiB", ErrTooLarge, maxDocument>>20)
	}
	return collect(bytes.NewReader(doc))
}

// collect decodes the document r holds with every secret, sorted by name.
func collect(r io.Reader) (*Backup, error) {
	var secrets []vault.SecretData
	b, err := Stream(r, func(sd vault.SecretData) error {
		secrets = append(secrets, sd)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(secrets, func(x, y vault.SecretData) int { return strings.Compare(x.Name, y.Name) })
	b.Secrets = secrets
	return b, nil
}

// Stream decodes and validates a backup document from r one secret at a
// time, calling each with every secret in the file's order, so that
// memory is bounded by the largest secret rather than by the file. The
// Backup it returns holds everything but the secrets. It only succeeds
// once all of r is read: a caller acts on what each saw only then.
func Stream(r io.Reader, each func(vault.SecretData) error) (*Backup, error) {
	d := newDecoder(r)
	if err := d.begin(); err != nil {
		return nil, err
	}
	return d.body(each, false)
}

func newDecoder(r io.Reader) *decoder {
	d := &decoder{in: &budget{r: r}, seen: map[string]bool{}}
	d.dec = json.NewDecoder(d.in)
	d.dec.DisallowUnknownFields()
	return d
}

// errElement is returned when one element of the document exceeds
// maxElement; classify makes it ErrTooLarge.
var errElement = fmt.Errorf("%w: one element exceeds %d KiB", ErrTooLarge, maxElement>>10)

// budget bounds how much the JSON decoder may read for the element it is
// decoding: the decoder buffers a whole value before decoding it.
type budget struct {
	r     io.Reader
	n     int64
	limit int64
}

func (b *budget) Read(p []byte) (int, error) {
	if b.n >= b.limit {
		return 0, errElement
	}
	p = p[:min(int64(len(p)), b.limit-b.n)]
	n, err := b.r.Read(p)
	b.n += int64(n)
	return n, err
}

type decoder struct {
	in  *budget
	dec *json.Decoder

	// What the top-level fields read so far said.
	b        Backup
	settings map[string]string
	// unknown is a field this version does not know, read before the
	// format (which then says whether the file is newer).
	unknown string
	// seen and count are the secrets read so far.
	seen  map[string]bool
	count int
}

// value decodes the next JSON value into v within a fresh maxElement.
func (d *decoder) value(v any) error {
	d.in.limit = d.in.n + maxElement
	return d.dec.Decode(v)
}

// delim reads the next token, which must be want.
func (d *decoder) delim(want json.Delim) error {
	d.in.limit = d.in.n + maxElement
	t, err := d.dec.Token()
	if err != nil {
		return err
	}
	if t != want {
		return fmt.Errorf("expected %v", want)
	}
	return nil
}

// more reports whether the array or object goes on, within a fresh
// maxElement: looking ahead may read.
func (d *decoder) more() bool {
	d.in.limit = d.in.n + maxElement
	return d.dec.More()
}

// key reads the next object key.
func (d *decoder) key() (string, error) {
	d.in.limit = d.in.n + maxElement
	t, err := d.dec.Token()
	if err != nil {
		return "", err
	}
	k, ok := t.(string)
	if !ok {
		return "", errors.New("an object key is not a string")
	}
	return k, nil
}

// classify makes every failure wrap a sentinel: the reader's own errors
// (damaged, too large) pass through, anything else is invalid content.
func (d *decoder) classify(err error) error {
	switch {
	case errors.Is(err, ErrDamaged), errors.Is(err, ErrTooLarge), errors.Is(err, ErrNewerFormat), errors.Is(err, ErrFormat), errors.Is(err, errStopped):
		return err
	}
	if errors.Is(err, io.EOF) {
		// Token reports a document that ends too soon as a plain EOF.
		err = io.ErrUnexpectedEOF
	}
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: not valid JSON: %v", ErrFormat, err)
	}
	return fmt.Errorf("%w: %v", ErrFormat, err)
}

func bad(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, vault.Sanitize(fmt.Sprintf(format, a...)))
}

// The top-level object is read in steps, so that a stream can stop where
// the secrets begin (see Reader): begin reads its opening brace, fields
// the fields up to the secrets or the end, secrets the list, finish
// checks the whole once it is read. locket writes "format" first; a
// document that puts its secrets first is read as format 1 and its format
// checked at the end.

// begin reads the opening brace of the document.
func (d *decoder) begin() error {
	if err := d.delim('{'); err != nil {
		if errors.Is(err, ErrDamaged) || errors.Is(err, ErrTooLarge) {
			return err
		}
		return fmt.Errorf("%w: not valid JSON: not an object", ErrFormat)
	}
	return nil
}

// body reads the rest of the document, calling each with every secret,
// and checks it; atSecrets says that fields stopped at "secrets".
func (d *decoder) body(each func(vault.SecretData) error, atSecrets bool) (*Backup, error) {
	for {
		if atSecrets {
			if err := d.secrets(each); err != nil {
				return nil, d.classify(err)
			}
		}
		var err error
		if atSecrets, err = d.fields(); err != nil {
			return nil, err
		}
		if !atSecrets {
			return d.finish()
		}
	}
}

// fields reads top-level fields until the next is "secrets" (true, with
// its key read) or the object ends (false).
func (d *decoder) fields() (bool, error) {
	b := &d.b
	for d.more() {
		k, err := d.key()
		if err != nil {
			return false, d.classify(err)
		}
		switch strings.ToLower(k) { // as encoding/json, which matched names without case
		case "format":
			if err := d.value(&b.Format); err != nil {
				return false, fmt.Errorf("%w: format is not a whole number", ErrFormat)
			}
			if err := checkFormat(b.Format); err != nil {
				return false, err
			}
		case "created":
			err = d.value(&b.Created)
		case "source_vault":
			err = d.value(&b.SourceVault)
		case "settings":
			err = d.value(&d.settings)
		case "secrets":
			return true, nil
		default:
			if b.Format != 0 {
				err = fmt.Errorf("json: unknown field %q", k)
				break
			}
			d.unknown = k
			var skip json.RawMessage
			err = d.value(&skip)
		}
		if err != nil {
			return false, d.classify(err)
		}
	}
	return false, nil
}

// finish reads the end of the document and checks what it said.
func (d *decoder) finish() (*Backup, error) {
	if err := d.delim('}'); err != nil {
		return nil, d.classify(err)
	}
	// Reading to the end makes age authenticate the last chunk.
	if _, err := d.dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil && (errors.Is(err, ErrDamaged) || errors.Is(err, ErrTooLarge)) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: data after the document", ErrFormat)
	}
	b := &d.b
	if b.Format == 0 {
		return nil, fmt.Errorf("%w: no format version", ErrFormat)
	}
	if d.unknown != "" {
		return nil, fmt.Errorf("%w: json: unknown field %q", ErrFormat, d.unknown)
	}
	if err := d.head(); err != nil {
		return nil, err
	}
	return b, nil
}

// head checks the fields other than the secrets read so far.
func (d *decoder) head() error {
	b := &d.b
	if len(b.SourceVault) > maxSourceID || vault.Sanitize(b.SourceVault) != b.SourceVault {
		return bad("source_vault is not a vault id")
	}
	if d.settings != nil {
		set := vault.DefaultSettings()
		for k, val := range d.settings {
			if !vault.IsSettingKey(k) {
				return bad("unknown setting %q", k)
			}
			var err error
			if set, err = set.With(k, val); err != nil {
				return bad("setting %s: %v", k, err)
			}
		}
		b.Settings = &set
	}
	return nil
}

func checkFormat(f int) error {
	switch {
	case f == 1:
		return nil
	case f > FormatVersion:
		return fmt.Errorf("%w (format %d; this one reads up to %d): upgrade locket to import it", ErrNewerFormat, f, FormatVersion)
	default:
		return fmt.Errorf("%w: unknown format version %d", ErrFormat, f)
	}
}

// secrets reads the secrets array one secret at a time.
func (d *decoder) secrets(each func(vault.SecretData) error) error {
	d.in.limit = d.in.n + maxElement
	t, err := d.dec.Token()
	if err != nil {
		return err
	}
	if t == nil {
		return nil // "secrets": null, as an empty list
	}
	if t != json.Delim('[') {
		return errors.New("secrets is not a list")
	}
	for d.more() {
		if d.count++; d.count > maxSecrets {
			return fmt.Errorf("%w: more than %d secrets", ErrTooLarge, maxSecrets)
		}
		s, err := d.secret()
		if err != nil {
			return err
		}
		sd, err := checkSecret(s, d.count)
		if err != nil {
			return err
		}
		if d.seen[s.Name] {
			return bad("secret %q appears twice", s.Name)
		}
		d.seen[s.Name] = true
		if err := each(sd); err != nil {
			return err
		}
	}
	return d.delim(']')
}

// secret reads one secret, each field and each version within its own
// maxElement, so that only the secret's versions are ever held.
func (d *decoder) secret() (secretV1, error) {
	var s secretV1
	if err := d.delim('{'); err != nil {
		return s, err
	}
	for d.more() {
		k, err := d.key()
		if err != nil {
			return s, err
		}
		switch strings.ToLower(k) { // as encoding/json, which matched names without case
		case "name":
			err = d.value(&s.Name)
		case "enabled":
			err = d.value(&s.Enabled)
		case "created":
			err = d.value(&s.Created)
		case "deleted":
			err = d.value(&s.Deleted)
		case "tags":
			err = d.value(&s.Tags)
		case "versions":
			err = d.versions(&s)
		default:
			err = fmt.Errorf("json: unknown field %q", k)
		}
		if err != nil {
			return s, err
		}
	}
	return s, d.delim('}')
}

func (d *decoder) versions(s *secretV1) error {
	d.in.limit = d.in.n + maxElement
	t, err := d.dec.Token()
	if err != nil {
		return err
	}
	if t == nil {
		return nil
	}
	if t != json.Delim('[') {
		return errors.New("versions is not a list")
	}
	for d.more() {
		if len(s.Versions) >= maxVersions {
			return fmt.Errorf("%w: a secret has more than %d versions", ErrTooLarge, maxVersions)
		}
		var v versionV1
		if err := d.value(&v); err != nil {
			return err
		}
		s.Versions = append(s.Versions, v)
	}
	return d.delim(']')
}

// checkSecret validates the i-th secret of a file as a stranger wrote it.
func checkSecret(s secretV1, i int) (vault.SecretData, error) {
	if err := vault.ValidateName(s.Name); err != nil {
		return vault.SecretData{}, bad("secret %d: %v", i, err)
	}
	if err := vault.ValidateTags(s.Tags); err != nil {
		return vault.SecretData{}, bad("secret %q: %v", s.Name, err)
	}
	if len(s.Versions) == 0 {
		return vault.SecretData{}, bad("secret %q has no versions", s.Name)
	}
	if err := vault.ValidateTimes(vault.NamedTime{What: "created", T: s.Created}, vault.NamedTime{What: "deleted", T: s.Deleted}); err != nil {
		return vault.SecretData{}, bad("secret %q: %v", s.Name, err)
	}
	sd := vault.SecretData{Secret: vault.Secret{Name: s.Name, Enabled: s.Enabled == nil || *s.Enabled, Created: s.Created, Deleted: s.Deleted, Tags: s.Tags}}
	prev := 0
	for _, ver := range s.Versions {
		if ver.Version <= prev {
			return vault.SecretData{}, bad("secret %q: version numbers must increase from 1", s.Name)
		}
		prev = ver.Version
		if err := vault.ValidateValue(ver.Value); err != nil {
			return vault.SecretData{}, bad("secret %q version %d: %v", s.Name, ver.Version, err)
		}
		if err := vault.ValidateContentType(ver.ContentType); err != nil {
			return vault.SecretData{}, bad("secret %q version %d: %v", s.Name, ver.Version, err)
		}
		if !vault.ValidActor(ver.Actor) {
			return vault.SecretData{}, bad("secret %q version %d: actor is too long or holds control characters", s.Name, ver.Version)
		}
		if err := vault.ValidateTimes(vault.NamedTime{What: "created", T: ver.Created}, vault.NamedTime{What: "expires", T: ver.Expires}, vault.NamedTime{What: "not-before", T: ver.NotBefore}); err != nil {
			return vault.SecretData{}, bad("secret %q version %d: %v", s.Name, ver.Version, err)
		}
		sd.Versions = append(sd.Versions, vault.Version{
			Number: ver.Version, ContentType: ver.ContentType, Created: ver.Created,
			Expires: ver.Expires, NotBefore: ver.NotBefore, Actor: ver.Actor, Size: len(ver.Value),
		})
		sd.Values = append(sd.Values, ver.Value)
	}
	return sd, nil
}
