package backup

import (
	"testing"

	"locket/internal/agent/proto"
)

// The agent's import stream is bounded like a backup file: the direct and
// the agent's path accept the same imports.
func TestAgentImportLimitsMatch(t *testing.T) {
	if proto.MaxFrame != maxElement || proto.MaxVersions != maxVersions || proto.MaxSecrets != maxSecrets {
		t.Fatalf("agent import limits %d/%d/%d, backup's %d/%d/%d",
			proto.MaxFrame, proto.MaxVersions, proto.MaxSecrets, maxElement, maxVersions, maxSecrets)
	}
}
