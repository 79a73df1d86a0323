package agent

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/windows"

	"locket/internal/winsec"
)

// handleOf is the pipe handle under a go-winio connection.
func handleOf(c net.Conn) (windows.Handle, error) {
	f, ok := c.(interface{ Fd() uintptr })
	if !ok {
		return 0, fmt.Errorf("not a named pipe connection")
	}
	return windows.Handle(f.Fd()), nil
}

// processUser is the SID of the user a process runs as, from its token.
func processUser(pid uint32) (*windows.SID, error) {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return nil, fmt.Errorf("open process %d: %w", pid, err)
	}
	defer windows.CloseHandle(h)
	var tok windows.Token
	if err := windows.OpenProcessToken(h, windows.TOKEN_QUERY, &tok); err != nil {
		return nil, fmt.Errorf("open the token of process %d: %w", pid, err)
	}
	defer tok.Close()
	tu, err := tok.GetTokenUser()
	if err != nil {
		return nil, err
	}
	return tu.User.Sid.Copy()
}

// checkClient returns the peer of an accepted connection, or an error if
// the client process's token is not this user's: the kernel names the
// client (GetNamedPipeClientProcessId), so it cannot lie. The error
// completes "refused a connection".
func checkClient(c net.Conn, _ int) (Peer, error) {
	h, err := handleOf(c)
	if err != nil {
		return Peer{}, fmt.Errorf("that is %v", err)
	}
	var pid uint32
	if err := windows.GetNamedPipeClientProcessId(h, &pid); err != nil {
		return Peer{}, fmt.Errorf("whose client process cannot be read: %w", err)
	}
	if err := sameUser(pid); err != nil {
		return Peer{}, fmt.Errorf("from pid %d: %w", pid, err)
	}
	return Peer{UID: os.Getuid(), PID: int(pid)}, nil
}

// checkServer verifies that the agent at the other end of a client's
// pipe runs as this user, so that a pipe planted by someone else never
// receives a passphrase.
func checkServer(c net.Conn) error {
	h, err := handleOf(c)
	if err != nil {
		return nil
	}
	var pid uint32
	if err := windows.GetNamedPipeServerProcessId(h, &pid); err != nil {
		return fmt.Errorf("agent peer credentials: %w", err)
	}
	return sameUser(pid)
}

// sameUser returns ErrPeer unless process pid runs as this user.
func sameUser(pid uint32) error {
	me, err := winsec.UserSID()
	if err != nil {
		return err
	}
	them, err := processUser(pid)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPeer, err)
	}
	if !them.Equals(me) {
		return fmt.Errorf("%w: %s", ErrPeer, them)
	}
	return nil
}
