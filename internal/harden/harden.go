// Package harden closes the ways a process that holds a vault key could
// leak it through the operating system: a core dump written to disk when
// it crashes (GOTRACEBACK=crash and a SIGABRT are enough), another process
// of the same user reading its memory through ptrace or /proc/PID/mem, and
// (for the long-lived agent) its pages written to swap. Every locket
// process calls Process before it reads a passphrase; the agent also calls
// LockMemory.
package harden
