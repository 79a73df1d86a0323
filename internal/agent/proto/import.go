package proto

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"locket/vault"
)

// Import, POST {prefix}import, is the one call whose argument is a stream.
// The request body is NDJSON (application/x-ndjson), one ImportFrame a
// line, in this order:
//
//	{"options":{...}}                          once, first
//	{"remote":{...}}                           per pulled secret, sync pulls only
//	{"secret":{...},"count":N}                 per secret, its versions left out,
//	{"version":{...},"value":"base64"}         then N frames, oldest version first
//	{"end":true}                               once, last; nothing may follow
//
// A line is at most MaxFrame bytes, a secret has at most MaxVersions
// versions and a stream at most MaxSecrets secrets: the bounds the direct
// path (backup import) puts on a file. A stream that breaks any of them, or
// ends without its end frame, imports nothing. The answer is NDJSON too,
// sent while the body is still being read: ImportLine progress reports,
// then one ImportLine with the report and the error, if any.

// The bounds of an import stream; backup's reader has the same ones
// (a test holds them equal).
const (
	MaxFrame    = 1 << 20
	MaxVersions = 1 << 14
	MaxSecrets  = 1 << 20
)

// ImportFrame is one line of an import stream; exactly one of its fields
// is set (Count goes with Secret, Value with Version).
type ImportFrame struct {
	Options *ImportOptions `json:"options,omitempty"`
	Remote  *SyncRemote    `json:"remote,omitempty"`
	Secret  *vault.Secret  `json:"secret,omitempty"`
	Count   int            `json:"count,omitempty"`
	Version *vault.Version `json:"version,omitempty"`
	Value   []byte         `json:"value,omitempty"`
	End     bool           `json:"end,omitempty"`
}

// ImportOptions is vault.ImportOptions on the wire, without the progress
// channel (progress comes back in the answer) and with a sync pull's
// remote state sent as "remote" frames.
type ImportOptions struct {
	OnConflict vault.OnConflict `json:"on_conflict,omitempty"`
	DryRun     bool             `json:"dry_run,omitempty"`
	Settings   *vault.Settings  `json:"settings,omitempty"`
	Note       string           `json:"note,omitempty"`
	Expect     int              `json:"expect,omitempty"`
	// SyncTarget makes the import a pull from this sync target.
	SyncTarget string `json:"sync_target,omitempty"`
}

// SyncRemote is one vault.SyncRemote of a sync pull, with its name.
type SyncRemote struct {
	Name          string            `json:"name"`
	ServerVersion int               `json:"server_version"`
	Meta          map[string]string `json:"meta,omitempty"`
	Expires       time.Time         `json:"expires,omitzero"`
	NotBefore     time.Time         `json:"not_before,omitzero"`
}

// ImportLine is one line of an import's answer: a progress report, or the
// last line with the report and the error (a conflict carries both).
type ImportLine struct {
	Progress *vault.ImportProgress `json:"progress,omitempty"`
	Report   *vault.ImportReport   `json:"report,omitempty"`
	Error    *Error                `json:"error,omitempty"`
}

// ErrTooLarge: a body or a frame is over its limit.
var ErrTooLarge = errors.New("too large")

// ErrUnsupported: a call, a field or a frame this protocol does not have.
var ErrUnsupported = errors.New("unsupported")

// FrameWriter writes an import stream.
type FrameWriter struct {
	w   *bufio.Writer
	enc *json.Encoder
}

// NewFrameWriter writes frames to w.
func NewFrameWriter(w io.Writer) *FrameWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	return &FrameWriter{w: bw, enc: json.NewEncoder(bw)}
}

