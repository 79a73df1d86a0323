package clip

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// ClearCommand is the hidden sub-command of locket that runs RunClearer.
// Its only flag is --after, the delay.
const ClearCommand = "__clip-clear"

// ErrNoClearer: the process named no program that clears the clipboard.
// A test binary names none, since started as a clearer it would run its
// tests instead.
var ErrNoClearer = errors.New("no clipboard clearer program in this process")

// clearerArgs is the clearer's argv after the program name. It holds the
// delay only: argv is readable by every user of the machine.
func clearerArgs(after time.Duration) []string {
	return []string{ClearCommand, "--after", after.String()}
}

// clearerEnv is env without locket's own variables, so that the clearer
// does not keep a passphrase (LOCKET_PASSPHRASE) alive for the delay.
func clearerEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "LOCKET_") {
			out = append(out, kv)
		}
	}
	return out
}

// startClearer starts `exe __clip-clear` (exe is locket) in a new session
// and hands it fp through a pipe on its stdin; it writes to /dev/null. It
// is not waited for: it outlives this process when this process exits
// first.
func startClearer(exe string, after time.Duration, fp fingerprint) error {
	if exe == "" {
		return ErrNoClearer
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	c := exec.Command(exe, clearerArgs(after)...)
	c.Stdin = r // an *os.File: no copying goroutine that Wait would block on
	c.Dir = "/"
	c.Env = clearerEnv(os.Environ())
	detach(c)
	if err := c.Start(); err != nil {
		w.Close()
		return err
	}
	// 64 bytes fit in any pipe buffer, so this cannot block.
	_, werr := w.Write(fp.marshal())
	cerr := w.Close()
	// Reap the clearer when it ends, so that a long-running TUI collects no
	// zombies; when this process exits first, init reaps it.
	go c.Wait()
	if werr != nil {
		return werr
	}
	return cerr
}

// RunClearer is the body of the hidden clear command: it reads the
// fingerprint from r, waits for after, and clears the system clipboard if
// it still holds the fingerprinted value. It returns early, clearing
// nothing, when ctx ends.
func RunClearer(ctx context.Context, r io.Reader, after time.Duration) error {
	_, err := runClearer(ctx, systemBoard, r, after)
	return err
}

func runClearer(ctx context.Context, board clipboardRW, r io.Reader, after time.Duration) (bool, error) {
	fp, err := readFingerprint(r)
	if err != nil {
		return false, err
	}
	if err := checkDelay(after); err != nil {
		return false, err
	}
	t := time.NewTimer(after)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-t.C:
	}
	return clearIfUnchanged(board, fp)
}

// clearIfUnchanged empties board if it holds the value fp was made from,
// and reports whether it did. Anything else on the clipboard was put
// there after the copy, by the user, and is left alone; so is a clipboard
// that cannot be read.
func clearIfUnchanged(board clipboardRW, fp fingerprint) (bool, error) {
	cur, err := board.Read()
	if err != nil {
		return false, err
	}
	same := fp.matches(cur)
	clear(cur)
	if !same {
		return false, nil
	}
	if err := board.Write(nil); err != nil {
		return false, fmt.Errorf("clear the clipboard: %w", err)
	}
	return true, nil
}
