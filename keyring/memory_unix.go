//go:build unix

package keyring

import "golang.org/x/sys/unix"

// lockPages keeps b out of swap (mlock); the memlock limit may refuse it.
func lockPages(b []byte) { unix.Mlock(b) }

func unlockPages(b []byte) { unix.Munlock(b) }
