// Package heaplimit lowers the process's soft memory limit
// (runtime/debug.SetMemoryLimit) while large imports run. The limit is a
// setting of the whole process, so only a process's main decides to use
// it: locket's command line and its agent pass Hold to the vault
// (vault.Options.LimitHeap); a library never calls it on its own
// (decisions/0078).
package heaplimit

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// ImportHeadroom is how far above the heap live when an import too large
// for one transaction starts the CLI and the agent set the soft limit.
// Most of such an import's heap is not its own but Badger's: the
// memtables and the buffers of the tables that its flushes and
// compactions build, up to about 150 MiB at 100k secrets, which the
// collector by default lets grow to twice that before it runs. The limit
// makes it run sooner. It is soft: a heap that needs more gets more, at
// the cost of collecting more often.
const ImportHeadroom = 160 << 20

// state is the limit's, shared by the imports of the process.
var state struct {
	sync.Mutex
	users int
	prev  int64
}

// Hold sets the soft memory limit to the heap live now plus headroom,
// unless the process has a limit of its own (GOMEMLIMIT), and returns what
// undoes it; the imports of a process share it, and the last one to end
// takes it back. Relative, because a limit below what the process keeps
// anyway (an agent's cache of 100k secrets is larger than an import's
// headroom) would have the collector run without pause.
func Hold(headroom int64) (undo func()) {
	state.Lock()
	defer state.Unlock()
	if state.users == 0 {
		state.prev = debug.SetMemoryLimit(-1)
		if state.prev == math.MaxInt64 {
			// What the last collection found live may be long dead: in the
			// CLI, the key derivation's 64 MiB or more.
			runtime.GC()
			debug.SetMemoryLimit(liveHeap() + headroom)
		}
	}
	state.users++
	var once sync.Once
	return func() {
		once.Do(func() {
			state.Lock()
			defer state.Unlock()
			if state.users--; state.users == 0 {
				debug.SetMemoryLimit(state.prev)
			}
		})
	}
}

// ForImports is Hold with ImportHeadroom, as vault.Options.LimitHeap
// takes it.
func ForImports() (undo func()) { return Hold(ImportHeadroom) }

// liveHeap is the heap that the last collection found live.
func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}
