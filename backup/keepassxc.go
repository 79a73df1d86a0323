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
// Each entry becomes PREFIX/GROUP/TITLE (the root group "Root" dropped,
// other characters a name cannot hold turned into "-") holding the
// password, with tags username, url and notes (notes up to 512 bytes). The
// last-modified time becomes the version's creation time, so rotation
// status starts from when the password was really set. A TOTP seed becomes
// its own secret NAME/totp, since a tag would show it. Entries without a
// password are skipped.
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
		groups := strings.Split(field("Group"), "/")
		if groups[0] == "Root" {
			groups = groups[1:]
		}
		title := field("Title")
		if cleanSegment(title) == "" {
			title = "untitled"
		}
		name := nameFrom(prefix, append(groups, title)...)
		src := fmt.Sprintf("line %d (%s)", line, name)
		password := field("Password")
		if password == "" {
			f.skip(src, "no password")
			continue
		}
		tags := map[string]string{}
		for _, tc := range [][2]string{{"username", "Username"}, {"url", "URL"}, {"notes", "Notes"}} {
			tag, column := tc[0], tc[1]
			v := field(column)
			switch {
			case v == "":
			case len(v) > vault.MaxTagValueLen:
				f.skip(src, "%s is longer than %d bytes and was left out", column, vault.MaxTagValueLen)
			default:
				tags[tag] = v
			}
		}
		created := keepassTime(field("Created"))
		modified := keepassTime(field("Last Modified"))
		f.add(src, name, []byte(password), "", created, modified, tags)
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
