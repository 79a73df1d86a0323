package backup

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"locket/vault"
)

// ImportKeePassXC reads the CSV that KeePassXC exports (Database > Export >
// CSV File), whose header is "Group","Title","Username","Password","URL",
// "Notes","TOTP","Icon","Last Modified","Created". Columns are found by
// their header, so older exports without TOTP or times also work.
//
// Each entry becomes PREFIX/GROUP/TITLE (the root group dropped whatever
// its name, accents removed, other characters a name cannot hold turned
// into "-", each such rename recorded) holding the password, with tags
// username and url. Notes become their own secret NAME/notes, and so do a
// username or URL too long for a tag. The last-modified time becomes the
// version's creation time, so rotation status starts from when the
// password was really set. A TOTP seed becomes its own secret NAME/totp,
// since a tag would show it. Entries without a password are skipped.
func ImportKeePassXC(r io.Reader, prefix string) (*Found, error) {
	cr := csv.NewReader(io.LimitReader(r, 256<<20))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the CSV file is empty")
	}
	if err != nil {
		return nil, fmt.Errorf("CSV: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimPrefix(h, "\ufeff")] = i
	}
	for _, need := range []string{"Title", "Password"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("not a KeePassXC CSV export: no %q column in the header", need)
		}
	}
	f := &Found{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, fmt.Errorf("CSV line %d has %d fields, the header %d", line, len(rec), len(header))
		}
		field := func(name string) string {
			if i, ok := col[name]; ok {
				return rec[i]
			}
			return ""
		}
		// KeePassXC writes the whole group path, root included, and the
		// root is named "Root" or whatever db-create or the user called it
		// ("Passwords"): it is the database, not a folder.
		groups := strings.Split(field("Group"), "/")[1:]
		title := field("Title")
		if cleanSegment(title) == "" {
			title = "untitled"
		}
		segments := append(groups, title)
		name, _ := nameFrom(prefix, segments...)
		src := fmt.Sprintf("line %d (%s)", line, name)
		password := field("Password")
		if password == "" {
			f.skip(src, "no password")
			continue
		}
		created := keepassTime(field("Created"))
		modified := keepassTime(field("Last Modified"))
		// Username and URL are tags when they fit one; notes, which are
		// free text of any length and lines, and anything too long for a
		// tag become secrets of their own beside the password, as the TOTP
		// seed does, so that nothing is dropped or mangled.
		tags := map[string]string{}
		var extra [][2]string
		for _, tc := range [][2]string{{"username", "Username"}, {"url", "URL"}} {
			tag, column := tc[0], tc[1]
			switch v := field(column); {
			case v == "":
			case len(v) > vault.MaxTagValueLen || strings.ContainsAny(v, "\r\n"):
				extra = append(extra, [2]string{tag, v})
			default:
				tags[tag] = v
			}
		}
		if notes := field("Notes"); notes != "" {
			extra = append(extra, [2]string{"notes", notes})
		}
		name = f.addAt(src, prefix, segments, []byte(password), "", created, modified, tags)
		if name == "" {
			continue
		}
		for _, e := range extra {
			f.add(src+" "+e[0], name+"/"+e[0], []byte(e[1]), "text/plain", created, modified, nil)
		}
		if totp := field("TOTP"); totp != "" {
			f.add(src+" TOTP", name+"/totp", []byte(totp), "otpauth", created, modified, nil)
		}
	}
	return f, nil
}

// keepassTime parses KeePassXC's ISO 8601 times; anything else is left
// for the import to fill in.
func keepassTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
