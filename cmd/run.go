package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"locket/backup"
	"locket/cmd/internal/mask"
	"locket/internal/ref"
	"locket/vault"
)

// Shell exit codes for a command that cannot be run.
const (
	exitCannotExec = 126
	exitNoCommand  = 127
)

type runFlags struct {
	envFiles  []string
	prefix    string
	noMasking bool
	mask      bool
}

func newRunCmd(a *app) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [--env-file F]... [--prefix P] [--no-masking|--mask] -- CMD [ARGS...]",
		Short: "run a command with secrets in its environment",
		// The flags are in Use already; cobra would add [flags] after CMD.
		DisableFlagsInUseLine: true,
		Long: `Start CMD with its environment plus secrets, resolved from references:
  - every variable of the environment whose value is locket://NAME or
    locket://NAME?version=N;
  - with --prefix P, every enabled secret under P as a variable named
    after the rest of its name in UPPER_SNAKE case (P/db/password is
    DB_PASSWORD);
  - every line of each --env-file (dotenv syntax); plain values pass
    through, references are resolved.
Later entries of this list win, and later env files over earlier ones.
CMD starts only when every reference resolves: a missing secret is exit 3,
a disabled one exit 6. When CMD's output is not a terminal, every resolved
value in it is replaced by <concealed by locket>; --mask does so on a
terminal too, --no-masking never. Signals, stdin and the exit status pass
between locket and CMD as if CMD ran directly (a CMD that cannot be found
is exit 127). Each value handed to CMD is audited as run.`,
		Example: `  DATABASE_URL=locket://prod/db/url locket run -- ./server
  locket run --env-file .env -- npm start
  locket run --prefix myapp/dev -- env`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("run needs a command: locket run [flags] -- CMD [ARGS...]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.mask && f.noMasking {
				return usageError("--mask and --no-masking contradict each other")
			}
			return a.runCommand(cmd.Context(), f, args)
		},
	}
	// Flags after CMD are CMD's own, with or without "--".
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringArrayVar(&f.envFiles, "env-file", nil, "read variables from this dotenv file (repeatable)")
	cmd.Flags().StringVar(&f.prefix, "prefix", "", "pass every secret under this prefix as an UPPER_SNAKE variable")
	cmd.Flags().BoolVar(&f.noMasking, "no-masking", false, "never conceal values in CMD's output")
	cmd.Flags().BoolVar(&f.mask, "mask", false, "conceal values in CMD's output on a terminal too")
	return cmd
}

// envVar is one variable CMD gets: a plain value, or a reference.
type envVar struct {
	key, value string
	ref        *ref.Ref
	where      string
}

func (a *app) runCommand(ctx context.Context, f runFlags, argv []string) error {
	// The command is looked up first: a typo costs no unlock.
	path, err := exec.LookPath(argv[0])
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return withCode(exitCannotExec, fmt.Errorf("%s: permission denied", argv[0]))
		}
		return withCode(exitNoCommand, fmt.Errorf("%s: command not found", argv[0]))
	}
	fromEnv, err := referencedEnv(os.Environ())
	if err != nil {
		return err
	}
	var fromFiles []envVar
	for _, name := range f.envFiles {
		vars, err := envFile(name)
		if err != nil {
			return err
		}
		fromFiles = append(fromFiles, vars...)
	}
	prefix := ""
	if f.prefix != "" {
		if err := vault.ValidatePrefix(f.prefix); err != nil {
			return flagError("--prefix", err)
		}
		prefix = strings.TrimSuffix(f.prefix, "/") + "/"
	}

	env, values, err := a.resolveEnv(ctx, fromEnv, fromFiles, prefix, argv[0])
	if err != nil {
		return err
	}
	code, err := a.startChild(path, argv, env, values, f)
	if err != nil {
		return err
	}
	if code != 0 {
		return errSilent{code: code}
	}
	return nil
}

