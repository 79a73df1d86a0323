package vault

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Settings are a vault's policies. They are stored sealed in the vault.
type Settings struct {
	// Retention is how long the trash keeps a deleted secret (7–90 days).
	Retention time.Duration `json:"retention"`
	// PurgeProtection refuses purge until retention has passed. Once on it
	// cannot be turned off.
	PurgeProtection bool `json:"purge_protection"`
	// RotateEvery is the default rotation interval.
	RotateEvery time.Duration `json:"rotate_every"`
	// DueWindow: a secret this close to stale is due.
	DueWindow time.Duration `json:"due_window"`
	// ExpiryWarning: a secret this close to expiry is due.
	ExpiryWarning time.Duration `json:"expiry_warning"`
	// MaxVersions keeps at most this many versions per secret; 0 keeps all.
	MaxVersions int `json:"max_versions"`
	// IdleLock locks the TUI after this long without input.
	IdleLock time.Duration `json:"idle_lock"`
	// ClipboardOSC52 also copies through the terminal (OSC 52), for SSH.
	ClipboardOSC52 bool `json:"clipboard_osc52"`
	// AgentOff keeps every use of the vault direct: no agent serves it.
	AgentOff bool `json:"agent_off,omitempty"`
	// AgentIdle locks the agent after this long without a request, and
	// AgentTTL this long after it was unlocked. Zero means the default:
	// vaults made before the agent have neither (see AgentLimits).
	AgentIdle time.Duration `json:"agent_idle,omitempty"`
	AgentTTL  time.Duration `json:"agent_ttl,omitempty"`
	// BackupEvery: check reports a vault whose newest backup export of
	// the whole vault is older than this; 0 turns the reminder off. A
	// vault made before the setting reads the default.
	BackupEvery time.Duration `json:"backup_every"`

	// LastBackup and Since are records kept with the settings rather than
	// settings: config does not show them, a backup does not carry them,
	// and restoring settings from a backup keeps the vault's own.
	// LastBackup is when the newest backup export of the whole vault was
	// written (RecordBackup); Since is when the vault was created, where
	// the backup clock of a vault never backed up starts. Both are zero
	// in a vault made before them.
	LastBackup time.Time `json:"last_backup,omitzero"`
	Since      time.Time `json:"since,omitzero"`
}

// The agent's default limits, as 1Password's CLI session has them: an idle
// lock of 10 minutes, and a hard cap of a working day.
const (
	DefaultAgentIdle = 10 * time.Minute
	DefaultAgentTTL  = 8 * time.Hour
)

// AgentLimits are the agent's idle and ttl limits, defaults filled in.
func (s Settings) AgentLimits() (idle, ttl time.Duration) {
	idle, ttl = s.AgentIdle, s.AgentTTL
	if idle <= 0 {
		idle = DefaultAgentIdle
	}
	if ttl <= 0 {
		ttl = DefaultAgentTTL
	}
	return idle, ttl
}

// Day is 24 hours; locket's durations count days this way.
const Day = 24 * time.Hour

// DefaultSettings are a new vault's settings.
func DefaultSettings() Settings {
	return Settings{
		Retention:     90 * Day,
		RotateEvery:   60 * Day,
		DueWindow:     7 * Day,
		ExpiryWarning: 30 * Day,
		IdleLock:      5 * time.Minute,
		AgentIdle:     DefaultAgentIdle,
		AgentTTL:      DefaultAgentTTL,
		BackupEvery:   7 * Day,
	}
}

// BackupReminder says why a backup export is due at at, or "" when none
// is: the newest whole-vault export (or, before the first, the vault's
// creation) is older than BackupEvery. A vault that predates the record
// of both counts as never backed up.
func (s Settings) BackupReminder(at time.Time) string {
	if s.BackupEvery <= 0 {
		return ""
	}
	from := s.LastBackup
	if from.IsZero() {
		from = s.Since
	}
	if from.IsZero() {
		return "no backup export yet"
	}
	if at.Sub(from) < s.BackupEvery {
		return ""
	}
	days := int(at.Sub(from) / Day)
	if s.LastBackup.IsZero() {
		return fmt.Sprintf("no backup export in %d days (none since the vault was created)", days)
	}
	return fmt.Sprintf("no backup export in %d days", days)
}

// BackupDue is when the next backup export is due (zero when the reminder
// is off or no clock has started).
func (s Settings) BackupDue() time.Time {
	from := s.LastBackup
	if from.IsZero() {
		from = s.Since
	}
	if s.BackupEvery <= 0 || from.IsZero() {
		return time.Time{}
	}
	return from.Add(s.BackupEvery)
}

// SettingKeys are the names `locket config` accepts, in display order.
var SettingKeys = []string{"retention", "purge-protection", "rotate-every", "due-window", "expiry-warning", "max-versions", "idle-lock", "clipboard-osc52", "agent", "agent-idle", "agent-ttl", "backup-every"}

