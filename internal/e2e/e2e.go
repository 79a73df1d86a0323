// Package e2e holds what the end-to-end tests of several packages share:
// the binary built once per package, real tools (tmux, Xvfb, xclip), polling and how many
// tests run at once. Only tests import it, so it never reaches the locket
// binary.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// SlowEnv names the slowness factor: a number, at least 1 (the default),
// that every deadline of a test is multiplied by. .ci/run raises it, since
// CI runs on a machine busy with other work; a tester on a loaded machine
// can too.
const SlowEnv = "LOCKET_TEST_SLOW"

// slow is $LOCKET_TEST_SLOW, read once.
var slow = sync.OnceValue(func() float64 {
	f, err := strconv.ParseFloat(os.Getenv(SlowEnv), 64)
	if err != nil || f < 1 {
		return 1
	}
	return f
})

// Scale is d times the slowness factor ($LOCKET_TEST_SLOW): every deadline
// of a wait in a test goes through it, so that one setting makes them all
// generous enough for a busy machine. A deadline is never what a test
// asserts: a wait ends as soon as its condition holds.
func Scale(d time.Duration) time.Duration { return time.Duration(float64(d) * slow()) }

// Timeout bounds every wait: generous, because these tests assert that
// things happen, not how fast, on a machine that may be busy.
var Timeout = Scale(90 * time.Second)

// ParallelWaits lets four tests per CPU run at once (go test -parallel)
// unless the command line chose a number. Tests that mostly wait, on child
// processes, fsync or a terminal, keep the CPUs busy only when more of
// them run than there are CPUs. Call it from TestMain before m.Run.
func ParallelWaits() {
	f := flag.Lookup("test.parallel")
	if f == nil {
		return
	}
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(strings.TrimLeft(a, "-"), "test.parallel") {
			return
		}
	}
	f.Value.Set(strconv.Itoa(4 * runtime.GOMAXPROCS(0)))
}

// built is the binary Build made for this test process.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// Build returns the locket binary, built once per test process (so once
// per package) into a temporary directory that Tests removes when the
// package's tests are done. Tests share it: a test tells its own
// processes from another test's by an environment variable only it sets
// (see Processes), never by the binary's path.
func Build(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "locket-e2e-")
		if err != nil {
			built.err = err
			return
		}
		built.dir = dir
		bin := filepath.Join(dir, "locket")
		out, err := exec.Command("go", "build", "-o", bin, "locket").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		built.bin = bin
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// TestingM is what TestMain gets (*testing.M) and what testscript.Main
// takes.
type TestingM interface{ Run() int }

// Tests is m whose Run also removes the binary Build made once the tests
// and their cleanups are done: TestMain runs e2e.Tests(m).Run() (or hands
// e2e.Tests(m) to testscript.Main) instead of m.Run().
func Tests(m TestingM) TestingM { return tests{m} }

type tests struct{ m TestingM }

func (x tests) Run() int {
	defer func() {
		if built.dir != "" {
			os.RemoveAll(built.dir)
		}
	}()
	return x.m.Run()
}

// NeedTools skips t when a tool is missing, or fails it under
// LOCKET_E2E=1, where CI promises every tool.
func NeedTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("LOCKET_E2E") == "1" {
				t.Fatalf("LOCKET_E2E=1: %v", err)
			}
			t.Skip(err)
		}
	}
}

// Env is this process's environment without locket's variables, the
// user's display and CI, with the agent off, plus extra: a test's binary reaches only what the
// test gives it. CI goes because termenv treats any CI variable as "not a
// terminal" and drops colour, which a person at a terminal never sees.
func Env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "LOCKET_") && name != "DISPLAY" && name != "WAYLAND_DISPLAY" && name != "CI" {
			env = append(env, kv)
		}
	}
	// No test starts an agent unless it asks for one (LOCKET_AGENT=on in
	// extra, which comes later and so wins): an agent outlives the test.
	env = append(env, "LOCKET_AGENT=off")
	return append(env, extra...)
}

// WaitFor polls cond until it holds, failing t after Timeout.
func WaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// StartXvfb starts an X server on a display it picks itself (-displayfd),
// waits until it is ready and returns the DISPLAY value. The server stops
// when t ends.
func StartXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	x := exec.Command("Xvfb", "-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "320x240x24")
	x.ExtraFiles = []*os.File{w}
	var log bytes.Buffer
	x.Stdout, x.Stderr = &log, &log
	if err := x.Start(); err != nil {
		w.Close()
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		x.Process.Signal(syscall.SIGTERM)
		x.Wait()
	})
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			t.Fatalf("Xvfb did not start: %s", log.String())
		}
		return ":" + n
	case <-time.After(Timeout):
		t.Fatalf("Xvfb gave no display in time: %s", log.String())
	}
	return ""
}

