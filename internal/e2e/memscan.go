package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// MemoryHolds reads every readable mapping of process pid through
// /proc/PID/mem and returns the needles found in it, by their names. It
// is how a test proves that a process holds no key, passphrase or value:
// it needs root (or ptrace rights) for a process that is not dumpable,
// as locket's are. A process that is gone holds nothing: nil.
func MemoryHolds(t *testing.T, pid int, needles map[string][]byte) []string {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid)
	maps, err := os.Open(dir + "/maps")
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("memory of pid %d: %v", pid, err)
	}
	defer maps.Close()
	mem, err := os.Open(dir + "/mem")
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("memory of pid %d: %v", pid, err)
	}
	defer mem.Close()
	found := map[string]bool{}
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || !strings.HasPrefix(f[1], "r") {
			continue
		}
		var lo, hi uint64
		if _, err := fmt.Sscanf(f[0], "%x-%x", &lo, &hi); err != nil || hi <= lo {
			continue
		}
		// The vsyscall page and mappings of devices cannot be read.
		if len(f) >= 6 && (f[5] == "[vvar]" || f[5] == "[vsyscall]" || strings.HasPrefix(f[5], "/dev/")) {
			continue
		}
		const chunk = 1 << 20
		// Reads overlap by the longest needle, so that none is missed at a
		// chunk's edge.
		overlap := uint64(0)
		for _, n := range needles {
			overlap = max(overlap, uint64(len(n)))
		}
		buf := make([]byte, chunk+overlap)
		for off := lo; off < hi; off += chunk {
			n := min(hi-off, chunk+overlap)
			got, err := mem.ReadAt(buf[:n], int64(off))
			if got <= 0 && err != nil {
				break
			}
			for name, needle := range needles {
				if len(needle) > 0 && bytes.Contains(buf[:got], needle) {
					found[name] = true
				}
			}
		}
	}
	var out []string
	for name := range needles {
		if found[name] {
			out = append(out, name)
		}
	}
	return out
}
