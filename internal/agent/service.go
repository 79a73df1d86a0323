package agent

import (
	"context"
	"time"

	"locket/vault"
)

// The vault.Service methods, each one call on the agent. The server runs
// the method of the same name on its vault (see handleCall).

func (c *Client) Info(ctx context.Context) (i vault.Info, err error) {
	err = c.call(ctx, "Info", nil, &i)
	return i, err
}

func (c *Client) Settings(ctx context.Context) (s vault.Settings, err error) {
	err = c.call(ctx, "Settings", nil, &s)
	return s, err
}

func (c *Client) SetSetting(ctx context.Context, key, value string, current []byte) error {
	return c.call(ctx, "SetSetting", []any{key, value, current})
}

func (c *Client) ChangePassphrase(ctx context.Context, current, passphrase []byte, kdf vault.KDFParams) error {
	return c.call(ctx, "ChangePassphrase", []any{current, passphrase, kdf})
}

func (c *Client) Rekey(ctx context.Context, current, passphrase []byte, kdf vault.KDFParams) error {
	return c.call(ctx, "Rekey", []any{current, passphrase, kdf})
}

func (c *Client) Verify(ctx context.Context) (r vault.VerifyReport, err error) {
	err = c.call(ctx, "Verify", nil, &r)
	return r, err
}

func (c *Client) Put(ctx context.Context, name string, value []byte, o vault.PutOptions) (v vault.Version, err error) {
	err = c.call(ctx, "Put", []any{name, value, o}, &v)
	return v, err
}

func (c *Client) Get(ctx context.Context, name string, version int, purpose vault.Op) (val []byte, v vault.Version, err error) {
	err = c.call(ctx, "Get", []any{name, version, purpose}, &val, &v)
	return val, v, err
}

func (c *Client) GetFor(ctx context.Context, name string, version int, purpose vault.Op, to string) (val []byte, v vault.Version, err error) {
	err = c.call(ctx, "GetFor", []any{name, version, purpose, to}, &val, &v)
	return val, v, err
}

func (c *Client) Secret(ctx context.Context, name string) (s vault.Secret, err error) {
	err = c.call(ctx, "Secret", []any{name}, &s)
	return s, err
}

// List's answer is packed, not gob (see packedMethods).
func (c *Client) List(ctx context.Context, o vault.ListOptions) ([]vault.Secret, error) {
	packed, err := c.packed(ctx, "List", []any{o})
	if err != nil {
		return nil, err
	}
	return vault.DecodeSecrets(packed)
}

func (c *Client) Tag(ctx context.Context, name string, ch vault.TagChange) error {
	return c.call(ctx, "Tag", []any{name, ch})
}

func (c *Client) Update(ctx context.Context, name string, a vault.Attributes) error {
	return c.call(ctx, "Update", []any{name, a})
}

func (c *Client) Rename(ctx context.Context, oldName, newName string) error {
	return c.call(ctx, "Rename", []any{oldName, newName})
}

func (c *Client) Rollback(ctx context.Context, name string, version int) (v vault.Version, err error) {
	err = c.call(ctx, "Rollback", []any{name, version}, &v)
	return v, err
}

func (c *Client) Delete(ctx context.Context, name string) error {
	return c.call(ctx, "Delete", []any{name})
}

func (c *Client) Recover(ctx context.Context, name string) error {
	return c.call(ctx, "Recover", []any{name})
}

func (c *Client) Purge(ctx context.Context, name string) error {
	return c.call(ctx, "Purge", []any{name})
}

// Check's answer is packed, not gob (see packedMethods).
func (c *Client) Check(ctx context.Context, at time.Time) ([]vault.Finding, error) {
	packed, err := c.packed(ctx, "Check", []any{at})
	if err != nil {
		return nil, err
	}
	return vault.DecodeFindings(packed)
}

func (c *Client) Timeline(ctx context.Context, name string) (t []vault.TimelineEntry, err error) {
	err = c.call(ctx, "Timeline", []any{name}, &t)
	return t, err
}

func (c *Client) Audit(ctx context.Context, name string) (e []vault.Event, err error) {
	err = c.call(ctx, "Audit", []any{name}, &e)
	return e, err
}

func (c *Client) VerifyAudit(ctx context.Context) (n int, err error) {
	err = c.call(ctx, "VerifyAudit", nil, &n)
	return n, err
}

func (c *Client) Review(ctx context.Context, name, note string) error {
	return c.call(ctx, "Review", []any{name, note})
}

func (c *Client) Snapshot(ctx context.Context, o vault.SnapshotOptions) (d []vault.SecretData, s vault.Settings, err error) {
	err = c.call(ctx, "Snapshot", []any{o}, &d, &s)
	return d, s, err
}

// Import streams: see import.go.

func (c *Client) SyncStates(ctx context.Context, target string) (m map[string]vault.SyncState, err error) {
	err = c.call(ctx, "SyncStates", []any{target}, &m)
	return m, err
}

func (c *Client) SetSyncState(ctx context.Context, target string, st vault.SyncState) error {
	return c.call(ctx, "SetSyncState", []any{target, st})
}

func (c *Client) ForgetSyncState(ctx context.Context, target, name string) error {
	return c.call(ctx, "ForgetSyncState", []any{target, name})
}
