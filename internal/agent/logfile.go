package agent

import (
	"io"
	"os"
	"sync"
)

// MaxLog is the size at which the agent's log file moves to LogPath + ".1"
// (replacing an older one) and a new file starts: an agent lives for days
// and writes a line per request, so that two files bound what it keeps.
const MaxLog = 1 << 20

// LogWriter returns where a detached agent writes its log: the file at
// LogPath(socket), kept under MaxLog as it grows, when stderr is that file
// (Start made it so). Otherwise it returns stderr as it is: under
// `locket agent run` from a terminal or a service manager, whoever reads
// stderr keeps the log (systemd's journal rotates its own).
func LogWriter(socket string, stderr *os.File) io.Writer {
	path := LogPath(socket)
	st, err := stderr.Stat()
	if err != nil {
		return stderr
	}
	if cur, err := os.Stat(path); err != nil || !os.SameFile(st, cur) {
		return stderr
	}
	return &logFile{path: path, max: MaxLog, f: stderr, size: st.Size()}
}

// logFile appends to path and rotates it at max bytes.
type logFile struct {
	mu   sync.Mutex
	path string
	max  int64
	f    *os.File
	size int64
	// owned says f was opened here: the first is stderr, which stays open
	// for what the runtime itself writes there (a panic).
	owned bool
}

func (l *logFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.size+int64(len(p)) > l.max && l.size > 0 {
		l.rotate()
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return n, err
}

// rotate moves the file aside and opens a new one. A failure leaves the
// log where it was, still growing, rather than lose lines.
func (l *logFile) rotate() {
	if err := os.Rename(l.path, l.path+".1"); err != nil {
		return
	}
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return
	}
	if l.owned {
		l.f.Close()
	}
	l.f, l.size, l.owned = f, 0, true
}
