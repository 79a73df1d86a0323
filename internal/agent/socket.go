package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
)

// SocketEnv overrides the socket path: for a vault whose agent runs
// elsewhere (ssh -R forwarding), or for tests.
const SocketEnv = "LOCKET_AGENT_SOCK"

// ErrUnsafeDir: the socket directory is not private to this user.
var ErrUnsafeDir = errors.New("agent socket directory is not private")

// SocketPath is where the agent of the vault in dir listens:
// $LOCKET_AGENT_SOCK, else $XDG_RUNTIME_DIR/locket/<hash>.sock, else a
// private directory of this user's under the temp dir; on Windows the
// named pipe \\.\pipe\locket-<user SID>-<hash>. The hash is of the
// vault's absolute directory, so each vault has its own agent and two
// spellings of one directory find the same one.
func SocketPath(vaultDir string) (string, error) {
	if p := os.Getenv(SocketEnv); p != "" {
		return p, nil
	}
	abs, err := filepath.Abs(vaultDir)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	sum := sha256.Sum256([]byte(abs))
	// 16 bytes of hash keep the path well under the 108-byte limit of a
	// socket address.
	return socketFor(hex.EncodeToString(sum[:16]))
}

// ErrRunning: a live agent already answers on the socket.
var ErrRunning = errors.New("an agent is already running for this vault")
