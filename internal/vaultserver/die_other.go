//go:build !linux

package vaultserver

import "os/exec"

// dieWithParent: only Linux has a parent-death signal; elsewhere the
// server is stopped by Close, and the sync tests run on Linux in CI.
func dieWithParent(*exec.Cmd) {}
