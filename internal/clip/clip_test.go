package clip

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"locket/vault"
)

// fakeBoard is an in-memory clipboard.
type fakeBoard struct {
	value   []byte
	readErr error
	writes  int
}

func (b *fakeBoard) Read() ([]byte, error) {
	if b.readErr != nil {
		return nil, b.readErr
	}
	return bytes.Clone(b.value), nil
}

func (b *fakeBoard) Write(v []byte) error {
	b.writes++
	b.value = bytes.Clone(v)
	return nil
}

// copied runs copyWith on board and returns what the clearer would have
// been handed.
func copied(t *testing.T, board *fakeBoard, value string, after time.Duration) (time.Duration, []byte) {
	t.Helper()
	var gotAfter time.Duration
	var handed []byte
	start := func(d time.Duration, fp fingerprint) error {
		gotAfter, handed = d, fp.marshal()
		return nil
	}
	if err := copyWith(context.Background(), board, start, []byte(value), after); err != nil {
		t.Fatalf("copy: %v", err)
	}
	return gotAfter, handed
}

func TestClipCopyHandsOnlyAFingerprint(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-correct-horse"
	board := &fakeBoard{}
	after, handed := copied(t, board, secret, 20*time.Second)
	if string(board.value) != secret {
		t.Fatalf("clipboard holds %q, want the value", board.value)
	}
	if after != 20*time.Second {
		t.Fatalf("clearer delay %v, want 20s", after)
	}
	for _, leak := range []string{secret, hex.EncodeToString([]byte(secret)), base64.StdEncoding.EncodeToString([]byte(secret))} {
		if bytes.Contains(handed, []byte(leak)) {
			t.Fatalf("the clearer's input contains the value (%q)", leak)
		}
	}
	args := strings.Join(clearerArgs(after), " ")
	if strings.Contains(args, secret) || strings.Contains(args, hex.EncodeToString(handed)) {
		t.Fatalf("the clearer's argv %q holds the value or its fingerprint", args)
	}
	if args != ClearCommand+" --after 20s" {
		t.Fatalf("clearer argv %q", args)
	}
}