// Get returns the setting key formatted for display.
func (s Settings) Get(key string) (string, error) {
	switch key {
	case "retention":
		return FormatDuration(s.Retention), nil
	case "purge-protection":
		return strconv.FormatBool(s.PurgeProtection), nil
	case "rotate-every":
		return FormatDuration(s.RotateEvery), nil
	case "due-window":
		return FormatDuration(s.DueWindow), nil
	case "expiry-warning":
		return FormatDuration(s.ExpiryWarning), nil
	case "max-versions":
		return strconv.Itoa(s.MaxVersions), nil
	case "idle-lock":
		return FormatDuration(s.IdleLock), nil
	case "clipboard-osc52":
		return strconv.FormatBool(s.ClipboardOSC52), nil
	case "agent":
		return map[bool]string{false: "on", true: "off"}[s.AgentOff], nil
	case "agent-idle":
		idle, _ := s.AgentLimits()
		return FormatDuration(idle), nil
	case "agent-ttl":
		_, ttl := s.AgentLimits()
		return FormatDuration(ttl), nil
	case "backup-every":
		if s.BackupEvery <= 0 {
			return "off", nil
		}
		return FormatDuration(s.BackupEvery), nil
	}
	return "", fmt.Errorf("%w: unknown setting %q (known: %s)", ErrInvalid, key, strings.Join(SettingKeys, ", "))
}

// With returns s with key set to the parsed value, validated.
func (s Settings) With(key, value string) (Settings, error) {
	var err error
	parseDur := func(dst *time.Duration) {
		var d time.Duration
		if d, err = ParseDuration(value); err == nil {
			*dst = d
		}
	}
	parseBool := func(dst *bool) {
		var b bool
		if b, err = ParseBool(value); err == nil {
			*dst = b
		}
	}
	switch key {
	case "retention":
		parseDur(&s.Retention)
	case "purge-protection":
		was := s.PurgeProtection
		parseBool(&s.PurgeProtection)
		if err == nil && was && !s.PurgeProtection {
			return s, policyError("purge protection cannot be turned off once on")
		}
	case "rotate-every":
		var d time.Duration
		if d, err = ParseInterval(value); err == nil {
			s.RotateEvery = d
		}
	case "due-window":
		parseDur(&s.DueWindow)
	case "expiry-warning":
		parseDur(&s.ExpiryWarning)
	case "max-versions":
		s.MaxVersions, err = strconv.Atoi(value)
		if err != nil {
			err = fmt.Errorf("%w: max-versions must be a whole number", ErrInvalid)
		}
	case "idle-lock":
		parseDur(&s.IdleLock)
	case "clipboard-osc52":
		parseBool(&s.ClipboardOSC52)
	case "agent":
		switch value {
		case "on", "off":
			s.AgentOff = value == "off"
		default:
			err = fmt.Errorf("%w: agent must be on or off, not %q", ErrInvalid, value)
		}
	case "agent-idle":
		parseDur(&s.AgentIdle)
	case "agent-ttl":
		parseDur(&s.AgentTTL)
	case "backup-every":
		if value == "off" {
			s.BackupEvery = 0
		} else {
			parseDur(&s.BackupEvery)
		}
	default:
		_, err = s.Get(key)
	}
	if err != nil {
		return s, err
	}
	return s, s.Validate()
}

// Validate checks every setting's range.
func (s Settings) Validate() error {
	switch {
	case s.Retention < 7*Day || s.Retention > 90*Day:
		return fmt.Errorf("%w: retention must be between 7d and 90d", ErrInvalid)
	case checkRotateEvery(s.RotateEvery) != nil:
		return checkRotateEvery(s.RotateEvery)
	case s.DueWindow < 0 || s.ExpiryWarning < 0:
		return fmt.Errorf("%w: due-window and expiry-warning cannot be negative", ErrInvalid)
	case s.MaxVersions < 0:
		return fmt.Errorf("%w: max-versions cannot be negative", ErrInvalid)
	case s.IdleLock < 10*time.Second && s.IdleLock != 0:
		return fmt.Errorf("%w: idle-lock must be 0s (never) or at least 10s", ErrInvalid)
	case s.AgentIdle < 0 || s.AgentIdle > 0 && s.AgentIdle < 10*time.Second:
		return fmt.Errorf("%w: agent-idle must be at least 10s", ErrInvalid)
	case s.AgentTTL < 0 || s.AgentTTL > 0 && s.AgentTTL < time.Minute:
		return fmt.Errorf("%w: agent-ttl must be at least 1m", ErrInvalid)
	case s.AgentIdle > 0 && s.AgentTTL > 0 && s.AgentIdle > s.AgentTTL:
		return fmt.Errorf("%w: agent-idle cannot be longer than agent-ttl", ErrInvalid)
	case s.BackupEvery < 0 || s.BackupEvery > 0 && s.BackupEvery < Day:
		return fmt.Errorf("%w: backup-every must be off or at least 1d", ErrInvalid)
	}
	return nil
}

// errShorterRetention: under purge protection the retention may grow but
// not shrink, or the trash would be purged early.
var errShorterRetention = policyError("purge protection is on: retention cannot be shortened, or the trash would be purged early")

// guard returns next with what s's purge protection forbids undoing put
// back: protection stays on and the retention does not shrink. It reports
// whether it had to.
func (s Settings) guard(next Settings) (Settings, bool) {
	if !s.PurgeProtection || next.PurgeProtection && next.Retention >= s.Retention {
		return next, false
	}
	next.PurgeProtection = true
	next.Retention = max(next.Retention, s.Retention)
	return next, true
}

// MinRotateEvery is the shortest rotation interval, for the vault
// default and for a secret's rotate-every tag alike.
const MinRotateEvery = time.Hour

func checkRotateEvery(d time.Duration) error {
	if d < MinRotateEvery {
		return fmt.Errorf("%w: rotate-every must be at least %s", ErrInvalid, FormatDuration(MinRotateEvery))
	}
	return nil
}

// IsSettingKey reports whether key names a setting.
func IsSettingKey(key string) bool { return slices.Contains(SettingKeys, key) }
