package tui

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"locket/internal/clip"
	"locket/internal/e2e"
	"locket/vault"
)

// TestClipTUIRealClipboard runs the built binary's UI in tmux against a
// real X server (Xvfb) and reads the clipboard back with xclip: a copy
// with c is cleared after the delay, a value the user copies meanwhile is
// left alone, and a copy made just before quitting is cleared after the UI
// has exited. Without tmux, Xvfb or xclip it skips, unless LOCKET_E2E=1,
// when it fails.
func TestClipTUIRealClipboard(t *testing.T) {
	t.Parallel()
	if testing.Short() && os.Getenv("LOCKET_E2E") != "1" {
		t.Skip("builds the binary")
	}
	e2e.NeedTools(t, "tmux", "Xvfb", "xclip")
	const (
		name  = "prod/db/password"
		value = "canary-tui-clip-R8w3K-value"
		delay = 6 * time.Second
	)
	bin := e2e.Build(t)
	dir := filepath.Join(t.TempDir(), "vault")
	ctx := context.Background()
	v, err := vault.Create(ctx, dir, []byte(testPass), vault.MinKDF, vault.DefaultSettings(), vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for n, val := range map[string]string{name: value, "web/api/token": "another-value"} {
		if _, err := v.Put(ctx, n, []byte(val), vault.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}

	// This test's processes are the ones on its X server.
	display := "DISPLAY=" + e2e.StartXvfb(t)
	env := e2e.Env(display, "LOCKET_VAULT="+dir, "LOCKET_CLIP_TIME="+delay.String())
	board := e2e.Clipboard{Env: env}
	clearers := func() []int { return e2e.Processes(t, bin, display, clip.ClearCommand) }
	e2e.KillAtEnd(t, bin, display, clip.ClearCommand)
	// The tmux server, and so the UI, runs in env.
	p := e2e.NewTmux(t, env).Start("clip", bin+" ui; echo EXITED $?; sleep 60")

	countdown := regexp.MustCompile(`clipboard: ` + regexp.QuoteMeta(name) + `, clears in (\d+)s`)
	// screen is the pane's text, which must never show the value: c
	// copies without revealing.
	screen := func() string {
		t.Helper()
		s := p.Screen()
		if strings.Contains(s, value) {
			t.Fatalf("the value is on the screen:\n%s", s)
		}
		return s
	}
	onBoard := func(want, what string) {
		t.Helper()
		e2e.WaitFor(t, what, func() bool { return board.Holds(want) })
	}
	waitGone := func() {
		t.Helper()
		e2e.WaitFor(t, "the clearer to exit", func() bool { return len(clearers()) == 0 })
	}
	countdownGone := func() {
		t.Helper()
		e2e.WaitFor(t, "the countdown to go", func() bool { return !strings.Contains(screen(), "clipboard: ") })
	}
	// copyNow presses c and waits for the value on the clipboard and the
	// countdown on the status line, whose seconds it returns.
	copyNow := func() int {
		t.Helper()
		p.Keys("c")
		onBoard(value, "the value on the clipboard")
		var secs int
		e2e.WaitFor(t, "the countdown on the status line", func() bool {
			m := countdown.FindStringSubmatch(screen())
			if m != nil {
				secs, _ = strconv.Atoi(m[1])
			}
			return m != nil
		})
		if secs < 0 || secs > int(delay/time.Second) {
			t.Fatalf("the countdown shows %ds for a %s delay", secs, delay)
		}
		return secs
	}

	p.Wait("Unlock vault")
	p.Keys("-l", testPass)
	p.Keys("Enter")
	p.Wait("2 secrets", name)
	p.Keys("/")
	p.Keys("-l", "pdbpass")
	p.Wait("/ pdbpass", "1 of 2 secrets")
	p.Keys("Enter")

	// A copy is cleared after the delay by the clearer, and the countdown
	// counts down and goes.
	seen := []int{copyNow()}
	e2e.WaitFor(t, "the clipboard to be cleared", func() bool {
		if m := countdown.FindStringSubmatch(screen()); m != nil {
			if n, _ := strconv.Atoi(m[1]); n != seen[len(seen)-1] {
				seen = append(seen, n)
			}
		}
		return board.Holds("")
	})
	waitGone()
	countdownGone()
	if !slices.IsSortedFunc(seen, func(a, b int) int { return b - a }) {
		t.Errorf("the countdown went up: %v", seen)
	}
	t.Logf("countdown seen: %v", seen)

	// A value the user copies before the delay is up is left alone.
	copyNow()
	const mine = "something the user copied"
	board.Write(t, mine)
	if len(clearers()) == 0 {
		t.Fatal("the clearer finished before the user's copy was in place; the check below would prove nothing")
	}
	waitGone()
	if got, err := board.Read(); err != nil || got != mine {
		t.Fatalf("clipboard %q (%v) after the clearer ran; want the user's copy left alone", got, err)
	}
	countdownGone()

	// A copy made just before quitting is cleared after the UI is gone.
	copyNow()
	p.Keys("q")
	p.Wait("EXITED 0")
	if pids := e2e.Processes(t, bin, display, "ui"); len(pids) != 0 {
		t.Fatalf("the UI still runs after quitting: pids %v", pids)
	}
	if !board.Holds(value) {
		t.Fatal("the clipboard was cleared before the UI had exited; the check below would prove nothing")
	}
	onBoard("", "the clipboard to be cleared after the UI exited")
	waitGone()

	// Each copy is audited.
	v, err = vault.Open(ctx, dir, []byte(testPass), vault.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	events, err := v.Audit(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	copies := 0
	for _, e := range events {
		if e.Op == "copy" {
			copies++
		}
	}
	if copies != 3 {
		t.Errorf("%d copy events in the audit log, want 3", copies)
	}
}
