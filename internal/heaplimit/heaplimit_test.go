package heaplimit

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

// TestHold: the imports of a process share the soft memory limit, which
// the last one to end takes back, and a limit the process set itself
// (GOMEMLIMIT) is left alone.
func TestHold(t *testing.T) {
	if prev := debug.SetMemoryLimit(-1); prev != math.MaxInt64 {
		t.Skip("the process has a memory limit of its own")
	}
	// The limit is the headroom above the heap live when it is set: here
	// at least the 64 MiB this test keeps live.
	keep := make([]byte, 64<<20)
	first, second := Hold(1<<40), Hold(1<<40)
	during := debug.SetMemoryLimit(-1)
	runtime.KeepAlive(keep)
	if during < 1<<40+64<<20 || during > 1<<40+1<<30 {
		t.Fatalf("limit %d during two imports: not 1 TiB above a live heap of 64 MiB and a little", during)
	}
	first()
	first() // undoing twice is undoing once
	if got := debug.SetMemoryLimit(-1); got != during {
		t.Fatalf("limit %d while one import still runs, was %d", got, during)
	}
	second()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("limit %d after the imports", got)
	}
	debug.SetMemoryLimit(1 << 41)
	defer debug.SetMemoryLimit(math.MaxInt64)
	undo := Hold(1 << 40)
	if got := debug.SetMemoryLimit(-1); got != 1<<41 {
		t.Errorf("the process's own limit became %d", got)
	}
	undo()
}
