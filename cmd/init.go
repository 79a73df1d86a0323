package cmd

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"locket/keyring"
	"locket/vault"
)

// kdfFlags are the Argon2id flags that init and passwd share.
type kdfFlags struct {
	memory  string
	time    uint32
	threads uint8
}

// add declares the flags with def's values as defaults; a zero def shows
// no default (passwd keeps the vault's parameters).
func (k *kdfFlags) add(cmd *cobra.Command, def keyring.Params) {
	f := cmd.Flags()
	mem := ""
	if def.MemoryKiB > 0 {
		mem = formatSize(def.MemoryKiB)
	}
	f.StringVar(&k.memory, "kdf-memory", mem, "Argon2id memory, e.g. 64MiB or 1GiB (at least 64MiB)")
	f.Uint32Var(&k.time, "kdf-time", def.Time, "Argon2id passes (3-10)")
	f.Uint8Var(&k.threads, "kdf-threads", def.Threads, "Argon2id lanes")
}

// params returns base with the flags the user gave applied, validated.
func (k *kdfFlags) params(cmd *cobra.Command, base keyring.Params) (keyring.Params, error) {
	p := base
	f := cmd.Flags()
	if f.Changed("kdf-memory") {
		kib, err := parseSize(k.memory)
		if err != nil {
			return p, flagError("kdf-memory", err)
		}
		p.MemoryKiB = kib
	}
	if f.Changed("kdf-time") {
		p.Time = k.time
	}
	if f.Changed("kdf-threads") {
		p.Threads = k.threads
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("%w: %v", vault.ErrInvalid, err)
	}
	return p, nil
}

// parseSize reads a memory size with a binary unit (64MiB, 1GiB, 65536KiB)
// and returns it in KiB.
func parseSize(s string) (uint32, error) {
	units := []struct {
		suffix string
		kib    uint64
	}{{"kib", 1}, {"mib", 1024}, {"gib", 1024 * 1024}}
	low := strings.ToLower(s)
	for _, u := range units {
		if num, ok := strings.CutSuffix(low, u.suffix); ok {
			n, err := strconv.ParseUint(num, 10, 32)
			if err != nil || n*u.kib > 1<<32-1 {
				break
			}
			return uint32(n * u.kib), nil
		}
	}
	return 0, fmt.Errorf("%w: size %q must be a whole number with a unit: KiB, MiB or GiB (64MiB, 1GiB)", vault.ErrInvalid, s)
}

func formatSize(kib uint32) string {
	switch {
	case kib%(1024*1024) == 0:
		return fmt.Sprintf("%dGiB", kib/(1024*1024))
	case kib%1024 == 0:
		return fmt.Sprintf("%dMiB", kib/1024)
	}
	return fmt.Sprintf("%dKiB", kib)
}

func newInitCmd(a *app) *cobra.Command {
	var (
		kdf        kdfFlags
		retention  string
		protection bool
	)
	cmd := &cobra.Command{
		Use:   "init",
		Short: "create a new vault",
		Long: `Create a new, empty vault. The new passphrase comes from the usual sources
(--passphrase-file, LOCKET_PASSPHRASE_FILE, LOCKET_PASSPHRASE_COMMAND,
LOCKET_PASSPHRASE) or is asked twice on the terminal.`,
		Example: "  locket init\n  locket init --kdf-memory 1GiB --retention 30d --purge-protection",
		RunE: func(cmd *cobra.Command, args []string) error {
			params, err := kdf.params(cmd, keyring.DefaultParams)
			if err != nil {
				return err
			}
			set := vault.DefaultSettings()
			if set.Retention, err = vault.ParseDuration(retention); err != nil {
				return flagError("retention", err)
			}
			set.PurgeProtection = protection
			if err := set.Validate(); err != nil {
				return err
			}
			dir := a.dir()
			if vault.Exists(dir) {
				return fmt.Errorf("%w: a vault is already at %s", vault.ErrExists, dir)
			}
			pass, err := a.newPassphrase()
			if err != nil {
				return err
			}
			defer clear(pass)
			v, err := vault.Create(cmd.Context(), dir, pass, vault.KDFParams(params), set, vault.Options{Now: a.now, Log: debugOutput(a.stderr)})
			if err != nil {
				return err
			}
			if err := v.Close(); err != nil {
				return fmt.Errorf("close vault: %w", err)
			}
			fmt.Fprintf(a.stdout, "created vault at %s (Argon2id %s, t=%d, p=%d)\n", vault.Sanitize(dir), formatSize(params.MemoryKiB), params.Time, params.Threads)
			return nil
		},
	}
	kdf.add(cmd, keyring.DefaultParams)
	cmd.Flags().StringVar(&retention, "retention", vault.FormatDuration(vault.DefaultSettings().Retention), "how long the trash keeps deleted secrets (7d-90d)")
	cmd.Flags().BoolVar(&protection, "purge-protection", false, "refuse purge until the retention period has passed (cannot be turned off)")
	return cmd
}
