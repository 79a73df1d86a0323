package cmd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"locket/vault"
)

// writeJSON prints v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// jsonTime formats t as RFC 3339 UTC, or "" for the zero time so that
// omitempty drops it.
func jsonTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// humanTime formats t for tables: UTC to the minute, "-" when unset.
func humanTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// table prints aligned columns: each column as wide as its widest cell in
// runes plus two spaces, the last one unpadded and every line without
// trailing blanks (text/tabwriter's layout, in one pass over the cells and
// one buffered write; tabwriter and a write per line took most of a list of
// 100k secrets). Every cell is sanitised: names, tags and notes come from
// users and must not reach the terminal raw; rows are sanitised in place.
// Sanitised text is valid UTF-8
// without control characters, so a cell's width is its rune count.
func table(w io.Writer, header []string, rows [][]string) error {
	var widths []int
	measure := func(cells []string) {
		for i, c := range cells {
			c = vault.Sanitize(c)
			cells[i] = c
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	header = slices.Clone(header)
	measure(header)
	for _, r := range rows {
		measure(r)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var line []byte
	write := func(cells []string) error {
		line = line[:0]
		for i, c := range cells {
			line = append(line, c...)
			if i < len(cells)-1 {
				for pad := widths[i] + 2 - utf8.RuneCountInString(c); pad > 0; pad-- {
					line = append(line, ' ')
				}
			}
		}
		// An empty last column leaves padding behind; drop it.
		line = append(bytes.TrimRight(line, " "), '\n')
		_, err := bw.Write(line)
		return err
	}
	if err := write(header); err != nil {
		return err
	}
	for _, r := range rows {
		if err := write(r); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// fields prints "key: value" lines with the values aligned.
func fields(w io.Writer, kv [][2]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	for _, f := range kv {
		fmt.Fprintf(tw, "%s:\t%s\n", f[0], vault.Sanitize(f[1]))
	}
	return tw.Flush()
}

// formatTags prints tags as k=v pairs sorted by key.
func formatTags(tags map[string]string) string {
	if len(tags) == 0 {
		return ""
	}
	// Secrets have a few tags: their keys sort on the stack, and the
	// string is built once (a list formats 100k of them).
	var buf [8]string
	keys, n := buf[:0], len(tags)-1
	for k, v := range tags {
		keys = append(keys, k)
		n += len(k) + 1 + len(v)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.Grow(n)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(tags[k])
	}
	return b.String()
}

// parseTags reads repeated k=v arguments.

// versionJSON is a version in --json output.
type versionJSON struct {
	Version     int    `json:"version"`
	Current     bool   `json:"current"`
	ContentType string `json:"content_type"`
	Created     string `json:"created"`
	Expires     string `json:"expires,omitempty"`
	NotBefore   string `json:"not_before,omitempty"`
	Actor       string `json:"actor"`
	Size        int    `json:"size"`
}

func newVersionJSON(v vault.Version, current bool) versionJSON {
	return versionJSON{
		Version: v.Number, Current: current, ContentType: v.ContentType,
		Created: jsonTime(v.Created), Expires: jsonTime(v.Expires), NotBefore: jsonTime(v.NotBefore),
		Actor: v.Actor, Size: v.Size,
	}
}

// secretJSON is a secret in --json output of show and list: all its
// metadata, never its value.
type secretJSON struct {
	Name        string            `json:"name"`
	Status      string            `json:"status"`
	Enabled     bool              `json:"enabled"`
	Version     int               `json:"version"`
	ContentType string            `json:"content_type"`
	Created     string            `json:"created"`
	Updated     string            `json:"updated"`
	Expires     string            `json:"expires,omitempty"`
	NotBefore   string            `json:"not_before,omitempty"`
	RotateEvery string            `json:"rotate_every"`
	StaleAt     string            `json:"stale_at"`
	Tags        map[string]string `json:"tags"`
	Deleted     string            `json:"deleted,omitempty"`
	PurgeAt     string            `json:"purge_at,omitempty"`
	// Versions is show's full version list, newest first; list leaves it out.
	Versions []versionJSON `json:"versions,omitempty"`
}

func newSecretJSON(s vault.Secret, at time.Time, set vault.Settings) secretJSON {
	cur := s.Current()
	out := secretJSON{
		Name: s.Name, Status: string(s.Status(at, set)), Enabled: s.Enabled,
		Version: cur.Number, ContentType: cur.ContentType,
		Created: jsonTime(s.Created), Updated: jsonTime(s.Updated),
		Expires: jsonTime(cur.Expires), NotBefore: jsonTime(cur.NotBefore),
		RotateEvery: vault.FormatDuration(s.RotateEvery(set)), StaleAt: jsonTime(s.StaleAt(set)),
		Tags: s.Tags,
	}
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	if s.InTrash() {
		out.Deleted = jsonTime(s.Deleted)
		out.PurgeAt = jsonTime(set.PurgeAt(s.Deleted))
	}
	return out
}

// newestFirst returns a secret's versions, newest first.
func newestFirst(s vault.Secret) []vault.Version {
	vs := slices.Clone(s.Versions)
	slices.Reverse(vs)
	return vs
}
