package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"locket/assets"
	"locket/vault"
)

// SeedDemo fills v with the demo secrets of package assets as if they had
// been written over the past months: setNow moves the vault's clock (its
// Options.Now) to each version's moment, so ages, staleness, expiry and
// the trash are real. It leaves the clock at now.
func SeedDemo(ctx context.Context, v vault.Service, setNow func(time.Time), now time.Time) error {
	defer setNow(now)
	secrets, err := assets.DemoSecrets()
	if err != nil {
		return err
	}
	rel := func(s string) (time.Duration, error) {
		neg := strings.HasPrefix(s, "-")
		d, err := vault.ParseDuration(strings.TrimPrefix(s, "-"))
		if neg {
			d = -d
		}
		return d, err
	}
	for _, s := range secrets {
		for i, ver := range s.Versions {
			ago, err := rel(ver.Age)
			if err != nil {
				return fmt.Errorf("demo %s: %w", s.Name, err)
			}
			setNow(now.Add(-ago))
			opts := vault.PutOptions{ContentType: s.ContentType}
			if i == 0 {
				opts.Tags = s.Tags
			}
			if i == len(s.Versions)-1 {
				if s.Expires != "" {
					d, err := rel(s.Expires)
					if err != nil {
						return err
					}
					opts.Expires = now.Add(d)
				}
				if s.NotBefore != "" {
					d, err := rel(s.NotBefore)
					if err != nil {
						return err
					}
					opts.NotBefore = now.Add(d)
				}
			}
			if _, err := v.Put(ctx, s.Name, []byte(ver.Value), opts); err != nil {
				return fmt.Errorf("demo %s: %w", s.Name, err)
			}
		}
		setNow(now)
		if s.Snooze != "" {
			d, err := rel(s.Snooze)
			if err != nil {
				return err
			}
			if err := v.Tag(ctx, s.Name, vault.Snooze(now.Add(d), "waiting for the vendor (demo)")); err != nil {
				return err
			}
		}
		if s.Disabled {
			off := false
			if err := v.Update(ctx, s.Name, vault.Attributes{Enabled: &off, Note: "demo"}); err != nil {
				return err
			}
		}
		if s.Deleted != "" {
			d, err := rel(s.Deleted)
			if err != nil {
				return err
			}
			setNow(now.Add(-d))
			if err := v.Delete(ctx, s.Name); err != nil {
				return err
			}
			setNow(now)
		}
	}
	return nil
}
