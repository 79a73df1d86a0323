package agent

import (
	"net"

	"golang.org/x/sys/unix"
)

// peerOf returns the uid of the process at the other end of c
// (getpeereid through LOCAL_PEERCRED) and its pid (LOCAL_PEERPID).
func peerOf(c *net.UnixConn) (uid, pid int, err error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	cerr := raw.Control(func(fd uintptr) {
		var cred *unix.Xucred
		cred, err = unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
		if err != nil {
			return
		}
		uid = int(cred.Uid)
		pid, err = unix.GetsockoptInt(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERPID)
	})
	if cerr != nil {
		return 0, 0, cerr
	}
	return uid, pid, err
}