// resolveEnv resolves the references of the environment, of prefix and of
// the env files, later ones winning, and returns CMD's environment and the
// values handed out. The vault is opened only when there is something to
// resolve, and closed before CMD starts: a long-running CMD must not keep
// it busy for every other locket.
func (a *app) resolveEnv(ctx context.Context, fromEnv, fromFiles []envVar, prefix, to string) (env []string, values [][]byte, err error) {
	vars := slices.Concat(fromEnv, fromFiles)
	hasRef := slices.ContainsFunc(vars, func(ev envVar) bool { return ev.ref != nil })
	if !hasRef && prefix == "" {
		return childEnv(os.Environ(), vars, nil), nil, nil
	}
	err = a.withVault(ctx, readWrite, func(v vault.Service) error {
		if prefix != "" {
			fromPrefix, err := a.prefixEnv(ctx, v, prefix)
			if err != nil {
				return err
			}
			// A line written out in an env file wins over the prefix,
			// which wins over the environment.
			vars = slices.Concat(fromEnv, fromPrefix, fromFiles)
		}
		// Only the definition of a variable that wins is resolved: a value
		// CMD never sees is not handed out.
		last := map[string]int{}
		for i, ev := range vars {
			last[ev.key] = i
		}
		var refs []wanted
		for i, ev := range vars {
			if ev.ref != nil && last[ev.key] == i {
				refs = append(refs, wanted{ref: *ev.ref, where: ev.where})
			}
		}
		h := &handout{v: v, op: vault.OpRun, to: to}
		resolved, err := h.values(ctx, refs)
		if err != nil {
			return err
		}
		for _, val := range resolved {
			values = append(values, val)
		}
		env = childEnv(os.Environ(), vars, resolved)
		return nil
	})
	return env, values, err
}

// referencedEnv returns the variables of environ whose value is a
// reference. A value that starts with locket:// but does not parse is an
// error rather than a literal: it is a typo.
func referencedEnv(environ []string) ([]envVar, error) {
	var vars []envVar
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if !ref.Is(v) {
			continue
		}
		r, err := ref.Parse(v)
		if err != nil {
			return nil, fmt.Errorf("$%s: %w", k, err)
		}
		vars = append(vars, envVar{key: k, ref: &r, where: "$" + k})
	}
	return vars, nil
}

// envFile reads one dotenv file through the one dotenv parser.
func envFile(name string) ([]envVar, error) {
	file, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("env file: %w", err)
	}
	defer file.Close()
	entries, err := backup.ParseDotenv(file)
	var de *backup.DotenvError
	if errors.As(err, &de) {
		return nil, fmt.Errorf("%s:%d: %w", name, de.Line, de.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	vars := make([]envVar, 0, len(entries))
	for _, e := range entries {
		where := fmt.Sprintf("%s:%d: %s", name, e.Line, e.Key)
		ev := envVar{key: e.Key, value: e.Value, where: where}
		if ref.Is(e.Value) {
			r, err := ref.Parse(e.Value)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			ev.ref = &r
		}
		vars = append(vars, ev)
	}
	return vars, nil
}

// prefixEnv names every enabled secret under prefix as a variable. Two
// secrets that would give the same variable are an error: neither may
// silently win.
func (a *app) prefixEnv(ctx context.Context, v vault.Service, prefix string) ([]envVar, error) {
	secrets, err := v.List(ctx, vault.ListOptions{Prefix: prefix})
	if err != nil {
		return nil, err
	}
	var vars []envVar
	from := map[string]string{}
	for _, s := range secrets {
		if !s.Enabled {
			fmt.Fprintf(a.stderr, "locket: left out %s: disabled\n", vault.Sanitize(s.Name))
			continue
		}
		key := strings.ToUpper(backup.EnvKey(strings.TrimPrefix(s.Name, prefix)))
		if other, ok := from[key]; ok {
			return nil, fmt.Errorf("--prefix %s: %s and %s both become %s; rename one", prefix, other, s.Name, key)
		}
		from[key] = s.Name
		r := ref.Ref{Name: s.Name}
		vars = append(vars, envVar{key: key, ref: &r, where: "--prefix " + prefix})
	}
	if len(vars) == 0 {
		return nil, withCode(ExitNotFound, fmt.Errorf("--prefix %s: no enabled secrets under it", prefix))
	}
	return vars, nil
}

// childEnv is environ with vars set, later ones winning. The passphrase is
// never passed on: no locket process hands it to a child.
func childEnv(environ []string, vars []envVar, values map[ref.Ref][]byte) []string {
	env := slices.DeleteFunc(slices.Clone(environ), func(kv string) bool {
		return strings.HasPrefix(kv, "LOCKET_PASSPHRASE=")
	})
	index := map[string]int{}
	for i, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		index[k] = i
	}
	for _, ev := range vars {
		val := ev.value
		if ev.ref != nil {
			val = string(values[*ev.ref])
		}
		kv := ev.key + "=" + val
		if i, ok := index[ev.key]; ok {
			env[i] = kv
			continue
		}
		index[ev.key] = len(env)
		env = append(env, kv)
	}
	return env
}

