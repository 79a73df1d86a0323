package cmd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"locket/internal/clip"
	"locket/internal/e2e"
)

// TestClipCopy runs the built binary: `locket copy` against a real X server
// (Xvfb) with xclip, reading the clipboard back, plus the errors that need
// no display.
func TestClipCopy(t *testing.T) {
	t.Parallel()
	if testing.Short() && os.Getenv("LOCKET_E2E") != "1" {
		t.Skip("builds the binary")
	}
	bin := e2e.Build(t)
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("clip test passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := e2e.Env("LOCKET_VAULT="+filepath.Join(dir, "vault"), "LOCKET_PASSPHRASE_FILE="+pass)
	const (
		name  = "prod/db/password"
		value = "canary-clip-Q7vX2-value"
	)
	run := func(env []string, stdin string, args ...string) (stdout, stderr string, code int) {
		t.Helper()
		return clipRun(t, bin, env, stdin, args...)
	}
	mustRun := func(stdin string, args ...string) {
		t.Helper()
		if _, stderr, code := run(env, stdin, args...); code != 0 {
			t.Fatalf("locket %s: exit %d: %s", strings.Join(args, " "), code, stderr)
		}
	}
	mustRun("", "init", "--kdf-memory", "64MiB")
	mustRun(value, "set", name)
	mustRun("disabled-value", "set", "off/token")
	mustRun("", "update", "off/token", "--disable")

	t.Run("bad delay", func(t *testing.T) {
		for _, d := range []string{"0s", "2h", "soon"} {
			_, stderr, code := run(env, "", "copy", name, "--clear-after", d)
			if code != ExitUsage || !strings.Contains(stderr, "--clear-after") {
				t.Errorf("--clear-after %s: exit %d, %q; want exit 2 naming the flag", d, code, stderr)
			}
		}
		_, stderr, code := run(append(slices.Clip(env), "LOCKET_CLIP_TIME=0s"), "", "copy", name)
		if code != ExitUsage || !strings.Contains(stderr, "LOCKET_CLIP_TIME") {
			t.Errorf("LOCKET_CLIP_TIME=0s: exit %d, %q; want exit 2 naming the variable", code, stderr)
		}
	})

	t.Run("the clearer is hidden", func(t *testing.T) {
		stdout, _, code := run(env, "", "--help")
		if code != 0 || !strings.Contains(stdout, "copy") || strings.Contains(stdout, clip.ClearCommand) {
			t.Fatalf("exit %d; help must list copy and not %s:\n%s", code, clip.ClearCommand, stdout)
		}
	})

	t.Run("no clipboard tool", func(t *testing.T) {
		// An empty PATH hides xclip, xsel and wl-copy.
		noTools := append(clipWithout(env, "PATH"), "PATH="+t.TempDir(), "DISPLAY=:97")
		_, stderr, code := run(noTools, "", "copy", name)
		want := "locket: clipboard unavailable: install xclip or xsel (X11) or wl-clipboard (Wayland)\n"
		if code != ExitError || stderr != want {
			t.Fatalf("exit %d, stderr %q; want exit 1 and %q", code, stderr, want)
		}
	})

	t.Run("OSC 52 without a display", func(t *testing.T) {
		e2e.NeedTools(t, "script")
		mustRun("", "config", "clipboard-osc52", "true")
		defer mustRun("", "config", "clipboard-osc52", "false")
		// script(1) gives locket a terminal, as an SSH session would.
		c := exec.Command("script", "-qec", bin+" copy "+name, "/dev/null")
		// TERM=dumb stops bubbletea's init from asking this terminal, which
		// never answers, for its background colour (a 5 s wait).
		c.Env = append(clipWithout(env, "TERM"), "TERM=dumb")
		out, err := c.Output()
		if err != nil {
			t.Fatalf("script: %v: %q", err, out)
		}
		want := clip.OSC52([]byte(value)) + "copied " + name + " through the terminal (OSC 52); locket cannot clear that copy, so copy something else when done\r\n"
		if !strings.HasSuffix(string(out), want) || strings.Count(string(out), "\x1b]52;") != 1 {
			t.Fatalf("terminal got %q, want %q", out, want)
		}
	})

	t.Run("copy --line and set --copy over OSC 52", func(t *testing.T) {
		e2e.NeedTools(t, "script")
		mustRun("s3cret!\nuser: alice\n", "set", "web/example.com")
		mustRun("", "config", "clipboard-osc52", "true")
		defer mustRun("", "config", "clipboard-osc52", "false")
		onTerminal := func(args string) string {
			t.Helper()
			c := exec.Command("script", "-qec", bin+" "+args, "/dev/null")
			c.Env = append(clipWithout(env, "TERM"), "TERM=dumb")
			out, err := c.Output()
			if err != nil {
				t.Fatalf("script %s: %v: %q", args, err, out)
			}
			return string(out)
		}
		// pass's convention: line 1 is the password, the notes stay out.
		if out := onTerminal("copy web/example.com --line 1"); !strings.Contains(out, clip.OSC52([]byte("s3cret!"))) {
			t.Errorf("copy --line 1 sent %q", out)
		}
		out := onTerminal("set web/generated --generate --copy")
		value, _, code := run(env, "", "get", "web/generated")
		if code != 0 || len(value) != 24 || !strings.Contains(out, clip.OSC52([]byte(value))) {
			t.Errorf("set --generate --copy sent %q; the stored value is %q (exit %d)", out, value, code)
		}
	})

	e2e.NeedTools(t, "Xvfb", "xclip")
	display := "DISPLAY=" + e2e.StartXvfb(t)
	env = append(env, display)
	board := e2e.Clipboard{Env: env}
	// This test's clearers are the ones on its X server.
	clearers := func() []int { return e2e.Processes(t, bin, display, clip.ClearCommand) }
	e2e.KillAtEnd(t, bin, display, clip.ClearCommand)
	waitGone := func() {
		t.Helper()
		e2e.WaitFor(t, "the clearer to exit", func() bool { return len(clearers()) == 0 })
	}

	t.Run("cleared after the delay", func(t *testing.T) {
		stdout, stderr, code := run(env, "", "copy", name, "--clear-after", "5s")
		if code != 0 || stdout != "" || stderr != "copied "+name+" to the clipboard; clears in 5s\n" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		// locket copy has exited: the clearing below is the detached clearer's.
		e2e.WaitFor(t, "the value on the clipboard", func() bool { return board.Holds(value) })
		e2e.WaitFor(t, "the clipboard to be cleared", func() bool { return board.Holds("") })
		waitGone()
	})

	t.Run("a value copied meanwhile is left alone", func(t *testing.T) {
		if _, stderr, code := run(env, "", "copy", name, "--clear-after", "8s"); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		e2e.WaitFor(t, "the value on the clipboard", func() bool { return board.Holds(value) })
		const mine = "something the user copied"
		board.Write(t, mine)
		e2e.WaitFor(t, "the user's copy on the clipboard", func() bool { return board.Holds(mine) })
		if len(clearers()) == 0 {
			t.Fatal("the clearer finished before the user's copy was in place; the check below would prove nothing")
		}
		waitGone()
		if got, err := board.Read(); err != nil || got != mine {
			t.Fatalf("clipboard %q (%v) after the clearer ran; want the user's copy left alone", got, err)
		}
	})

	t.Run("the clearer sees no value", func(t *testing.T) {
		if _, stderr, code := run(env, "", "copy", name, "--clear-after", "10m"); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var pid int
		e2e.WaitFor(t, "the clearer", func() bool {
			if p := clearers(); len(p) == 1 {
				pid = p[0]
				return true
			}
			return false
		})
		proc := "/proc/" + strconv.Itoa(pid)
		cmdline, err1 := os.ReadFile(proc + "/cmdline")
		environ, err2 := os.ReadFile(proc + "/environ")
		stat, err3 := os.ReadFile(proc + "/stat")
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		args := strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")
		if want := []string{bin, clip.ClearCommand, "--after", "10m0s"}; !slices.Equal(args, want) {
			t.Errorf("clearer argv %q, want %q", args, want)
		}
		if bytes.Contains(environ, []byte(value)) || bytes.Contains(environ, []byte("LOCKET_")) {
			t.Errorf("the clearer's environment holds the value or a LOCKET_ variable (the passphrase source)")
		}
		// Field 6 of stat is the session: its own, so a closed terminal
		// does not take it down.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 4 || fields[3] != strconv.Itoa(pid) {
			t.Errorf("clearer %d is not in a session of its own: stat %q", pid, stat)
		}
		syscall.Kill(pid, syscall.SIGKILL)
		waitGone()
		board.Write(t, "after the argv check")
	})

	t.Run("disabled secret", func(t *testing.T) {
		board.Write(t, "before")
		e2e.WaitFor(t, "the marker on the clipboard", func() bool { return board.Holds("before") })
		_, stderr, code := run(env, "", "copy", "off/token")
		if code != ExitPolicy || !strings.Contains(stderr, "disabled") {
			t.Fatalf("exit %d, %q; want exit 6 saying the secret is disabled", code, stderr)
		}
		if got, _ := board.Read(); got != "before" {
			t.Fatalf("clipboard %q, want it untouched", got)
		}
		if len(clearers()) != 0 {
			t.Fatal("a clearer was started for a refused copy")
		}
	})

	t.Run("unknown secret", func(t *testing.T) {
		if _, stderr, code := run(env, "", "copy", "no/such"); code != ExitNotFound {
			t.Fatalf("exit %d, %q; want 3", code, stderr)
		}
	})
}

// clipRun runs bin and insists that it exits: a clipboard tool or the
// clearer holding its output pipes would make it hang here.
func clipRun(t *testing.T, bin string, env []string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2e.Scale(2*time.Minute))
	defer cancel()
	c := exec.CommandContext(ctx, bin, args...)
	c.Env = env
	c.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	c.WaitDelay = 10 * time.Second
	err := c.Run()
	if ctx.Err() != nil || errors.Is(err, exec.ErrWaitDelay) {
		t.Fatalf("locket %s did not exit (or left its output pipes held): %v", strings.Join(args, " "), err)
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("locket %s: %v", strings.Join(args, " "), err)
	}
	return stdout.String(), stderr.String(), code
}

func clipWithout(env []string, name string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return strings.HasPrefix(kv, name+"=")
	})
}
