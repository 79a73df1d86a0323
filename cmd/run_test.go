//go:build unix

package cmd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

// runChild is the CMD of the run scenarios, installed as "runchild":
//
//	runchild env VAR...   print VAR=value (or VAR unset) for each
//	runchild drip VAR...  write VAR=value lines to stdout and stderr one
//	                      byte per write, to split values across writes
//	runchild argv         print its own /proc/self/cmdline, NULs as spaces
//	runchild cat          copy stdin to stdout
//	runchild exit N       exit with N
//	runchild touch FILE   create FILE, to show that it ran
//	runchild signals      print "ready", then "got SIGNAL" for each signal
//	                      it receives; exit 7 after SIGTERM
//	runchild hang         print "ready" and wait to be killed
func runChild() {
	args := os.Args[1:]
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "runchild: no mode")
		os.Exit(2)
	}
	switch args[0] {
	case "env":
		for _, k := range args[1:] {
			if v, ok := os.LookupEnv(k); ok {
				fmt.Printf("%s=%s\n", k, v)
			} else {
				fmt.Printf("%s unset\n", k)
			}
		}
	case "drip":
		for _, k := range args[1:] {
			line := k + "=" + os.Getenv(k) + "\n"
			for i := range len(line) {
				os.Stdout.Write([]byte{line[i]})
				os.Stderr.Write([]byte{line[i]})
			}
		}
	case "argv":
		b, err := os.ReadFile("/proc/self/cmdline")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(strings.ReplaceAll(string(b), "\x00", " "))
	case "cat":
		io.Copy(os.Stdout, os.Stdin)
	case "touch":
		if err := os.WriteFile(args[1], nil, 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "exit":
		n, _ := strconv.Atoi(args[1])
		os.Exit(n)
	case "signals":
		sigs := make(chan os.Signal, 8)
		signal.Notify(sigs, forwarded...)
		fmt.Println("ready")
		for s := range sigs {
			fmt.Println("got", s)
			if s == syscall.SIGTERM {
				os.Exit(7)
			}
		}
	case "hang":
		fmt.Println("ready")
		select {}
	default:
		fmt.Fprintln(os.Stderr, "runchild: unknown mode", args[0])
		os.Exit(2)
	}
}

func init() {
	scriptCmds["sigrun"] = sigrun
	scriptCmds["nocanary"] = nocanary
}

// sigrun [VAR=VALUE...] MODE: runs "locket run -- runchild MODE" with the
// script's vault and the given variables, waits for the child's "ready",
// and then:
//
//	signals: sends HUP, WINCH, INT, QUIT, USR1, USR2 and TERM to locket,
//	         each after the child reported the one before; locket must
//	         exit with the child's 7
//	hang:    sends TERM; locket must exit 128+15, as the child was killed
//
// Every step waits for a line from the child, never for a time.
func sigrun(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: sigrun [VAR=VALUE...] signals|hang")
	}
	mode := args[len(args)-1]
	env := os.Environ()
	for _, k := range []string{"HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "LOCKET_VAULT", "LOCKET_PASSPHRASE_FILE", "TMPDIR"} {
		env = append(env, k+"="+ts.Getenv(k))
	}
	env = append(env, args[:len(args)-1]...)
	c := exec.Command("locket", "run", "--", "runchild", mode)
	c.Env = env
	// A session of its own: no controlling terminal, so that every signal
	// reaches locket's forwarding and none comes from a terminal.
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := c.StdoutPipe()
	ts.Check(err)
	var stderr strings.Builder
	c.Stderr = &stderr
	ts.Check(c.Start())
	lines := bufio.NewScanner(out)
	expect := func(want string) {
		if !lines.Scan() {
			c.Wait()
			ts.Fatalf("child said nothing more, want %q; stderr: %s", want, stderr.String())
		}
		if lines.Text() != want {
			ts.Fatalf("child said %q, want %q", lines.Text(), want)
		}
	}
	expect("ready")
	want := 128 + int(syscall.SIGTERM)
	if mode == "signals" {
		for _, s := range []syscall.Signal{syscall.SIGHUP, syscall.SIGWINCH, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2} {
			ts.Check(c.Process.Signal(s))
			expect("got " + s.String())
		}
		want = 7
	}
	ts.Check(c.Process.Signal(syscall.SIGTERM))
	if mode == "signals" {
		expect("got " + syscall.SIGTERM.String())
	}
	io.Copy(io.Discard, out)
	err = c.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != want {
		ts.Fatalf("locket run ended with %v, want exit %d; stderr: %s", err, want, stderr.String())
	}
	ts.Logf("locket exited %d", want)
}

// nocanary DIR TEXT: no file under DIR holds TEXT.
func nocanary(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: nocanary DIR TEXT")
	}
	n := 0
	err := filepath.WalkDir(ts.MkAbs(args[0]), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if strings.Contains(string(b), args[1]) {
			return fmt.Errorf("%s holds the canary", path)
		}
		return nil
	})
	ts.Check(err)
	ts.Logf("%d files without the canary", n)
}
