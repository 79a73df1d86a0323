package vault

import (
	"fmt"
	"strings"
)

// ParseBool reads a yes/no setting the way git does: true, yes, on, 1 and
// false, no, off, 0, in any case.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("%w: %q is not a yes/no value (true/false, yes/no, on/off, 1/0)", ErrInvalid, s)
}