// Options writes the first frame, and a sync pull's remote frames.
func (fw *FrameWriter) Options(o vault.ImportOptions) error {
	wo := ImportOptions{OnConflict: o.OnConflict, DryRun: o.DryRun, Settings: o.Settings, Note: o.Note, Expect: o.Expect}
	if o.Sync != nil {
		wo.SyncTarget = o.Sync.Target
		if wo.SyncTarget == "" {
			return fmt.Errorf("%w: a sync pull without a target", vault.ErrInvalid)
		}
	}
	if err := fw.enc.Encode(ImportFrame{Options: &wo}); err != nil {
		return err
	}
	if o.Sync != nil {
		for name, r := range o.Sync.Remote {
			f := SyncRemote{Name: name, ServerVersion: r.ServerVersion, Meta: r.Meta, Expires: r.Expires, NotBefore: r.NotBefore}
			if err := fw.enc.Encode(ImportFrame{Remote: &f}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Secret writes one secret's frames.
func (fw *FrameWriter) Secret(sd vault.SecretData) error {
	if len(sd.Values) != len(sd.Versions) {
		return fmt.Errorf("%w: %d values for %d versions", vault.ErrInvalid, len(sd.Values), len(sd.Versions))
	}
	meta := sd.Secret
	meta.Versions = nil
	if err := fw.enc.Encode(ImportFrame{Secret: &meta, Count: len(sd.Versions)}); err != nil {
		return err
	}
	for i := range sd.Versions {
		if err := fw.enc.Encode(ImportFrame{Version: &sd.Versions[i], Value: sd.Values[i]}); err != nil {
			return err
		}
	}
	return nil
}

// End writes the end frame and flushes.
func (fw *FrameWriter) End() error {
	if err := fw.enc.Encode(ImportFrame{End: true}); err != nil {
		return err
	}
	return fw.w.Flush()
}

// FrameReader reads an import stream, within its bounds.
type FrameReader struct {
	r       *bufio.Reader
	secrets int
}

// NewFrameReader reads frames from r.
func NewFrameReader(r io.Reader) *FrameReader {
	return &FrameReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// ErrNoEnd: the stream ended without its end frame.
var ErrNoEnd = errors.New("the import stream ended before its end frame")

// next reads one frame, refusing a line over MaxFrame and unknown fields.
func (fr *FrameReader) next() (ImportFrame, error) {
	var line []byte
	for {
		chunk, err := fr.r.ReadSlice('\n')
		if len(line)+len(chunk) > MaxFrame {
			return ImportFrame{}, fmt.Errorf("%w: an import frame is over %d KiB", ErrTooLarge, MaxFrame>>10)
		}
		line = append(line, chunk...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			err = ErrNoEnd
		}
		return ImportFrame{}, err
	}
	var f ImportFrame
	if err := DecodeStrict(line, &f); err != nil {
		return ImportFrame{}, err
	}
	return f, nil
}

// Options reads the first frame and any remote frames after it; it
// returns the first secret frame's successor state through Next.
func (fr *FrameReader) Options() (vault.ImportOptions, error) {
	f, err := fr.next()
	if err != nil {
		return vault.ImportOptions{}, err
	}
	if f.Options == nil {
		return vault.ImportOptions{}, fmt.Errorf("%w: an import stream starts with its options", vault.ErrInvalid)
	}
	wo := f.Options
	o := vault.ImportOptions{OnConflict: wo.OnConflict, DryRun: wo.DryRun, Settings: wo.Settings, Note: wo.Note, Expect: wo.Expect}
	if wo.SyncTarget != "" {
		o.Sync = &vault.SyncPull{Target: wo.SyncTarget, Remote: map[string]vault.SyncRemote{}}
	}
	return o, nil
}

// Next reads the next secret with its values; ok is false after the end
// frame, which must be the last thing in the stream. Remote frames, which
// come before the first secret, go into o.Sync.
func (fr *FrameReader) Next(o *vault.ImportOptions) (sd vault.SecretData, ok bool, err error) {
	for {
		f, err := fr.next()
		if err != nil {
			return sd, false, err
		}
		switch {
		case f.End:
			// Reading on to the body's end lets the server notice when the
			// client goes away while the import is still being written.
			if n, err := fr.r.Read(make([]byte, 1)); n > 0 || !errors.Is(err, io.EOF) {
				if err == nil || n > 0 {
					err = fmt.Errorf("%w: data after the end frame", vault.ErrInvalid)
				}
				return sd, false, err
			}
			return sd, false, nil
		case f.Remote != nil:
			if o.Sync == nil || fr.secrets > 0 {
				return sd, false, fmt.Errorf("%w: a remote frame outside a sync pull's start", vault.ErrInvalid)
			}
			if len(o.Sync.Remote) >= MaxSecrets {
				return sd, false, fmt.Errorf("%w: more than %d secrets", ErrTooLarge, MaxSecrets)
			}
			r := f.Remote
			o.Sync.Remote[r.Name] = vault.SyncRemote{ServerVersion: r.ServerVersion, Meta: r.Meta, Expires: r.Expires, NotBefore: r.NotBefore}
		case f.Secret != nil:
			if fr.secrets++; fr.secrets > MaxSecrets {
				return sd, false, fmt.Errorf("%w: more than %d secrets", ErrTooLarge, MaxSecrets)
			}
			if f.Count < 0 || f.Count > MaxVersions {
				return sd, false, fmt.Errorf("%w: a secret has more than %d versions", ErrTooLarge, MaxVersions)
			}
			sd.Secret = *f.Secret
			sd.Versions = make([]vault.Version, 0, f.Count)
			sd.Values = make([][]byte, 0, f.Count)
			for range f.Count {
				vf, err := fr.next()
				if err != nil {
					return sd, false, err
				}
				if vf.Version == nil {
					return sd, false, fmt.Errorf("%w: %d version frames expected after a secret", vault.ErrInvalid, f.Count)
				}
				sd.Versions = append(sd.Versions, *vf.Version)
				sd.Values = append(sd.Values, vf.Value)
			}
			return sd, true, nil
		default:
			return sd, false, fmt.Errorf("%w: an import frame out of place", vault.ErrInvalid)
		}
	}
}

// DecodeStrict decodes one JSON value from b into v: a field v does not
// have is ErrUnsupported (a newer client's option is never dropped), and
// anything after the value is invalid.
func DecodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if isUnknownField(err) {
			return fmt.Errorf("%w: %v", ErrUnsupported, err)
		}
		return fmt.Errorf("%w: %v", vault.ErrInvalid, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: more than one JSON value", vault.ErrInvalid)
	}
	return nil
}

// isUnknownField: encoding/json has no sentinel for it, only this text.
func isUnknownField(err error) bool {
	return bytes.HasPrefix([]byte(err.Error()), []byte("json: unknown field "))
}
