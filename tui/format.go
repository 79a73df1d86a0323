package tui

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"locket/vault"
)

// age formats how long ago t was, compactly: 45s, 12m, 5h, 61d, 2y.
func age(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return vault.FormatShort(now.Sub(t))
}

// plural says "1 secret", "2 secrets".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// when formats a moment with its distance from now: "2026-01-02 15:04 (in 12d)".
func when(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04") + " (" + relative(now, t) + ")"
}

// relative says "in 5d" or "62d ago".
func relative(now, t time.Time) string {
	if d := t.Sub(now); d > 0 {
		return "in " + vault.FormatShort(d)
	}
	return vault.FormatShort(now.Sub(t)) + " ago"
}

// fit sanitises s for the terminal and truncates it to width cells.
func fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	return ansi.Truncate(vault.Sanitize(s), width, "…")
}

// pad fits s (already safe) into exactly width cells.
func pad(s string, width int) string {
	if width <= 0 {
		return ""
	}
	s = ansi.Truncate(s, width, "…")
	if w := lipgloss.Width(s); w < width {
		s += strings.Repeat(" ", width-w)
	}
	return s
}

// tagLine renders tags sorted as "k=v k=v", sanitised, without the
// snooze-until tag that the status word already tells.
func tagLine(e *entry) string {
	if len(e.s.Tags) == 0 {
		return ""
	}
	if _, ok := e.s.Tags[vault.TagSnoozeUntil]; ok {
		tags := maps.Clone(e.s.Tags)
		delete(tags, vault.TagSnoozeUntil)
		return vault.Sanitize(joinTags(tags))
	}
	return vault.Sanitize(joinTags(e.s.Tags))
}

// joinTags is tags as sorted "k=v" words, not sanitised.
func joinTags(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k + "=" + tags[k])
	}
	return b.String()
}

// lines pads or cuts text to exactly h lines of width w.
func lines(text string, w, h int) string {
	h = max(h, 0)
	ls := strings.Split(text, "\n")
	if len(ls) > h {
		ls = ls[:h]
	}
	for i := range ls {
		ls[i] = pad(ls[i], w)
	}
	for len(ls) < h {
		ls = append(ls, strings.Repeat(" ", w))
	}
	return strings.Join(ls, "\n")
}
