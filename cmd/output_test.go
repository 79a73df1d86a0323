//go:build unix

package cmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"locket/vault"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	good := map[string]uint32{"64MiB": 64 * 1024, "1GiB": 1024 * 1024, "65536KiB": 65536, "256mib": 256 * 1024}
	for in, want := range good {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"64", "64MB", "MiB", "-1MiB", "1.5GiB", "8388608GiB", ""} {
		if _, err := parseSize(in); !errors.Is(err, vault.ErrInvalid) {
			t.Errorf("parseSize(%q) = %v, want ErrInvalid", in, err)
		}
	}
	for _, kib := range []uint32{65536, 1 << 20, 1000} {
		if got, _ := parseSize(formatSize(kib)); got != kib {
			t.Errorf("formatSize(%d) = %q does not parse back", kib, formatSize(kib))
		}
	}
}

// TestExitCode checks the documented mapping of errors to exit codes, wrapped the
// way commands wrap them.
func TestExitCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want int
	}{
		{fmt.Errorf("open: %w: held by process 7", vault.ErrBusy), ExitBusy},
		{vault.ErrWrongPassphrase, ExitUnlock},
		{fmt.Errorf("%w: bad json", vault.ErrBadHeader), ExitUnlock},
		{errNoPassphrase, ExitUnlock},
		{fmt.Errorf("%w: x", vault.ErrNotFound), ExitNotFound},
		{fmt.Errorf("%w: \"a\"", vault.ErrDisabled), ExitPolicy},
		{fmt.Errorf("%w: \"a\"", vault.ErrInTrash), ExitPolicy},
		{fmt.Errorf("%w: \"a\"", vault.ErrPurgeProtected), ExitPolicy},
		{fmt.Errorf("%w: empty value", vault.ErrInvalid), ExitError},
		{fmt.Errorf("%w: record", vault.ErrIntegrity), ExitError},
		{fmt.Errorf("%w: dir", vault.ErrUnsafe), ExitError},
		{usageError("nothing to change"), ExitUsage},
		{flagError("at", fmt.Errorf("%w: \"soon\" is not a time", vault.ErrInvalid)), ExitUsage},
		{fmt.Errorf("%w: \"a\"", vault.ErrExists), ExitError},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// TestPassphraseFile: a passphrase file that cannot be read cannot
// unlock (exit 4); one line ending is dropped, nothing else.
func TestPassphraseFile(t *testing.T) {
	t.Parallel()
	_, err := readPassphraseFile("passphrase", filepath.Join(t.TempDir(), "missing"))
	if exitCode(err) != ExitUnlock || !strings.HasPrefix(err.Error(), "read passphrase file: ") {
		t.Errorf("missing file: %v (exit %d), want exit 4", err, exitCode(err))
	}
	f := filepath.Join(t.TempDir(), "pass")
	for in, want := range map[string]string{"pw\n": "pw", "pw\r\n": "pw", "pw": "pw", " pw \n\n": " pw \n", "": ""} {
		if err := os.WriteFile(f, []byte(in), 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := readPassphraseFile("passphrase", f); err != nil || string(got) != want {
			t.Errorf("file %q: %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestArgNumber(t *testing.T) {
	t.Parallel()
	if n, err := argNumber("VERSION", "12"); err != nil || n != 12 {
		t.Errorf("argNumber(12) = %d, %v", n, err)
	}
	for _, in := range []string{"0", "-1", "one", "1x", "01", " 1"} {
		if _, err := argNumber("VERSION", in); exitCode(err) != ExitUsage {
			t.Errorf("argNumber(%q) = %v, want a usage error", in, err)
		}
	}
}

// TestTableSanitizes checks that table cells cannot carry escape sequences
// to the terminal (security invariant 6).
func TestTableSanitizes(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	if err := table(&b, []string{"NAME"}, [][]string{{"evil\x1b]0;title\x07"}}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\x07") {
		t.Fatalf("table passed control characters through: %q", b.String())
	}
}

// TestShownValue: get hands a pipe the exact bytes and a terminal an inert
// rendering (security invariant 6).
func TestShownValue(t *testing.T) {
	t.Parallel()
	val := []byte("a\x1b]52;c;cGF5bG9hZA==\x07b\n\tc\r")
	if got := shownValue(val, false); string(got) != string(val) {
		t.Errorf("to a pipe: %q, want the exact bytes", got)
	}
	got := string(shownValue(val, true))
	if strings.ContainsAny(got, "\x1b\x07\r") {
		t.Errorf("to a terminal: %q holds control characters", got)
	}
	// A terminal also gets a final newline, so that the prompt does not
	// follow the value on its line (issue 12, item 12).
	if want := `a\x1b]52;c;cGF5bG9hZA==\x07b` + "\n\tc" + `\x0d` + "\n"; got != want {
		t.Errorf("to a terminal: %q, want %q", got, want)
	}
	if got := string(shownValue([]byte("pem\n"), true)); got != "pem\n" {
		t.Errorf("a value ending in a newline got another: %q", got)
	}
}
