package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A detached agent's log moves aside at its size limit, so that an agent
// that lives for days keeps at most two files of it; the newest lines are
// always in them.
func TestLogFileRotates(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "a.sock")
	f, err := os.OpenFile(LogPath(sock), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, ok := LogWriter(sock, f).(*logFile)
	if !ok {
		t.Fatalf("stderr is the log file, but LogWriter did not rotate it")
	}
	w.max = 1000
	const lines = 200 // 20 bytes each: four times the limit
	for i := range lines {
		fmt.Fprintf(w, "request %10d ok\n", i)
	}
	var kept []string
	for _, p := range []string{LogPath(sock) + ".1", LogPath(sock)} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 1000 {
			t.Errorf("%s has %d bytes, over the limit of 1000", filepath.Base(p), len(b))
		}
		kept = append(kept, strings.Split(strings.TrimSpace(string(b)), "\n")...)
	}
	if last := kept[len(kept)-1]; last != fmt.Sprintf("request %10d ok", lines-1) {
		t.Errorf("the last line kept is %q", last)
	}
	for i := 1; i < len(kept); i++ {
		if kept[i] <= kept[i-1] {
			t.Fatalf("lines out of order or lost between the files: %q then %q", kept[i-1], kept[i])
		}
	}
}

// Anywhere else (a terminal, systemd's journal) the log is stderr as it is.
func TestLogWriterKeepsOtherStderr(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	other, err := os.Create(filepath.Join(dir, "elsewhere"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if w := LogWriter(filepath.Join(dir, "a.sock"), other); w != other {
		t.Errorf("LogWriter wrapped a stderr that is not the agent's log file")
	}
}
