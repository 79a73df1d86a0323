package proto

import (
	"fmt"

	"locket/vault"
)

// Conversions between vault's types and the wire's, where they differ.

// PutModeOf is m on the wire.
func PutModeOf(m vault.PutMode) PutMode {
	switch m {
	case vault.PutCreate:
		return PutCreate
	case vault.PutExisting:
		return PutExisting
	}
	return PutAny
}

// VaultPutMode is m as vault knows it; an unknown mode is unsupported.
func VaultPutMode(m PutMode) (vault.PutMode, error) {
	switch m {
	case PutAny, "":
		return vault.PutAny, nil
	case PutCreate:
		return vault.PutCreate, nil
	case PutExisting:
		return vault.PutExisting, nil
	}
	return 0, fmt.Errorf("%w: put mode %q", ErrUnsupported, m)
}

// PutRequestOf is a Put's request.
func PutRequestOf(name string, value []byte, o vault.PutOptions) PutRequest {
	return PutRequest{Name: name, Value: value, Mode: PutModeOf(o.Mode), ContentType: o.ContentType,
		Expires: o.Expires, NotBefore: o.NotBefore, Tags: o.Tags, Op: o.Op, Note: o.Note}
}

// Options are the vault.PutOptions of r.
func (r *PutRequest) Options() (vault.PutOptions, error) {
	m, err := VaultPutMode(r.Mode)
	return vault.PutOptions{Mode: m, ContentType: r.ContentType, Expires: r.Expires, NotBefore: r.NotBefore,
		Tags: r.Tags, Op: r.Op, Note: r.Note}, err
}

// TimelineOf is t on the wire.
func TimelineOf(t []vault.TimelineEntry) []TimelineEntry {
	out := make([]TimelineEntry, len(t))
	for i, e := range t {
		out[i] = TimelineEntry{Time: e.Time, Kind: e.Kind, Version: e.Version, Lived: e.Lived, Op: e.Op, Actor: e.Actor, Note: e.Note}
	}
	return out
}

// VaultTimeline is t as vault knows it.
func VaultTimeline(t []TimelineEntry) []vault.TimelineEntry {
	out := make([]vault.TimelineEntry, len(t))
	for i, e := range t {
		out[i] = vault.TimelineEntry{Time: e.Time, Kind: e.Kind, Version: e.Version, Lived: e.Lived, Op: e.Op, Actor: e.Actor, Note: e.Note}
	}
	return out
}

// SecretDataOf is d on the wire.
func SecretDataOf(d []vault.SecretData) []SecretData {
	out := make([]SecretData, len(d))
	for i, sd := range d {
		out[i] = SecretData{Secret: sd.Secret, Values: sd.Values}
	}
	return out
}

// VaultSecretData is d as vault knows it.
func VaultSecretData(d []SecretData) []vault.SecretData {
	out := make([]vault.SecretData, len(d))
	for i, sd := range d {
		out[i] = vault.SecretData{Secret: sd.Secret, Values: sd.Values}
	}
	return out
}
