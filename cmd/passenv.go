package cmd

import (
	"os"
	"strings"
)

// passEnvPrefix names the variables that carry a vault passphrase or say
// how to get one.
const passEnvPrefix = "LOCKET_PASSPHRASE"

// takePassEnv removes every LOCKET_PASSPHRASE* variable from the process
// environment and returns them. It runs first thing, so that no child
// locket starts (xclip holding the clipboard until it is cleared, the
// passphrase command, git) inherits a passphrase (security invariant 10).
func takePassEnv() map[string]string {
	vars := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, passEnvPrefix) {
			vars[k] = v
			os.Unsetenv(k)
		}
	}
	return vars
}
