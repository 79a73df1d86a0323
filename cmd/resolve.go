package cmd

import (
	"context"
	"errors"
	"fmt"

	"locket/internal/ref"
	"locket/vault"
)

// wanted is one reference and where it was written, for the error that
// names both.
type wanted struct {
	ref   ref.Ref
	where string
}

// handout resolves references for one operation (run, inject) handing
// values to one target (a command, a file).
type handout struct {
	v  vault.Service
	op vault.Op
	to string
}

// check makes sure every reference can be resolved before any value is
// handed out: a missing secret or version is exit 3, a disabled secret
// exit 6, naming where the reference was written. Checking metadata first
// means a failed run hands out (and audits) nothing.
func (h *handout) check(ctx context.Context, refs []wanted) error {
	seen := map[string]vault.Secret{}
	for _, w := range refs {
		s, ok := seen[w.ref.Name]
		if !ok {
			var err error
			s, err = h.v.Secret(ctx, w.ref.Name)
			switch {
			case errors.Is(err, vault.ErrNotFound):
				return fmt.Errorf("%s: %s: %w", w.where, w.ref, vault.ErrNotFound)
			case err != nil:
				return err
			case s.InTrash():
				return fmt.Errorf("%s: %s: %w", w.where, w.ref, vault.ErrDeleted)
			}
			seen[w.ref.Name] = s
		}
		if !s.Enabled {
			return fmt.Errorf("%s: %s: %w", w.where, w.ref, vault.ErrDisabled)
		}
		if _, ok := s.Version(w.ref.Version); w.ref.Version != 0 && !ok {
			return fmt.Errorf("%s: %s: %w: no version %d", w.where, w.ref, vault.ErrNotFound, w.ref.Version)
		}
	}
	return nil
}

// values checks every reference and then resolves each distinct one
// once: one audited hand-out per secret version.
func (h *handout) values(ctx context.Context, refs []wanted) (map[ref.Ref][]byte, error) {
	if err := h.check(ctx, refs); err != nil {
		return nil, err
	}
	out := map[ref.Ref][]byte{}
	for _, w := range refs {
		if _, ok := out[w.ref]; ok {
			continue
		}
		val, err := h.get(ctx, w.ref.Name, w.ref.Version)
		if err != nil {
			// Changed since check (another client): the same message.
			return nil, fmt.Errorf("%s: %s: %w", w.where, w.ref, err)
		}
		out[w.ref] = val
	}
	return out, nil
}

// get hands out one value, audited with the operation and the recipient.
func (h *handout) get(ctx context.Context, name string, version int) ([]byte, error) {
	val, _, err := h.v.GetFor(ctx, name, version, h.op, h.to)
	return val, err
}
