package agent

import (
	"context"

	"locket/internal/agent/proto"
	"locket/vault"
)

// callFunc serves one call: it decodes the request body strictly (unknown
// fields are unsupported) and runs the call on svc. Its answer is a value
// sent as JSON, or packed bytes sent as they are.
type callFunc func(ctx context.Context, svc vault.Service, body []byte) (any, error)

// packed is an answer sent as application/octet-stream (List, Check: see
// docs/agent-protocol.md, "Packed answers").
type packed []byte

// call adapts a typed call to callFunc.
func call[Req, Resp any](f func(ctx context.Context, svc vault.Service, req *Req) (Resp, error)) callFunc {
	return func(ctx context.Context, svc vault.Service, body []byte) (any, error) {
		var req Req
		if err := proto.DecodeStrict(body, &req); err != nil {
			return nil, err
		}
		return f(ctx, svc, &req)
	}
}

// none is the answer of a call that returns only an error.
var none = proto.Empty{}

// calls is every call the agent serves, POST {prefix}call/{name}: this
// table is the served surface, so nothing else of the vault (Close, a
// helper, an unexported method) can be reached. Changes and Import have
// paths of their own (events, import).
var calls = map[string]callFunc{
	"Info": call(func(ctx context.Context, svc vault.Service, _ *proto.Empty) (vault.Info, error) {
		return svc.Info(ctx)
	}),
	"Settings": call(func(ctx context.Context, svc vault.Service, _ *proto.Empty) (vault.Settings, error) {
		return svc.Settings(ctx)
	}),
	"SetSetting": call(func(ctx context.Context, svc vault.Service, r *proto.SetSettingRequest) (proto.Empty, error) {
		defer clear(r.Current)
		return none, svc.SetSetting(ctx, r.Key, r.Value, r.Current)
	}),
	"ChangePassphrase": call(func(ctx context.Context, svc vault.Service, r *proto.PassphraseRequest) (proto.Empty, error) {
		defer clear(r.Passphrase)
		defer clear(r.Current)
		return none, svc.ChangePassphrase(ctx, r.Current, r.Passphrase, r.KDF)
	}),
	"Rekey": call(func(ctx context.Context, svc vault.Service, r *proto.PassphraseRequest) (proto.Empty, error) {
		defer clear(r.Passphrase)
		defer clear(r.Current)
		return none, svc.Rekey(ctx, r.Current, r.Passphrase, r.KDF)
	}),
	"RecordBackup": call(func(ctx context.Context, svc vault.Service, _ *proto.Empty) (proto.Empty, error) {
		return none, svc.RecordBackup(ctx)
	}),
	"Verify": call(func(ctx context.Context, svc vault.Service, _ *proto.Empty) (vault.VerifyReport, error) {
		return svc.Verify(ctx)
	}),
	"Put": call(func(ctx context.Context, svc vault.Service, r *proto.PutRequest) (proto.VersionResponse, error) {
		o, err := r.Options()
		if err != nil {
			return proto.VersionResponse{}, err
		}
		v, err := svc.Put(ctx, r.Name, r.Value, o)
		return proto.VersionResponse{Version: v}, err
	}),
	"Get": call(func(ctx context.Context, svc vault.Service, r *proto.GetRequest) (proto.GetResponse, error) {
		if r.To != "" {
			return proto.GetResponse{}, errUnsupportedField("to", "Get")
		}
		val, v, err := svc.Get(ctx, r.Name, r.Version, r.Purpose)
		return proto.GetResponse{Value: val, Version: v}, err
	}),
	"GetFor": call(func(ctx context.Context, svc vault.Service, r *proto.GetRequest) (proto.GetResponse, error) {
		val, v, err := svc.GetFor(ctx, r.Name, r.Version, r.Purpose, r.To)
		return proto.GetResponse{Value: val, Version: v}, err
	}),
	"Secret": call(func(ctx context.Context, svc vault.Service, r *proto.NameRequest) (proto.SecretResponse, error) {
		s, err := svc.Secret(ctx, r.Name)
		return proto.SecretResponse{Secret: s}, err
	}),
	"List": call(func(ctx context.Context, svc vault.Service, r *proto.ListRequest) (packed, error) {
		o := vault.ListOptions{Prefix: r.Prefix, Deleted: r.Deleted, Tags: r.Tags, Statuses: r.Statuses, At: r.At}
		if pl, ok := svc.(packedLister); ok {
			return pl.ListPacked(ctx, o)
		}
		list, err := svc.List(ctx, o)
		if err != nil {
			return nil, err
		}
		return vault.EncodeSecrets(list), nil
	}),
	"Tag": call(func(ctx context.Context, svc vault.Service, r *proto.TagRequest) (proto.Empty, error) {
		return none, svc.Tag(ctx, r.Name, vault.TagChange{Set: r.Set, Remove: r.Remove, IgnoreMissing: r.IgnoreMissing, Note: r.Note})
	}),
	"Update": call(func(ctx context.Context, svc vault.Service, r *proto.UpdateRequest) (proto.Empty, error) {
		return none, svc.Update(ctx, r.Name, vault.Attributes{ContentType: r.ContentType, Expires: r.Expires, NotBefore: r.NotBefore, Enabled: r.Enabled, Note: r.Note})
	}),
	"Rename": call(func(ctx context.Context, svc vault.Service, r *proto.RenameRequest) (proto.Empty, error) {
		return none, svc.Rename(ctx, r.From, r.To)
	}),
	"Rollback": call(func(ctx context.Context, svc vault.Service, r *proto.RollbackRequest) (proto.VersionResponse, error) {
		v, err := svc.Rollback(ctx, r.Name, r.Version)
		return proto.VersionResponse{Version: v}, err
	}),
	"Delete": call(func(ctx context.Context, svc vault.Service, r *proto.NameRequest) (proto.Empty, error) {
		return none, svc.Delete(ctx, r.Name)
	}),
	"Recover": call(func(ctx context.Context, svc vault.Service, r *proto.NameRequest) (proto.Empty, error) {
		return none, svc.Recover(ctx, r.Name)
	}),
	"Purge": call(func(ctx context.Context, svc vault.Service, r *proto.NameRequest) (proto.Empty, error) {
		return none, svc.Purge(ctx, r.Name)
	}),
	"Check": call(func(ctx context.Context, svc vault.Service, r *proto.CheckRequest) (packed, error) {
		fs, err := svc.Check(ctx, r.At)
		if err != nil {
			return nil, err
		}
		return vault.EncodeFindings(fs), nil
	}),
	"Timeline": call(func(ctx context.Context, svc vault.Service, r *proto.NameRequest) (proto.TimelineResponse, error) {
		t, err := svc.Timeline(ctx, r.Name)
		return proto.TimelineResponse{Entries: proto.TimelineOf(t)}, err
	}),
	"Audit": call(func(ctx context.Context, svc vault.Service, r *proto.NameRequest) (proto.AuditResponse, error) {
		e, err := svc.Audit(ctx, r.Name)
		return proto.AuditResponse{Events: e}, err
	}),
	"VerifyAudit": call(func(ctx context.Context, svc vault.Service, _ *proto.Empty) (proto.VerifyAuditResponse, error) {
		n, err := svc.VerifyAudit(ctx)
		return proto.VerifyAuditResponse{Events: n}, err
	}),
	"Review": call(func(ctx context.Context, svc vault.Service, r *proto.ReviewRequest) (proto.Empty, error) {
		return none, svc.Review(ctx, r.Name, r.Note)
	}),
	"Snapshot": call(func(ctx context.Context, svc vault.Service, r *proto.SnapshotRequest) (proto.SnapshotResponse, error) {
		defer clear(r.Passphrase)
		d, s, err := svc.Snapshot(ctx, vault.SnapshotOptions{Prefix: r.Prefix, Tags: r.Tags, Purpose: r.Purpose, Note: r.Note, Passphrase: r.Passphrase})
		return proto.SnapshotResponse{Secrets: proto.SecretDataOf(d), Settings: s}, err
	}),
	"SyncStates": call(func(ctx context.Context, svc vault.Service, r *proto.TargetRequest) (proto.SyncStatesResponse, error) {
		m, err := svc.SyncStates(ctx, r.Target)
		return proto.SyncStatesResponse{States: m}, err
	}),
	"SetSyncState": call(func(ctx context.Context, svc vault.Service, r *proto.SetSyncStateRequest) (proto.Empty, error) {
		return none, svc.SetSyncState(ctx, r.Target, r.State)
	}),
	"ForgetSyncState": call(func(ctx context.Context, svc vault.Service, r *proto.ForgetSyncStateRequest) (proto.Empty, error) {
		return none, svc.ForgetSyncState(ctx, r.Target, r.Name)
	}),
}

// packedLister is a vault that packs lists itself (vault.ListPacked): the
// vault with the metadata cache sends its stored records as they are.
type packedLister interface {
	ListPacked(ctx context.Context, o vault.ListOptions) ([]byte, error)
}
