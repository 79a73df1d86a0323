//go:build windows && wine

package vault

// Under Wine, t.TempDir's cleanup needs the older delete call.
import _ "locket/internal/winetest"
