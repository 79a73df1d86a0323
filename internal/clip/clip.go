// Package clip copies secret values to the system clipboard and clears
// them again after a delay, the way gopass does: a detached, hidden
// sub-command of locket's own binary waits, and clears the clipboard only
// if it still holds the value. The clearer is handed a salted hash of the
// value through a pipe, never the value, so nothing of the secret is in
// its argv, its environment or a file, and it works after locket exits.
//
// The system clipboard is reached through github.com/atotto/clipboard,
// which runs xclip or xsel (X11) or wl-copy/wl-paste (Wayland). Only the
// CLIPBOARD selection is written; PRIMARY is left alone, so there is no
// second copy to clear.
package clip

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/atotto/clipboard"
)

// ErrUnavailable means there is no system clipboard to write to.
var ErrUnavailable = errors.New("clipboard unavailable")

// clipboardRW is a clipboard that can be read back. The system clipboard is
// one; tests use a fake.
type clipboardRW interface {
	Read() ([]byte, error)
	Write(value []byte) error
}

// systemBoard is the system clipboard.
var systemBoard clipboardRW = system{}

type system struct{}

func (system) Read() ([]byte, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	s, err := clipboard.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read the clipboard: %w", err)
	}
	return []byte(s), nil
}

func (system) Write(value []byte) error {
	if err := Available(); err != nil {
		return err
	}
	if err := clipboard.WriteAll(string(value)); err != nil {
		return fmt.Errorf("write the clipboard: %w", err)
	}
	return nil
}

// Available reports why the system clipboard cannot be used, or nil. It
// runs no tool, so it is cheap enough to ask before unlocking the vault.
func Available() error {
	if clipboard.Unsupported {
		return fmt.Errorf("%w: install xclip or xsel (X11) or wl-clipboard (Wayland)", ErrUnavailable)
	}
	switch runtime.GOOS {
	case "darwin", "windows", "android":
	default:
		// xclip and wl-copy need a graphical session; without one they
		// fail with a bare exit status.
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return fmt.Errorf("%w: DISPLAY and WAYLAND_DISPLAY are unset; over SSH, turn on OSC 52 with 'locket config clipboard-osc52 true'", ErrUnavailable)
		}
	}
	return nil
}

// Copy puts value on the system clipboard and starts the detached clearer,
// `clearer __clip-clear`, which empties the clipboard after clearAfter if
// it still holds value. clearer is the locket binary (os.Executable), a
// choice of the process's main: "" fails with ErrNoClearer and leaves the
// clipboard empty. The clearer outlives the caller. clearAfter must be
// within MinDelay and MaxDelay.
func Copy(ctx context.Context, clearer string, value []byte, clearAfter time.Duration) error {
	start := func(after time.Duration, fp fingerprint) error { return startClearer(clearer, after, fp) }
	return copyWith(ctx, systemBoard, start, value, clearAfter)
}

// copyWith is Copy with the clipboard and the way of starting the clearer
// injected.
func copyWith(ctx context.Context, board clipboardRW, start func(time.Duration, fingerprint) error, value []byte, clearAfter time.Duration) error {
	if err := checkDelay(clearAfter); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fp, err := newFingerprint(value)
	if err != nil {
		return err
	}
	if err := board.Write(value); err != nil {
		return err
	}
	if err := start(clearAfter, fp); err != nil {
		// A value that would never be cleared must not stay behind.
		_ = board.Write(nil)
		return fmt.Errorf("start the clipboard clearer: %w", err)
	}
	return nil
}
