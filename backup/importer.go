package backup

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

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
	// Renamed maps each secret whose name differs from its entry's path
	// in the foreign store (characters a name cannot hold, a duplicate)
	// to that path, so that the plan can say where it came from.
	Renamed map[string]string

	names map[string]bool
}

// rename notes that the secret name came from the foreign path orig.
func (f *Found) rename(name, orig string) {
	if f.Renamed == nil {
		f.Renamed = map[string]string{}
	}
	f.Renamed[name] = orig
}

func (f *Found) skip(source, format string, a ...any) {
	f.Skipped = append(f.Skipped, Skipped{Source: source, Reason: fmt.Sprintf(format, a...)})
}

// add appends a one-version secret and returns its name, "" when it was
// skipped. A name taken by an earlier entry gets a -2, -3... suffix, since
// foreign stores allow duplicates locket does not.
func (f *Found) add(source, name string, value []byte, ct string, created, modified time.Time, tags map[string]string) string {
	if err := vault.ValidateValue(value); err != nil {
		f.skip(source, "%v", err)
		return ""
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
		return ""
	}
	if err := vault.ValidateTags(tags); err != nil {
		f.skip(source, "%v", err)
		return ""
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
	return name
}

// addAt adds the secret for the foreign path segments under prefix and
// records a rename when its name had to differ from that path.
func (f *Found) addAt(source, prefix string, segments []string, value []byte, ct string, created, modified time.Time, tags map[string]string) string {
	want, changed := nameFrom(prefix, segments...)
	got := f.add(source, want, value, ct, created, modified, tags)
	if got != "" && (changed || got != want) {
		f.rename(got, strings.Join(segments, "/"))
	}
	return got
}

// nameFrom builds a valid secret name from a prefix and the segments of a
// foreign path (a pass file, a KeePassXC group and title). Accented
// letters lose their accents ("Ünïcödé" becomes "Unicode"); other
// characters a name cannot hold become "-"; "." and ".." segments become
// "_" and "__". changed says whether any segment had to change.
func nameFrom(prefix string, segments ...string) (name string, changed bool) {
	var parts []string
	for _, p := range strings.Split(prefix, "/") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	for _, s := range segments {
		c := cleanSegment(s)
		if c != s {
			changed = true
		}
		if c != "" {
			parts = append(parts, c)
		}
	}
	return strings.Join(parts, "/"), changed
}

// stripMarks decomposes letters and drops their combining marks, so that
// "é" becomes "e" rather than a "-" that loses the word. A chain keeps
// state, so each call gets its own: importers run concurrently.
func stripMarks() transform.Transformer {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}

func cleanSegment(s string) string {
	if plain, _, err := transform.String(stripMarks(), s); err == nil {
		s = plain
	}
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
