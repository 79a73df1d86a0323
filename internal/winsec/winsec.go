// Package winsec expresses locket's "private to this user" rules as
// Windows security descriptors: the vault directory and the agent's
// directory get a protected DACL that grants only the user, and a
// directory whose DACL lets anyone else write is refused, as mode 0700
// and the group/world-writable check do on Unix.
package winsec

import "errors"

// ErrNotPrivate: someone other than the user may change the object.
var ErrNotPrivate = errors.New("not private to this user")
