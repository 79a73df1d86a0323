package clip_test

import (
	"context"
	"fmt"
	"os"

	"locket/internal/clip"
)

// A caller resolves the delay once, copies with its own binary as the
// clearer (the hidden __clip-clear command), and tells the user when the
// clipboard will be cleared. With the vault setting clipboard-osc52 on it
// also writes clip.OSC52(value) to the terminal.
func Example() {
	delay, err := clip.ClearDelay("") // $LOCKET_CLIP_TIME or 20s
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	if err := clip.Copy(context.Background(), exe, []byte("s3cret"), delay); err != nil {
		fmt.Fprintln(os.Stderr, err) // clipboard unavailable: install xclip or xsel (X11) or wl-clipboard (Wayland)
		return
	}
	fmt.Printf("copied; clears in %s\n", delay)
}
