// Command locket is a local secrets vault for developers: a terminal UI and
// a scriptable command line over an encrypted, embedded store.
package main

import (
	"os"

	"locket/cmd"
)

func main() { os.Exit(cmd.Execute()) }
