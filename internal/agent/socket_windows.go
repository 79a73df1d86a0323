package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"

	"locket/internal/winsec"
)

// On Windows the agent listens on a named pipe, as Windows' OpenSSH agent
// does. Pipe names are global, so the name carries the user's SID; the
// pipe's security descriptor lets only that SID open it, and the server
// checks every client's token on top (peer_windows.go).

// socketFor is the pipe of the agent whose vault hashes to name.
func socketFor(name string) (string, error) {
	sid, err := winsec.UserSID()
	if err != nil {
		return "", err
	}
	return `\\.\pipe\locket-` + sid.String() + "-" + name, nil
}

// logPath is the agent's log in %LocalAppData%\locket\agent: a pipe has
// no directory to put it beside.
func logPath(socket string) string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	name := socket[strings.LastIndexAny(socket, `\/`)+1:]
	return filepath.Join(base, "locket", "agent", name+".log")
}

// privateDir creates dir if needed, with an access control list for this
// user alone, and refuses one that others may write to.
func privateDir(dir string) error {
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create agent directory: %w", err)
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		if err := winsec.Restrict(dir); err != nil {
			return err
		}
	}
	if err := winsec.CheckPrivate(dir); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUnsafeDir, dir, err)
	}
	return nil
}

// listen creates the first instance of the pipe at path with a security
// descriptor that admits only this user. Creating a pipe whose name
// exists fails, so a squatter's pipe is never shared with them.
func listen(path string) (net.Listener, error) {
	if alive(path) {
		return nil, fmt.Errorf("%w (%s)", ErrRunning, path)
	}
	sddl, err := winsec.UserOnlySDDL()
	if err != nil {
		return nil, err
	}
	l, err := winio.ListenPipe(path, &winio.PipeConfig{SecurityDescriptor: sddl})
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	return l, nil
}

// alive reports whether an agent accepts connections at path.
func alive(path string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := winio.DialPipeContext(ctx, path)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// dial connects to the agent's pipe.
func dial(ctx context.Context, socket string) (net.Conn, error) {
	return winio.DialPipeContext(ctx, socket)
}

// detach starts the agent without a console and in a process group of
// its own, so that closing the terminal or ctrl+c in it does not end it.
// Windows passes a child only the handles it is given (stdout, stderr),
// so nothing else needs closing.
func detach(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{
		CreationFlags: windows.CREATE_NEW_PROCESS_GROUP | windows.DETACHED_PROCESS,
	}
}
