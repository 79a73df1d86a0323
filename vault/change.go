package vault

import (
	"context"
	"sync"
)

// Change is one committed change to the vault, as Changes reports it: the
// operation and the secret it concerned (none for settings and the like).
// Reads, audited or not, are not changes.
type Change struct {
	Op     Op     `json:"op"`
	Secret string `json:"secret,omitempty"`
}

// changeBuffer is how many changes a watcher may fall behind before it is
// dropped: its channel is closed, and it must reload whatever it shows.
const changeBuffer = 1024

// watchers fans a vault's commits out to its Changes channels.
type watchers struct {
	mu     sync.Mutex
	chans  map[chan Change]struct{}
	closed bool
}

// add registers a watcher until ctx ends or the vault closes.
func (w *watchers) add(ctx context.Context) (<-chan Change, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, ErrClosed
	}
	if w.chans == nil {
		w.chans = map[chan Change]struct{}{}
	}
	ch := make(chan Change, changeBuffer)
	w.chans[ch] = struct{}{}
	context.AfterFunc(ctx, func() { w.drop(ch) })
	return ch, nil
}

func (w *watchers) drop(ch chan Change) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.chans[ch]; ok {
		delete(w.chans, ch)
		close(ch)
	}
}

// publish sends committed changes to every watcher without waiting: one
// that is full is dropped rather than allowed to hold up the writers.
func (w *watchers) publish(changes []Change) {
	if len(changes) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for ch := range w.chans {
		for _, c := range changes {
			select {
			case ch <- c:
				continue
			default:
			}
			delete(w.chans, ch)
			close(ch)
			break
		}
	}
}

// close ends every watcher's channel; later add fails with ErrClosed.
func (w *watchers) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for ch := range w.chans {
		close(ch)
	}
	w.chans = nil
}