// Clipboard reads and writes the CLIPBOARD selection of an X server with
// xclip, as a user's other programs would. Env must set DISPLAY.
type Clipboard struct {
	Env []string
}

// Read returns what the clipboard holds.
func (b Clipboard) Read() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "xclip", "-o", "-selection", "clipboard")
	c.Env = b.Env
	out, err := c.Output()
	return string(out), err
}

// Holds reports whether the clipboard can be read and holds want.
func (b Clipboard) Holds(want string) bool {
	got, err := b.Read()
	return err == nil && got == want
}

// Write puts s on the clipboard and waits until it is there: xclip -i
// returns before its background child owns the selection, and a child that
// is slow under load would otherwise overwrite a later write.
func (b Clipboard) Write(t *testing.T, s string) {
	t.Helper()
	c := exec.Command("xclip", "-i", "-selection", "clipboard")
	c.Env = b.Env
	c.Stdin = strings.NewReader(s)
	if err := c.Run(); err != nil {
		t.Fatalf("xclip -i: %v", err)
	}
	WaitFor(t, fmt.Sprintf("%q on the clipboard", s), func() bool { return b.Holds(s) })
}

// Processes lists the running processes of the binary bin whose
// environment holds mark and whose arguments start with args; with args
// such as the hidden clear command, those are the clipboard clearers.
// The tests of a package share bin, so mark, a NAME=value that only the
// calling test sets (its XDG_RUNTIME_DIR, DISPLAY or TMPDIR) and that its
// processes inherit, tells the test's own processes from the others'.
func Processes(t *testing.T, bin, mark string, args ...string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// A zombie is already done; its exe link is gone.
		exe, err := os.Readlink("/proc/" + e.Name() + "/exe")
		if err != nil || exe != bin {
			continue
		}
		environ, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !slices.Contains(strings.Split(string(environ), "\x00"), mark) {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		argv := strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")
		if len(argv) > len(args) && slices.Equal(argv[1:1+len(args)], args) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// KillAtEnd kills, when t ends, the processes that Processes lists for
// bin, mark and args: a test's agents and clearers must not outlive it,
// and another test's are not its to kill.
func KillAtEnd(t *testing.T, bin, mark string, args ...string) {
	t.Cleanup(func() {
		for _, pid := range Processes(t, bin, mark, args...) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

// Tmux is a private tmux server, so that nothing of the user's is touched.
// It is killed when the test ends.
type Tmux struct {
	t    *testing.T
	sock string
	env  []string
}

var servers atomic.Int64

// NewTmux starts nothing yet: the server starts with the first pane, in
// env (nil for this process's environment), which every pane inherits.
func NewTmux(t *testing.T, env []string) *Tmux {
	x := &Tmux{t: t, sock: fmt.Sprintf("locket-e2e-%d-%d", os.Getpid(), servers.Add(1)), env: env}
	t.Cleanup(func() {
		c := exec.Command("tmux", "-L", x.sock, "kill-server")
		c.Env = env
		c.Run()
	})
	return x
}

// Run runs a tmux command against the private server.
func (x *Tmux) Run(args ...string) string {
	x.t.Helper()
	c := exec.Command("tmux", append([]string{"-L", x.sock}, args...)...)
	c.Env = x.env
	out, err := c.CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// Start runs the shell command script in a new detached session of
// 100×30 cells named name.
func (x *Tmux) Start(name, script string) *Pane {
	x.t.Helper()
	x.Run("new-session", "-d", "-s", name, "-x", "100", "-y", "30", script)
	return &Pane{x: x, name: name}
}

// Pane is a session's only pane: a terminal to type into and read.
type Pane struct {
	x    *Tmux
	name string
}

// Screen is the pane's text.
func (p *Pane) Screen() string { return p.x.Run("capture-pane", "-p", "-t", p.name) }

// Colour is the pane's text with its escape sequences (colours).
func (p *Pane) Colour() string { return p.x.Run("capture-pane", "-e", "-p", "-t", p.name) }

// Keys types keys, with tmux send-keys syntax ("-l" for literal text).
func (p *Pane) Keys(keys ...string) { p.x.Run(append([]string{"send-keys", "-t", p.name}, keys...)...) }

// Wait polls until the screen shows every text and returns that screen.
func (p *Pane) Wait(texts ...string) string {
	p.x.t.Helper()
	var s string
	deadline := time.Now().Add(Timeout)
	for {
		s = p.Screen()
		ok := true
		for _, want := range texts {
			ok = ok && strings.Contains(s, want)
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			p.x.t.Fatalf("screen never showed %q:\n%s", texts, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Buffer is a bytes.Buffer that one goroutine may write while another
// reads it: a terminal or a log that a test watches.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
