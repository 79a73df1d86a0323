package tui

import (
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"locket/tui/styles"
	"locket/vault"
)

// listView is a virtualised list over a filter result: it draws only the
// rows that fit, so 100k secrets cost no more than 40.
type listView struct {
	ix     *index
	rows   []int32
	cursor int
	offset int
	width  int
	height int
	focus  bool
	// health maps names to their health issues, nil until checked.
	health map[string][]vault.HealthIssue
}

// SetSize sets the rows and columns the list may use.
func (l *listView) SetSize(w, h int) {
	l.width, l.height = w, max(h, 1)
	l.clamp()
}

// setRows replaces the rows, keeping the cursor on the same secret when
// it is still listed.
func (l *listView) setRows(ix *index, rows []int32) {
	keep := l.selected()
	l.ix, l.rows = ix, rows
	l.cursor = 0
	if keep != nil {
		l.selectName(keep.Name)
	}
	l.clamp()
}

// selectName moves the cursor to name; it reports whether it found it.
func (l *listView) selectName(name string) bool {
	if l.ix == nil {
		return false
	}
	for i, r := range l.rows {
		if l.ix.entries[r].s.Name == name {
			l.cursor = i
			l.clamp()
			return true
		}
	}
	return false
}

func (l *listView) selectedEntry() *entry {
	if l.ix == nil || l.cursor < 0 || l.cursor >= len(l.rows) {
		return nil
	}
	return &l.ix.entries[l.rows[l.cursor]]
}

func (l *listView) selected() *vault.Secret {
	if e := l.selectedEntry(); e != nil {
		return e.s
	}
	return nil
}

// move moves the cursor by n rows.
func (l *listView) move(n int) {
	l.cursor += n
	l.clamp()
}

func (l *listView) clamp() {
	visible := l.height - 1 // the header row
	if visible < 1 {
		visible = 1
	}
	l.cursor = max(0, min(l.cursor, len(l.rows)-1))
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+visible {
		l.offset = l.cursor - visible + 1
	}
	l.offset = max(0, min(l.offset, len(l.rows)-visible))
}

// columns splits the width: cursor, name, status, age, health, tags.
// Names get the room they need first; tags get what is left, if that is
// enough to be worth reading; the health word gets a column when it can
// take it from the tags or the names without cutting them short.
func (l *listView) columns() (name, status, ageW, healthW, tags int) {
	status, ageW = 8, 5 // room for "STATUS▾" and "AGE▾"
	longest := 30
	if l.ix != nil {
		status, longest = l.ix.statusW, max(l.ix.nameW, 6) // "NAME▾"
	}
	rest := l.width - 2 - status - ageW - 2
	// Names come first, then the health word ("weak", "reused"), which
	// says more than tags do, then the tags if they get 12 cells. Names
	// give up to their 24 first cells for health, so that it shows the
	// same way beside the detail pane at 120 columns as alone at 80.
	const hw = 6 // "HEALTH", "reused"
	name = min(longest, max(24, rest-hw-1), rest)
	if rest-name >= hw+1 {
		healthW, rest = hw, rest-hw-1
	}
	tags = rest - name - 1
	if tags < 12 {
		name, tags = rest, 0
	}
	return name, status, ageW, healthW, tags
}

// name draws row i's name. Sorted by name, the segments it shares with
// the row above are dimmed, which groups prod/… and staging/… by eye.
func (l *listView) name(st *styles.Styles, style lipgloss.Style, i, width int, sortBy sortMode) string {
	name := vault.Sanitize(l.ix.entries[l.rows[i]].s.Name)
	shared := 0
	if sortBy == sortName && i > 0 {
		prev := vault.Sanitize(l.ix.entries[l.rows[i-1]].s.Name)
		for j := 0; j < len(name) && j < len(prev) && name[j] == prev[j]; j++ {
			if name[j] == '/' {
				shared = j + 1
			}
		}
	}
	if shared == 0 || shared >= width {
		return style.Render(pad(name, width))
	}
	return st.Dim.Render(name[:shared]) + style.Render(pad(name[shared:], width-shared))
}

// View draws the visible rows under a column header.
func (l *listView) View(st *styles.Styles, now time.Time, sortBy sortMode) string {
	nameW, statusW, ageW, healthW, tagsW := l.columns()
	var b strings.Builder
	label := func(s string, by sortMode) string {
		if by == sortBy {
			return s + "▾"
		}
		return s
	}
	head := "  " + pad(label("NAME", sortName), nameW) + " " + pad(label("STATUS", sortStatus), statusW) + " " + pad(label("AGE", sortAge), ageW)
	if healthW > 0 {
		head += " " + pad("HEALTH", healthW)
	}
	if tagsW > 0 {
		head += " TAGS"
	}
	b.WriteString(st.Column.Render(pad(head, l.width)))
	visible := l.height - 1
	if l.ix == nil || len(l.rows) == 0 {
		b.WriteString("\n" + st.Dim.Render(pad("  no secrets", l.width)))
		return lines(b.String(), l.width, l.height)
	}
	end := min(l.offset+visible, len(l.rows))
	for i := l.offset; i < end; i++ {
		e := &l.ix.entries[l.rows[i]]
		b.WriteByte('\n')
		marker, nameStyle := "  ", st.Value
		if i == l.cursor {
			marker, nameStyle = "> ", st.Selected
			if !l.focus {
				marker = "› "
			}
		}
		row := st.Cursor.Render(marker) +
			l.name(st, nameStyle, i, nameW, sortBy) + " " +
			st.StatusStyle(e.status).Render(pad(string(e.status), statusW)) + " " +
			st.Dim.Render(pad(age(now, e.s.Current().Created), ageW))
		if healthW > 0 {
			row += " " + st.Warning.Render(pad(healthWord(l.health[e.s.Name]), healthW))
		}
		if tagsW > 0 {
			row += " " + st.Tag.Render(pad(tagLine(e), tagsW))
		}
		b.WriteString(row)
	}
	return lines(b.String(), l.width, l.height)
}