func TestClipFingerprintIsSalted(t *testing.T) {
	t.Parallel()
	a, err := newFingerprint([]byte("same"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := newFingerprint([]byte("same"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.marshal(), b.marshal()) {
		t.Fatal("two fingerprints of one value are equal: the salt is not random")
	}
	if !a.matches([]byte("same")) || !b.matches([]byte("same")) {
		t.Fatal("a fingerprint does not match its own value")
	}
	for _, other := range []string{"", "Same", "same ", "sam"} {
		if a.matches([]byte(other)) {
			t.Fatalf("fingerprint of %q matches %q", "same", other)
		}
	}
	back, err := readFingerprint(bytes.NewReader(a.marshal()))
	if err != nil || back != a {
		t.Fatalf("round trip: %v, equal %v", err, back == a)
	}
}

func TestClipReadFingerprintRejectsMalformed(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, fingerprintSize - 1, fingerprintSize + 1, 1000} {
		if _, err := readFingerprint(bytes.NewReader(make([]byte, n))); !errors.Is(err, errBadFingerprint) {
			t.Errorf("%d bytes: err %v, want errBadFingerprint", n, err)
		}
	}
}

func TestClipClearDecision(t *testing.T) {
	t.Parallel()
	fp, err := newFingerprint([]byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("unchanged is cleared", func(t *testing.T) {
		board := &fakeBoard{value: []byte("s3cret")}
		cleared, err := clearIfUnchanged(board, fp)
		if err != nil || !cleared || len(board.value) != 0 {
			t.Fatalf("cleared %v, err %v, clipboard %q; want cleared and empty", cleared, err, board.value)
		}
	})
	t.Run("changed is left alone", func(t *testing.T) {
		board := &fakeBoard{value: []byte("copied by the user meanwhile")}
		cleared, err := clearIfUnchanged(board, fp)
		if err != nil || cleared || string(board.value) != "copied by the user meanwhile" || board.writes != 0 {
			t.Fatalf("cleared %v, err %v, clipboard %q, %d writes; want it untouched", cleared, err, board.value, board.writes)
		}
	})
	t.Run("empty is left alone", func(t *testing.T) {
		board := &fakeBoard{}
		if cleared, _ := clearIfUnchanged(board, fp); cleared || board.writes != 0 {
			t.Fatal("an empty clipboard was written")
		}
	})
	t.Run("unreadable is left alone", func(t *testing.T) {
		board := &fakeBoard{value: []byte("s3cret"), readErr: errors.New("xclip: target STRING not available")}
		cleared, err := clearIfUnchanged(board, fp)
		if err == nil || cleared || board.writes != 0 {
			t.Fatalf("cleared %v, err %v, %d writes; want an error and no write", cleared, err, board.writes)
		}
	})
}

func TestClipRunClearer(t *testing.T) {
	t.Parallel()
	t.Run("clears its own copy", func(t *testing.T) {
		board := &fakeBoard{}
		after, handed := copied(t, board, "token-1", time.Second)
		cleared, err := runClearer(context.Background(), board, bytes.NewReader(handed), after)
		if err != nil || !cleared || len(board.value) != 0 {
			t.Fatalf("cleared %v, err %v, clipboard %q", cleared, err, board.value)
		}
	})
	t.Run("a later copy survives an earlier clearer", func(t *testing.T) {
		board := &fakeBoard{}
		after, first := copied(t, board, "token-1", time.Second)
		copied(t, board, "token-2", time.Second)
		cleared, err := runClearer(context.Background(), board, bytes.NewReader(first), after)
		if err != nil || cleared || string(board.value) != "token-2" {
			t.Fatalf("cleared %v, err %v, clipboard %q; want token-2 kept", cleared, err, board.value)
		}
	})
	t.Run("cancelled clears nothing", func(t *testing.T) {
		board := &fakeBoard{}
		after, handed := copied(t, board, "token-1", time.Hour)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		cleared, err := runClearer(ctx, board, bytes.NewReader(handed), after)
		if !errors.Is(err, context.Canceled) || cleared || string(board.value) != "token-1" {
			t.Fatalf("cleared %v, err %v, clipboard %q", cleared, err, board.value)
		}
	})
	t.Run("bad delay", func(t *testing.T) {
		_, handed := copied(t, &fakeBoard{}, "x", time.Second)
		if _, err := runClearer(context.Background(), &fakeBoard{}, bytes.NewReader(handed), 0); !errors.Is(err, vault.ErrInvalid) {
			t.Fatalf("err %v, want ErrInvalid", err)
		}
	})
}

func TestClipCopyFailures(t *testing.T) {
	t.Parallel()
	ok := func(time.Duration, fingerprint) error { return nil }
	for _, d := range []time.Duration{0, -time.Second, 999 * time.Millisecond, time.Hour + time.Second} {
		board := &fakeBoard{}
		if err := copyWith(context.Background(), board, ok, []byte("v"), d); !errors.Is(err, vault.ErrInvalid) || board.writes != 0 {
			t.Errorf("delay %v: err %v, %d writes; want ErrInvalid before writing", d, err, board.writes)
		}
	}
	// A value whose clearer cannot start must not stay on the clipboard.
	board := &fakeBoard{}
	failing := func(time.Duration, fingerprint) error { return errors.New("fork failed") }
	if err := copyWith(context.Background(), board, failing, []byte("v"), time.Second); err == nil || len(board.value) != 0 {
		t.Fatalf("err %v, clipboard %q; want an error and an empty clipboard", err, board.value)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	board = &fakeBoard{}
	if err := copyWith(ctx, board, ok, []byte("v"), time.Second); err == nil || board.writes != 0 {
		t.Fatalf("cancelled copy: err %v, %d writes", err, board.writes)
	}
}

func TestClipStartClearerNeedsAProgram(t *testing.T) {
	t.Parallel()
	fp, _ := newFingerprint([]byte("v"))
	if err := startClearer("", time.Second, fp); !errors.Is(err, ErrNoClearer) {
		t.Fatalf("err %v, want ErrNoClearer: a test binary names no clearer, it would run its tests", err)
	}
}

func TestClipClearerEnvDropsLocketVariables(t *testing.T) {
	t.Parallel()
	env := []string{"PATH=/usr/bin", "LOCKET_PASSPHRASE=pw", "DISPLAY=:3", "LOCKET_PASSPHRASE_FILE=/p", "XAUTHORITY=/x"}
	got := clearerEnv(env)
	want := []string{"PATH=/usr/bin", "DISPLAY=:3", "XAUTHORITY=/x"}
	if !slices.Equal(got, want) {
		t.Fatalf("clearerEnv = %q, want %q", got, want)
	}
}

func TestClipClearDelay(t *testing.T) {
	t.Setenv("LOCKET_CLIP_TIME", "")
	os.Unsetenv("LOCKET_CLIP_TIME")
	if d, err := ClearDelay(""); err != nil || d != DefaultDelay {
		t.Fatalf("default: %v, %v", d, err)
	}
	t.Setenv("LOCKET_CLIP_TIME", "45s")
	if d, err := ClearDelay(""); err != nil || d != 45*time.Second {
		t.Fatalf("LOCKET_CLIP_TIME=45s: %v, %v", d, err)
	}
	if d, err := ClearDelay("2m"); err != nil || d != 2*time.Minute {
		t.Fatalf("flag wins over the environment: %v, %v", d, err)
	}
	for _, bad := range []string{"0s", "2h", "1h1s", "20", "soon", "-5s"} {
		if _, err := ClearDelay(bad); !errors.Is(err, vault.ErrInvalid) || !strings.Contains(err.Error(), "--clear-after") {
			t.Errorf("--clear-after %q: err %v, want ErrInvalid naming the flag", bad, err)
		}
	}
	t.Setenv("LOCKET_CLIP_TIME", "0s")
	if _, err := ClearDelay(""); !errors.Is(err, vault.ErrInvalid) || !strings.Contains(err.Error(), "LOCKET_CLIP_TIME") {
		t.Fatalf("LOCKET_CLIP_TIME=0s: err %v, want ErrInvalid naming the variable", err)
	}
	for _, good := range []string{"1s", "1h", "1m30s"} {
		if _, err := ClearDelay(good); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
}

func TestClipAvailableNeedsASession(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	err := Available()
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err %v, want ErrUnavailable without DISPLAY or WAYLAND_DISPLAY", err)
	}
	if err := systemBoard.Write([]byte("v")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Write: err %v, want ErrUnavailable", err)
	}
}

func TestClipOSC52(t *testing.T) {
	t.Parallel()
	value := []byte("pa$$\x1b]0;word\n")
	seq := OSC52(value)
	body, ok := strings.CutPrefix(seq, "\x1b]52;c;")
	if !ok {
		t.Fatalf("sequence %q does not start with OSC 52 for the clipboard", seq)
	}
	body, ok = strings.CutSuffix(body, "\a")
	if !ok {
		t.Fatalf("sequence %q does not end with BEL", seq)
	}
	got, err := base64.StdEncoding.DecodeString(body)
	if err != nil || !bytes.Equal(got, value) {
		t.Fatalf("payload decodes to %q (%v), want %q", got, err, value)
	}
	if strings.Count(seq, "\x1b") != 1 {
		t.Fatalf("the value's own escape leaked into the sequence: %q", seq)
	}
	if c := OSC52Clear(); c != "\x1b]52;c;!\a" {
		t.Fatalf("clear sequence %q", c)
	}
}
