package cmd

import (
	"runtime/debug"
	"strings"
)

// version says which locket this is: the module version, and the commit
// it was built from when the build recorded one ("dirty" when the work
// tree had changes). go install of a tagged release gives its tag; a
// build in a checkout gives (devel) and the commit.
func version(info *debug.BuildInfo, ok bool) string {
	if !ok {
		return "unknown (built without module information)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", dirty"
			}
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return v + " (" + strings.TrimSpace(rev) + dirty + ")"
}
