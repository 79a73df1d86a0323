package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"locket/internal/e2e"
	"locket/vault"
)

// TestMain lets the test binary act as `locket` inside scripts: testscript
// re-executes it under that name, so the scripts run the real command line
// in a separate process, exit codes and all. It differs from the built
// binary in two ways: passphrase backups use scrypt work factor 10 instead
// of age's 18 (about a second each), as the backup package's tests do, and
// its clock is the one $LOCKET_TEST_NOW names (testClock). The
// tests that need the locket binary itself share one build (e2e.Build),
// removed at the end.
func TestMain(m *testing.M) {
	e2e.ParallelWaits()
	cmds := map[string]func(){
		"locket":   func() { os.Exit(execute(&app{backupWorkFactor: 10, now: testClock()})) },
		"runchild": runChild,
	}
	docCommands(cmds)
	testscript.Main(e2e.Tests(m), cmds)
}

// testNowEnv names the moment, RFC 3339, that the test binary's locket
// takes for now. Every command of a script then sees the same instant, so
// a relative date (--expires 20d here, --at 3d later) means the same
// however long a busy machine takes between the two commands. Only the
// test binary reads it: the locket binary has no such variable.
const testNowEnv = "LOCKET_TEST_NOW"

// scriptNow is the moment every script and docs example runs at. It is
// fixed rather than taken at the start, so that the absolute dates in the
// scripts (an expiry in 2030) mean the same in every year the suite runs.
var scriptNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// testClock is the clock $LOCKET_TEST_NOW names, or nil (the real clock)
// when it is unset: the test binary also runs as locket outside scripts.
func testClock() func() time.Time {
	v := os.Getenv(testNowEnv)
	if v == "" {
		return nil
	}
	at, err := time.Parse(time.RFC3339, v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "locket (test binary): %s: %v\n", testNowEnv, err)
		os.Exit(ExitUsage)
	}
	return func() time.Time { return at }
}

// testPassphrase is what Setup writes to $WORK/pass.
const testPassphrase = "correct horse battery staple"

// TestScript runs the end-to-end scenarios in testdata/script. Each script
// gets $WORK/pass holding the passphrase, LOCKET_VAULT=$WORK/vault and
// LOCKET_PASSPHRASE_FILE=$WORK/pass, and HOME and XDG_DATA_HOME inside
// $WORK, so that nothing outside the work directory is touched.
//
// Extra commands:
//
//	initvault [flags]          locket init with the minimum KDF (fast)
//	exitcode N cmd args...     run cmd; its exit code must be N
//	jsonfield PATH [VALUE]     the last stdout is JSON; PATH (a.0.b) exists
//	                           and, given VALUE, equals it; with !, is absent
//	jsonkeys PATH KEY...       the object at PATH has exactly these keys
//	jsonlen PATH N             the array or object at PATH has N elements
//	mkfile NAME SIZE           write a file of SIZE bytes
//	holdvault / releasevault   open $LOCKET_VAULT in the test process and
//	                           keep it open, as another locket would
func TestScript(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireUniqueNames:  true,
		Setup:               setupScript,
		Cmds:                scriptCmds,
		ContinueOnError:     false,
		RequireExplicitExec: false,
	})
}

