// Package assets holds files embedded in the locket binary: the demo
// vault's example secrets.
package assets

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed demo.json
var demoJSON []byte

// DemoVersion is one version of a demo secret, Age before now.
type DemoVersion struct {
	Age   string `json:"age"`
	Value string `json:"value"`
}

// DemoSecret is one example secret of `locket demo`. Durations are
// relative to the moment the demo starts, in vault.ParseDuration syntax;
// Expires may be negative ("-4d", already expired).
type DemoSecret struct {
	Name        string            `json:"name"`
	ContentType string            `json:"type"`
	Tags        map[string]string `json:"tags"`
	Versions    []DemoVersion     `json:"versions"`
	Expires     string            `json:"expires,omitempty"`
	NotBefore   string            `json:"not_before,omitempty"`
	Disabled    bool              `json:"disabled,omitempty"`
	Deleted     string            `json:"deleted,omitempty"`
	Snooze      string            `json:"snooze,omitempty"`
}

// DemoSecrets returns the demo vault's secrets. None of the values is a
// real credential: token-shaped values say DEMO-not-real so that secret
// scanners and readers can tell.
func DemoSecrets() ([]DemoSecret, error) {
	var doc struct {
		Secrets []DemoSecret `json:"secrets"`
	}
	if err := json.Unmarshal(demoJSON, &doc); err != nil {
		return nil, fmt.Errorf("demo secrets: %w", err)
	}
	return doc.Secrets, nil
}