// forwarded are the signals CMD gets as if it ran directly.
var forwarded = []os.Signal{
	syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGWINCH,
	syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2,
}

// startChild runs CMD to its end and returns its exit status, 128+n when
// signal n killed it, as a shell reports it.
func (a *app) startChild(path string, argv, env []string, values [][]byte, f runFlags) (int, error) {
	c := exec.Command(path, argv[1:]...)
	c.Args = argv
	c.Env = env
	c.Stdin = a.stdin
	var closers []io.Closer
	output := func(w io.Writer) io.Writer {
		if f.noMasking || len(values) == 0 || isTerminal(w) && !f.mask {
			return w
		}
		m := mask.NewWriter(w, values)
		closers = append(closers, m)
		return m
	}
	c.Stdout, c.Stderr = output(a.stdout), output(a.stderr)

	// Notify before Start: a signal that arrives while CMD starts is
	// queued and forwarded, not lost, and does not kill locket.
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := c.Start(); err != nil {
		// As a shell: gone since the lookup is 127, any other reason
		// (permissions, a file that is no program) 126.
		if errors.Is(err, fs.ErrNotExist) {
			return 0, withCode(exitNoCommand, fmt.Errorf("%s: command not found", argv[0]))
		}
		return 0, withCode(exitCannotExec, fmt.Errorf("%s: %w", argv[0], errors.Unwrap(err)))
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				if !fromTerminal(s) {
					c.Process.Signal(s)
				}
			case <-done:
				return
			}
		}
	}()
	waitErr := c.Wait()
	close(done)
	var outErr error
	for _, m := range closers {
		if err := m.Close(); outErr == nil {
			outErr = err
		}
	}
	for _, v := range values {
		clear(v)
	}
	ws, ok := c.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case !ok:
		return 0, waitErr
	case ws.Signaled():
		return 128 + int(ws.Signal()), nil
	case ws.ExitStatus() != 0:
		return ws.ExitStatus(), nil
	}
	// CMD succeeded, but what it wrote may not have reached our output
	// whole (a closed pipe, a full disk): that is not a success.
	if outErr != nil {
		return 0, fmt.Errorf("write CMD's output: %w", outErr)
	}
	return 0, nil
}

// fromTerminal reports whether the terminal has sent s to CMD already: the
// keys ^C and ^\ and a window resize signal the whole foreground process
// group, which CMD shares with locket. Forwarding those again would
// deliver them twice (two ^C often means "quit now").
func fromTerminal(s os.Signal) bool {
	if s != syscall.SIGINT && s != syscall.SIGQUIT && s != syscall.SIGWINCH {
		return false
	}
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false
	}
	defer tty.Close()
	fg, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && fg == unix.Getpgrp()
}
