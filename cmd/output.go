package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

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

// table prints aligned columns. Every cell is sanitised: names, tags and
// notes come from users and must not reach the terminal raw.
func table(w io.Writer, header []string, rows [][]string) error {
	var buf strings.Builder
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, vault.Sanitize(c))
		}
		fmt.Fprintln(tw)
	}
	line(header)
	for _, r := range rows {
		line(r)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// An empty last column leaves padding behind; drop it.
	for l := range strings.Lines(buf.String()) {
		if _, err := fmt.Fprintln(w, strings.TrimRight(l, " \n")); err != nil {
			return err
		}
	}
	return nil
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
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		parts = append(parts, k+"="+tags[k])
	}
	return strings.Join(parts, ",")
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
