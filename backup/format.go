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

// Unmarshal decodes and validates a backup document of any format version
// this locket knows.
func Unmarshal(doc []byte) (*Backup, error) {
	if int64(len(doc)) > maxDocument {
		return nil, fmt.Errorf("%w: its content exceeds %d MiB", ErrTooLarge, maxDocument>>20)
	}
	format, err := formatOf(doc)
	if err != nil {
		return nil, err
	}
	switch f := format; {
	case f == 1:
		return unmarshalV1(doc)
	case f > FormatVersion:
		return nil, fmt.Errorf("%w (format %d; this one reads up to %d): upgrade locket to import it", ErrNewerFormat, f, FormatVersion)
	default:
		return nil, fmt.Errorf("%w: unknown format version %d", ErrFormat, f)
	}
}

// formatOf finds the top-level "format" field without decoding the rest
// of the document when, as locket writes it, the field comes first.
func formatOf(doc []byte) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return 0, fmt.Errorf("%w: not valid JSON: not an object", ErrFormat)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return 0, fmt.Errorf("%w: not valid JSON: %v", ErrFormat, err)
		}
		if t == "format" {
			var f int
			if err := dec.Decode(&f); err != nil {
				return 0, fmt.Errorf("%w: format is not a whole number", ErrFormat)
			}
			return f, nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return 0, fmt.Errorf("%w: not valid JSON: %v", ErrFormat, err)
		}
	}
	return 0, fmt.Errorf("%w: no format version", ErrFormat)
}

// strict decodes one JSON value into v, refusing unknown fields and
// trailing data: a field this version does not know means a newer format.
func strict(doc []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("not valid JSON: %v", err)
		}
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the document")
	}
	return nil
}

func unmarshalV1(doc []byte) (*Backup, error) {
	var f fileV1
	if err := strict(doc, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrFormat, vault.Sanitize(fmt.Sprintf(format, a...)))
	}
	if len(f.SourceVault) > maxSourceID || vault.Sanitize(f.SourceVault) != f.SourceVault {
		return nil, bad("source_vault is not a vault id")
	}
	b := &Backup{Format: 1, Created: f.Created, SourceVault: f.SourceVault}
	if f.Settings != nil {
		set := vault.DefaultSettings()
		for k, val := range f.Settings {
			if !vault.IsSettingKey(k) {
				return nil, bad("unknown setting %q", k)
			}
			var err error
			if set, err = set.With(k, val); err != nil {
				return nil, bad("setting %s: %v", k, err)
			}
		}
		b.Settings = &set
	}
	if len(f.Secrets) > maxSecrets {
		return nil, fmt.Errorf("%w: %d secrets, the limit is %d", ErrTooLarge, len(f.Secrets), maxSecrets)
	}
	seen := make(map[string]bool, len(f.Secrets))
	b.Secrets = make([]vault.SecretData, 0, len(f.Secrets))
	for i, s := range f.Secrets {
		if err := vault.ValidateName(s.Name); err != nil {
			return nil, bad("secret %d: %v", i+1, err)
		}
		if seen[s.Name] {
			return nil, bad("secret %q appears twice", s.Name)
		}
		seen[s.Name] = true
		if err := vault.ValidateTags(s.Tags); err != nil {
			return nil, bad("secret %q: %v", s.Name, err)
		}
		if len(s.Versions) == 0 {
			return nil, bad("secret %q has no versions", s.Name)
		}
		if len(s.Versions) > maxVersions {
			return nil, fmt.Errorf("%w: secret %q has %d versions, the limit is %d", ErrTooLarge, s.Name, len(s.Versions), maxVersions)
		}
		if err := vault.ValidateTimes(vault.NamedTime{What: "created", T: s.Created}, vault.NamedTime{What: "deleted", T: s.Deleted}); err != nil {
			return nil, bad("secret %q: %v", s.Name, err)
		}
		sd := vault.SecretData{Secret: vault.Secret{Name: s.Name, Enabled: s.Enabled == nil || *s.Enabled, Created: s.Created, Deleted: s.Deleted, Tags: s.Tags}}
		prev := 0
		for _, ver := range s.Versions {
			if ver.Version <= prev {
				return nil, bad("secret %q: version numbers must increase from 1", s.Name)
			}
			prev = ver.Version
			if err := vault.ValidateValue(ver.Value); err != nil {
				return nil, bad("secret %q version %d: %v", s.Name, ver.Version, err)
			}
			if err := vault.ValidateContentType(ver.ContentType); err != nil {
				return nil, bad("secret %q version %d: %v", s.Name, ver.Version, err)
			}
			if !vault.ValidActor(ver.Actor) {
				return nil, bad("secret %q version %d: actor is too long or holds control characters", s.Name, ver.Version)
			}
			if err := vault.ValidateTimes(vault.NamedTime{What: "created", T: ver.Created}, vault.NamedTime{What: "expires", T: ver.Expires}, vault.NamedTime{What: "not-before", T: ver.NotBefore}); err != nil {
				return nil, bad("secret %q version %d: %v", s.Name, ver.Version, err)
			}
			sd.Versions = append(sd.Versions, vault.Version{
				Number: ver.Version, ContentType: ver.ContentType, Created: ver.Created,
				Expires: ver.Expires, NotBefore: ver.NotBefore, Actor: ver.Actor, Size: len(ver.Value),
			})
			sd.Values = append(sd.Values, ver.Value)
		}
		b.Secrets = append(b.Secrets, sd)
	}
	slices.SortFunc(b.Secrets, func(x, y vault.SecretData) int { return strings.Compare(x.Name, y.Name) })
	return b, nil
}
