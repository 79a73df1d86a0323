package review

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"locket/internal/e2e"
)

// TestRun drives the standalone review through its input: q ends the
// queue, q closes the summary, and Run returns the summary line.
func TestRun(t *testing.T) {
	t.Parallel()
	v, clock := testVault(t)
	in, keys := io.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), e2e.Scale(2*time.Minute))
	defer cancel()
	done := make(chan struct{})
	go func() {
		// A key that arrives while the queue loads is ignored, so press q
		// until the program ends.
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				keys.Write([]byte("q"))
			}
		}
	}()
	status, err := Run(ctx, v, RunOptions{Now: clock, ReadOnly: true, In: in, Out: io.Discard})
	close(done)
	keys.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(status, "review: ") {
		t.Fatalf("status %q, want the review's summary line", status)
	}
}
