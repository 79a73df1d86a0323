package backup

import (
	"fmt"
	"strings"
	"time"

	"locket/vault"
)

// Skipped is an entry an importer could not take, and why.
type Skipped struct {
	Source string `json:"source"`
	Reason string `json:"reason"`
}

// Found is what an importer read from a foreign store: the secrets, ready
// for vault.Import, and the entries it left out.
type Found struct {
	Secrets []vault.SecretData
	Skipped []Skipped

	names map[string]bool
}

func (f *Found) skip(source, format string, a ...any) {
	f.Skipped = append(f.Skipped, Skipped{Source: source, Reason: fmt.Sprintf(format, a...)})
}

// add appends a one-version secret. A name taken by an earlier entry gets
// a -2, -3... suffix, since foreign stores allow duplicates locket does not.
func (f *Found) add(source, name string, value []byte, ct string, created, modified time.Time, tags map[string]string) {
	if err := vault.ValidateValue(value); err != nil {
		f.skip(source, "%v", err)
		return
	}
	if f.names == nil {
		f.names = map[string]bool{}
	}
	base := name
	for i := 2; f.names[name]; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	if err := vault.ValidateName(name); err != nil {
		f.skip(source, "%v", err)
		return
	}
	if err := vault.ValidateTags(tags); err != nil {
		f.skip(source, "%v", err)
		return
	}
	f.names[name] = true
	if len(tags) == 0 {
		tags = nil
	}
	f.Secrets = append(f.Secrets, vault.SecretData{
		Secret: vault.Secret{Name: name, Enabled: true, Created: created, Tags: tags,
			Versions: []vault.Version{{ContentType: ct, Created: modified}}},
		Values: [][]byte{value},
	})
}

// nameFrom builds a valid secret name from a prefix and the segments of a
// foreign path (a pass file, a KeePassXC group and title). Characters a
// name cannot hold become "-"; "." and ".." segments become "_" and "__".
func nameFrom(prefix string, segments ...string) string {
	var parts []string
	for _, p := range strings.Split(prefix, "/") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	for _, s := range segments {
		if s = cleanSegment(s); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "/")
}

func cleanSegment(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		ok := r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._@+-", r))
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if strings.Trim(out, ".") == "" && out != "" {
		out = strings.ReplaceAll(out, ".", "_")
	}
	return out
}

// timeZero leaves a time for the import to fill in (the moment of import).
var timeZero time.Time
