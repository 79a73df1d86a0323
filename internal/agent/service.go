package agent

import (
	"context"
	"time"

	"locket/internal/agent/proto"
	"locket/vault"
)

// The vault.Service methods, each one call on the agent with the request
// and answer types of package proto; the server's side is calls.go.

var empty = proto.Empty{}

func (c *Client) Info(ctx context.Context) (i vault.Info, err error) {
	err = c.call(ctx, "Info", empty, &i)
	return i, err
}

func (c *Client) Settings(ctx context.Context) (s vault.Settings, err error) {
	err = c.call(ctx, "Settings", empty, &s)
	return s, err
}

func (c *Client) SetSetting(ctx context.Context, key, value string, current []byte) error {
	return c.call(ctx, "SetSetting", proto.SetSettingRequest{Key: key, Value: value, Current: current}, nil)
}

func (c *Client) ChangePassphrase(ctx context.Context, current, passphrase []byte, kdf vault.KDFParams) error {
	return c.call(ctx, "ChangePassphrase", proto.PassphraseRequest{Current: current, Passphrase: passphrase, KDF: kdf}, nil)
}

func (c *Client) Rekey(ctx context.Context, current, passphrase []byte, kdf vault.KDFParams) error {
	return c.call(ctx, "Rekey", proto.PassphraseRequest{Current: current, Passphrase: passphrase, KDF: kdf}, nil)
}

func (c *Client) Verify(ctx context.Context) (r vault.VerifyReport, err error) {
	err = c.call(ctx, "Verify", empty, &r)
	return r, err
}

func (c *Client) Put(ctx context.Context, name string, value []byte, o vault.PutOptions) (vault.Version, error) {
	var r proto.VersionResponse
	err := c.call(ctx, "Put", proto.PutRequestOf(name, value, o), &r)
	return r.Version, err
}

func (c *Client) Get(ctx context.Context, name string, version int, purpose vault.Op) ([]byte, vault.Version, error) {
	var r proto.GetResponse
	err := c.call(ctx, "Get", proto.GetRequest{Name: name, Version: version, Purpose: purpose}, &r)
	return r.Value, r.Version, err
}

func (c *Client) GetFor(ctx context.Context, name string, version int, purpose vault.Op, to string) ([]byte, vault.Version, error) {
	var r proto.GetResponse
	err := c.call(ctx, "GetFor", proto.GetRequest{Name: name, Version: version, Purpose: purpose, To: to}, &r)
	return r.Value, r.Version, err
}

func (c *Client) Secret(ctx context.Context, name string) (vault.Secret, error) {
	var r proto.SecretResponse
	err := c.call(ctx, "Secret", proto.NameRequest{Name: name}, &r)
	return r.Secret, err
}

// List's answer is packed (docs/agent-protocol.md, "Packed answers").
func (c *Client) List(ctx context.Context, o vault.ListOptions) ([]vault.Secret, error) {
	b, err := c.packed(ctx, "List", proto.ListRequest{Prefix: o.Prefix, Deleted: o.Deleted, Tags: o.Tags, Statuses: o.Statuses, At: o.At})
	if err != nil {
		return nil, err
	}
	return vault.DecodeSecrets(b)
}

func (c *Client) Tag(ctx context.Context, name string, ch vault.TagChange) error {
	return c.call(ctx, "Tag", proto.TagRequest{Name: name, Set: ch.Set, Remove: ch.Remove, IgnoreMissing: ch.IgnoreMissing, Note: ch.Note}, nil)
}

func (c *Client) Update(ctx context.Context, name string, a vault.Attributes) error {
	return c.call(ctx, "Update", proto.UpdateRequest{Name: name, ContentType: a.ContentType, Expires: a.Expires, NotBefore: a.NotBefore, Enabled: a.Enabled, Note: a.Note}, nil)
}

func (c *Client) Rename(ctx context.Context, oldName, newName string) error {
	return c.call(ctx, "Rename", proto.RenameRequest{From: oldName, To: newName}, nil)
}

func (c *Client) Rollback(ctx context.Context, name string, version int) (vault.Version, error) {
	var r proto.VersionResponse
	err := c.call(ctx, "Rollback", proto.RollbackRequest{Name: name, Version: version}, &r)
	return r.Version, err
}

func (c *Client) Delete(ctx context.Context, name string) error {
	return c.call(ctx, "Delete", proto.NameRequest{Name: name}, nil)
}

func (c *Client) Recover(ctx context.Context, name string) error {
	return c.call(ctx, "Recover", proto.NameRequest{Name: name}, nil)
}

func (c *Client) Purge(ctx context.Context, name string) error {
	return c.call(ctx, "Purge", proto.NameRequest{Name: name}, nil)
}

// Check's answer is packed (docs/agent-protocol.md, "Packed answers").
func (c *Client) Check(ctx context.Context, at time.Time) ([]vault.Finding, error) {
	b, err := c.packed(ctx, "Check", proto.CheckRequest{At: at})
	if err != nil {
		return nil, err
	}
	return vault.DecodeFindings(b)
}

func (c *Client) Timeline(ctx context.Context, name string) ([]vault.TimelineEntry, error) {
	var r proto.TimelineResponse
	err := c.call(ctx, "Timeline", proto.NameRequest{Name: name}, &r)
	if err != nil {
		return nil, err
	}
	return proto.VaultTimeline(r.Entries), nil
}

func (c *Client) Audit(ctx context.Context, name string) ([]vault.Event, error) {
	var r proto.AuditResponse
	err := c.call(ctx, "Audit", proto.NameRequest{Name: name}, &r)
	return r.Events, err
}

func (c *Client) VerifyAudit(ctx context.Context) (int, error) {
	var r proto.VerifyAuditResponse
	err := c.call(ctx, "VerifyAudit", empty, &r)
	return r.Events, err
}

func (c *Client) Review(ctx context.Context, name, note string) error {
	return c.call(ctx, "Review", proto.ReviewRequest{Name: name, Note: note}, nil)
}

func (c *Client) RecordBackup(ctx context.Context) error {
	return c.call(ctx, "RecordBackup", empty, nil)
}

func (c *Client) Snapshot(ctx context.Context, o vault.SnapshotOptions) ([]vault.SecretData, vault.Settings, error) {
	var r proto.SnapshotResponse
	err := c.call(ctx, "Snapshot", proto.SnapshotRequest{Prefix: o.Prefix, Tags: o.Tags, Purpose: o.Purpose, Note: o.Note, Passphrase: o.Passphrase}, &r)
	if err != nil {
		return nil, vault.Settings{}, err
	}
	return proto.VaultSecretData(r.Secrets), r.Settings, nil
}

// Import streams: see import.go.

func (c *Client) SyncStates(ctx context.Context, target string) (map[string]vault.SyncState, error) {
	var r proto.SyncStatesResponse
	err := c.call(ctx, "SyncStates", proto.TargetRequest{Target: target}, &r)
	return r.States, err
}

func (c *Client) SetSyncState(ctx context.Context, target string, st vault.SyncState) error {
	return c.call(ctx, "SetSyncState", proto.SetSyncStateRequest{Target: target, State: st}, nil)
}

func (c *Client) ForgetSyncState(ctx context.Context, target, name string) error {
	return c.call(ctx, "ForgetSyncState", proto.ForgetSyncStateRequest{Target: target, Name: name}, nil)
}