func setupScript(e *testscript.Env) error {
	work := e.WorkDir
	if err := os.WriteFile(filepath.Join(work, "pass"), []byte(testPassphrase+"\n"), 0o600); err != nil {
		return err
	}
	home := filepath.Join(work, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	e.Setenv("HOME", home)
	e.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
	e.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	e.Setenv("LOCKET_VAULT", filepath.Join(work, "vault"))
	e.Setenv("LOCKET_PASSPHRASE_FILE", filepath.Join(work, "pass"))
	e.Setenv("LOCKET_PASSPHRASE", "")
	e.Setenv("LOCKET_PASSPHRASE_COMMAND", "")
	e.Setenv("NO_COLOR", "1")
	e.Setenv(testNowEnv, scriptNow.Format(time.RFC3339))
	// An agent started by a script would outlive it; the agent has its
	// own end-to-end tests (agent_test.go).
	e.Setenv("LOCKET_AGENT", "off")
	return nil
}

var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"initvault": func(ts *testscript.TestScript, neg bool, args []string) {
		err := ts.Exec("locket", append([]string{"init", "--kdf-memory", "64MiB"}, args...)...)
		if (err != nil) != neg {
			ts.Fatalf("initvault: %v", err)
		}
	},
	"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) < 2 {
			ts.Fatalf("usage: exitcode N command [args...]")
		}
		want, err := strconv.Atoi(args[0])
		ts.Check(err)
		err = ts.Exec(args[1], args[2:]...)
		got := 0
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			got = ee.ExitCode()
		case err != nil:
			ts.Fatalf("exitcode: %v", err)
		}
		if got != want {
			ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
		}
	},
	"jsonfield": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) < 1 || len(args) > 2 {
			ts.Fatalf("usage: jsonfield PATH [VALUE]")
		}
		v, ok := jsonAt(ts, args[0])
		switch {
		case neg && ok:
			ts.Fatalf("JSON has %s = %s", args[0], jsonString(v))
		case neg:
		case !ok:
			ts.Fatalf("JSON has no %s", args[0])
		case len(args) == 2 && jsonString(v) != args[1]:
			ts.Fatalf("JSON %s = %s, want %s", args[0], jsonString(v), args[1])
		}
	},
	"jsonkeys": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) < 1 {
			ts.Fatalf("usage: jsonkeys PATH KEY...")
		}
		v, _ := jsonAt(ts, args[0])
		obj, ok := v.(map[string]any)
		if !ok {
			ts.Fatalf("JSON %s is not an object", args[0])
		}
		var got []string
		for k := range obj {
			got = append(got, k)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(args[1:]))
		if !slices.Equal(got, want) {
			ts.Fatalf("JSON %s has keys %v, want %v", args[0], got, want)
		}
	},
	"jsonlen": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: jsonlen PATH N")
		}
		v, ok := jsonAt(ts, args[0])
		if !ok {
			ts.Fatalf("JSON has no %s", args[0])
		}
		n := -1
		switch x := v.(type) {
		case []any:
			n = len(x)
		case map[string]any:
			n = len(x)
		}
		if strconv.Itoa(n) != args[1] {
			ts.Fatalf("JSON %s has %d elements, want %s", args[0], n, args[1])
		}
	},
	"mkfile": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: mkfile NAME SIZE")
		}
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(strings.Repeat("x", n)), 0o600))
	},
	"holdvault": func(ts *testscript.TestScript, neg bool, args []string) {
		v, err := vault.Open(context.Background(), ts.Getenv("LOCKET_VAULT"), []byte(testPassphrase), vault.Options{StateDir: filepath.Join(ts.Getenv("HOME"), ".local", "state", "locket")})
		ts.Check(err)
		held.Store(ts, v)
		ts.Defer(func() { v.Close() })
	},
	"releasevault": func(ts *testscript.TestScript, neg bool, args []string) {
		v, ok := held.LoadAndDelete(ts)
		if !ok {
			ts.Fatalf("releasevault without holdvault")
		}
		ts.Check(v.(*vault.Vault).Close())
	},
}

// held maps a script to the vault holdvault opened for it.
var held sync.Map

// jsonAt decodes the last stdout and walks PATH: dot-separated keys, with
// numbers indexing arrays; "." is the whole document.
func jsonAt(ts *testscript.TestScript, path string) (any, bool) {
	var doc any
	if err := json.Unmarshal([]byte(ts.ReadFile("stdout")), &doc); err != nil {
		ts.Fatalf("stdout is not one JSON document: %v", err)
	}
	if path == "." {
		return doc, true
	}
	cur := doc
	for _, p := range strings.Split(path, ".") {
		switch x := cur.(type) {
		case map[string]any:
			v, ok := x[p]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// jsonString prints a decoded JSON value for comparison: strings bare,
// everything else as JSON.
func jsonString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
