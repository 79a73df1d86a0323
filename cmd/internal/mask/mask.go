// Package mask conceals secret values in a stream of output.
//
// A program's output arrives in writes of any size, so a value may be
// split across two or more of them. The Writer therefore holds back the
// longest end of what it has seen that could be the start of a value
// whose end has not arrived yet (at most len(longest value)-1 bytes, and
// usually none, so that a prompt reaches its reader at once). Everything
// before that is final and is written out, with every stretch of bytes covered by an
// occurrence of a value replaced by the Replacement. Overlapping or
// adjacent occurrences, of one value or several, become one Replacement,
// so that no fragment of a value survives between two replacements.
package mask

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"sync"
)

// Replacement is written in place of each concealed stretch.
const Replacement = "<concealed by locket>"

// errClosed is what a Write after Close returns.
var errClosed = errors.New("mask: write after close")

// Writer conceals values in what is written to it. Close flushes what it
// holds back; it does not close the underlying writer.
type Writer struct {
	mu     sync.Mutex
	w      io.Writer
	values [][]byte
	hold   int // len(longest value) - 1

	buf []byte
	// carry is how many bytes at the start of buf belong to an occurrence
	// that began in output already written.
	carry int
	// inside reports that the last byte written was concealed, so that a
	// stretch continuing into buf is not announced twice.
	inside bool
	err    error
}

// NewWriter conceals every non-empty value of values in what it passes to w.
func NewWriter(w io.Writer, values [][]byte) *Writer {
	m := &Writer{w: w}
	for _, v := range values {
		if len(v) == 0 || slices.ContainsFunc(m.values, func(o []byte) bool { return bytes.Equal(o, v) }) {
			continue
		}
		m.values = append(m.values, bytes.Clone(v))
		m.hold = max(m.hold, len(v)-1)
	}
	return m
}

// Write takes p whole; what it cannot yet judge it keeps for later.
func (m *Writer) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return 0, m.err
	}
	m.buf = append(m.buf, p...)
	m.err = m.flush(len(m.buf) - m.pending())
	if m.err != nil {
		return 0, m.err
	}
	return len(p), nil
}

// Close writes out what is held back. The bytes left at the end cannot
// start a value any more, so only whole occurrences are concealed.
func (m *Writer) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	err := m.flush(len(m.buf))
	// The writer's copies of the values go with it.
	clear(m.buf)
	for _, v := range m.values {
		clear(v)
	}
	m.buf, m.values, m.err = nil, nil, errClosed
	return err
}

// pending is the length of the longest end of buf that a value starts
// with: the bytes that cannot be judged before more arrive.
func (m *Writer) pending() int {
	for k := min(m.hold, len(m.buf)); k > 0; k-- {
		tail := m.buf[len(m.buf)-k:]
		for _, v := range m.values {
			if bytes.HasPrefix(v, tail) {
				return k
			}
		}
	}
	return 0
}

type span struct{ start, end int }

// flush writes buf[:cut] out, concealed, and keeps buf[cut:]. Every
// occurrence that starts before cut lies wholly inside buf, because a
// value's start that runs past the end of buf is pending.
func (m *Writer) flush(cut int) error {
	if cut <= 0 {
		return nil
	}
	covered := m.covered(cut)
	out := make([]byte, 0, cut+len(Replacement))
	at, carry := 0, 0
	for _, s := range covered {
		out = append(out, m.buf[at:s.start]...)
		if s.start > 0 || !m.inside {
			out = append(out, Replacement...)
		}
		at = min(s.end, cut)
		carry = max(carry, s.end-cut)
	}
	if at < cut {
		out = append(out, m.buf[at:cut]...)
	}
	m.inside = len(covered) > 0 && covered[len(covered)-1].end >= cut
	m.carry = carry
	_, err := m.w.Write(out)
	clear(out)
	rest := copy(m.buf, m.buf[cut:])
	clear(m.buf[rest:])
	m.buf = m.buf[:rest]
	return err
}

// covered returns the merged stretches of buf covered by occurrences of
// values that start before cut, in order.
func (m *Writer) covered(cut int) []span {
	var spans []span
	if m.carry > 0 {
		spans = append(spans, span{0, m.carry})
	}
	for _, v := range m.values {
		for from := 0; from < cut; {
			i := bytes.Index(m.buf[from:], v)
			if i < 0 || from+i >= cut {
				break
			}
			spans = append(spans, span{from + i, from + i + len(v)})
			from += i + 1
		}
	}
	if len(spans) == 0 {
		return nil
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	merged := spans[:1]
	for _, s := range spans[1:] {
		last := &merged[len(merged)-1]
		if s.start <= last.end {
			last.end = max(last.end, s.end)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}
