package vault

import (
	"errors"
	"testing"
	"time"
)

func TestAgentSettings(t *testing.T) {
	var old Settings // a vault from before the agent stored none of them
	if idle, ttl := old.AgentLimits(); idle != DefaultAgentIdle || ttl != DefaultAgentTTL {
		t.Errorf("limits of an old vault: %s, %s", idle, ttl)
	}
	if got, _ := old.Get("agent"); got != "on" {
		t.Errorf("agent of an old vault: %s", got)
	}
	s := DefaultSettings()
	for _, kv := range [][2]string{{"agent", "off"}, {"agent-idle", "15m"}, {"agent-ttl", "2h"}} {
		var err error
		if s, err = s.With(kv[0], kv[1]); err != nil {
			t.Fatalf("config %s %s: %v", kv[0], kv[1], err)
		}
		if got, _ := s.Get(kv[0]); got != kv[1] {
			t.Errorf("config %s = %s, want %s", kv[0], got, kv[1])
		}
	}
	if idle, ttl := s.AgentLimits(); !s.AgentOff || idle != 15*time.Minute || ttl != 2*time.Hour {
		t.Errorf("settings %+v", s)
	}
	for _, kv := range [][2]string{{"agent", "maybe"}, {"agent-idle", "5s"}, {"agent-ttl", "30s"}, {"agent-idle", "3h"}} {
		if _, err := s.With(kv[0], kv[1]); !errors.Is(err, ErrInvalid) {
			t.Errorf("config %s %s: %v", kv[0], kv[1], err)
		}
	}
}
