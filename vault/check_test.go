package vault

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustelem/zxcvbn"
)

// healthClock is a settable clock for status tests.
type healthClock struct{ t time.Time }

func (c *healthClock) now() time.Time { return c.t }

var healthT0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func healthVault(t testing.TB) (*Vault, *healthClock) {
	t.Helper()
	c := &healthClock{t: healthT0}
	v, err := Create(context.Background(), filepath.Join(t.TempDir(), "v"), []byte("pw"), MinKDF, DefaultSettings(), Options{Now: c.now, Actor: "tester@host"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v, c
}

// healthPut stores value under name; strongValue stands for a strong value
// of the name's own, so that secrets do not share values by accident.
func healthPut(t testing.TB, v *Vault, name, value string, o PutOptions) {
	t.Helper()
	if value == strongValue {
		value = healthRandom(int(crc32.ChecksumIEEE([]byte(name))))
	}
	if _, err := v.Put(context.Background(), name, []byte(value), o); err != nil {
		t.Fatal(err)
	}
}

// strongValue is a value zxcvbn scores 4, so that lifecycle tests see no
// health findings.
const strongValue = "vN8#qT2!zR5@kW9$"

func healthCheckAt(t testing.TB, v *Vault, at time.Time) []Finding {
	t.Helper()
	fs, err := v.Check(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func healthFinding(fs []Finding, name string) (Finding, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return Finding{}, false
}

func TestCheckRotationBoundaries(t *testing.T) {
	t.Parallel()
	v, _ := healthVault(t)
	healthPut(t, v, "app/key", strongValue, PutOptions{})
	for _, tc := range []struct {
		days   int
		status Status
		reason string
	}{
		{52, "", ""},
		{53, StatusDue, "stale in 7 days (set 53 days ago, policy 60d)"},
		{59, StatusDue, "stale in 1 day (set 59 days ago, policy 60d)"},
		{60, StatusDue, "stale in less than a minute (set 60 days ago, policy 60d)"},
		{61, StatusStale, "set 61 days ago, policy 60d"},
	} {
		at := healthT0.Add(time.Duration(tc.days) * Day)
		fs := healthCheckAt(t, v, at)
		f, ok := healthFinding(fs, "app/key")
		if tc.status == "" {
			if ok {
				t.Errorf("day %d: unexpected finding %+v", tc.days, f)
			}
			continue
		}
		if !ok || f.Status != tc.status || f.Reason != tc.reason {
			t.Errorf("day %d: got %+v, want %s %q", tc.days, f, tc.status, tc.reason)
		}
		if !f.At.Equal(healthT0.Add(60 * Day)) {
			t.Errorf("day %d: at %v", tc.days, f.At)
		}
	}
}

func TestCheckExpiryAndNotBefore(t *testing.T) {
	t.Parallel()
	v, _ := healthVault(t)
	exp := healthT0.Add(40 * Day)
	healthPut(t, v, "cert", strongValue, PutOptions{Expires: exp, Tags: map[string]string{TagRotateEvery: "365d"}})
	healthPut(t, v, "later", strongValue, PutOptions{NotBefore: healthT0.Add(5 * Day)})

	if f, ok := healthFinding(healthCheckAt(t, v, exp.Add(-31*Day)), "cert"); ok {
		t.Errorf("31 days before expiry: %+v", f)
	}
	f, ok := healthFinding(healthCheckAt(t, v, exp.Add(-30*Day)), "cert")
	if !ok || f.Status != StatusDue || f.Reason != "expires in 30 days" || !f.At.Equal(exp) {
		t.Errorf("30 days before expiry: %+v", f)
	}
	f, ok = healthFinding(healthCheckAt(t, v, exp.Add(3*Day)), "cert")
	if !ok || f.Status != StatusExpired || f.Reason != "expired 3 days ago" {
		t.Errorf("after expiry: %+v", f)
	}

	f, ok = healthFinding(healthCheckAt(t, v, healthT0.Add(2*Day)), "later")
	if !ok || f.Status != StatusNotYetValid || f.Reason != "not valid until 2026-01-06 (in 3 days)" {
		t.Errorf("not yet valid: %+v", f)
	}
	if f, ok := healthFinding(healthCheckAt(t, v, healthT0.Add(6*Day)), "later"); ok {
		t.Errorf("valid now: %+v", f)
	}
}

func TestCheckSnoozeEnding(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, c := healthVault(t)
	healthPut(t, v, "db/pass", strongValue, PutOptions{})
	c.t = healthT0.Add(70 * Day)
	until := c.t.Add(20 * Day)
	if err := v.Tag(ctx, "db/pass", Snooze(until, "waiting for the DBA")); err != nil {
		t.Fatal(err)
	}
	if err := v.Tag(ctx, "db/pass", Snooze(c.t.Add(-time.Hour), "past")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("snooze into the past: %v", err)
	}
	if f, ok := healthFinding(healthCheckAt(t, v, c.t), "db/pass"); ok {
		t.Errorf("snoozed far ahead: %+v", f)
	}
	// Within the due window (7 days) of the snooze's end it is listed.
	f, ok := healthFinding(healthCheckAt(t, v, until.Add(-7*Day)), "db/pass")
	want := "snoozed until 2026-04-01: waiting for the DBA; set 83 days ago, policy 60d"
	if !ok || f.Status != StatusSnoozed || f.Reason != want || !f.At.Equal(until) {
		t.Errorf("snooze ending: %+v, want %q", f, want)
	}
	if f, ok := healthFinding(healthCheckAt(t, v, until.Add(-8*Day)), "db/pass"); ok {
		t.Errorf("8 days before the snooze ends: %+v", f)
	}
	f, ok = healthFinding(healthCheckAt(t, v, until.Add(time.Second)), "db/pass")
	if !ok || f.Status != StatusStale {
		t.Errorf("snooze over: %+v", f)
	}

	// Rotation ends the snooze.
	ver, err := v.Put(ctx, "db/pass", []byte("kP4$wX9!mQ2#bN7&"), PutOptions{Op: OpRotate, Note: "rotated by test"})
	if err != nil || ver.Number != 2 {
		t.Fatal(ver, err)
	}
	s, _ := v.Secret(ctx, "db/pass")
	if _, ok := s.Tags[TagSnoozeUntil]; ok {
		t.Error("rotate kept snooze-until")
	}
	if fs := healthCheckAt(t, v, c.t); len(fs) != 0 {
		t.Errorf("after rotation: %+v", fs)
	}
}

func TestCheckHonoursSettingsAndTags(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, _ := healthVault(t)
	healthPut(t, v, "a", strongValue, PutOptions{})
	healthPut(t, v, "b", "zT6&hY3!pL8@cF1#", PutOptions{Expires: healthT0.Add(20 * Day)})
	if err := v.Tag(ctx, "a", RotateEvery(10*Day, "short-lived")); err != nil {
		t.Fatal(err)
	}
	f, ok := healthFinding(healthCheckAt(t, v, healthT0.Add(11*Day)), "a")
	if !ok || f.Status != StatusStale || f.RotateEvery != 10*Day || f.Reason != "set 11 days ago, policy 10d" {
		t.Errorf("rotate-every tag: %+v", f)
	}
	if err := v.Tag(ctx, "a", RotateEvery(0, "")); err != nil {
		t.Fatal(err)
	}
	for k, val := range map[string]string{"rotate-every": "5d", "due-window": "1d", "expiry-warning": "2d"} {
		if err := v.SetSetting(ctx, k, val, testPass); err != nil {
			t.Fatal(err)
		}
	}
	fs := healthCheckAt(t, v, healthT0.Add(3*Day+time.Hour))
	if f, ok := healthFinding(fs, "a"); ok {
		t.Errorf("due window 1d: %+v", f)
	}
	if f, ok := healthFinding(fs, "b"); ok {
		t.Errorf("expiry warning 2d: %+v", f)
	}
	fs = healthCheckAt(t, v, healthT0.Add(4*Day+time.Hour))
	if f, ok := healthFinding(fs, "a"); !ok || f.Status != StatusDue {
		t.Errorf("vault rotate-every 5d, due-window 1d: %+v", f)
	}
	fs = healthCheckAt(t, v, healthT0.Add(18*Day+time.Hour))
	if f, ok := healthFinding(fs, "b"); !ok || f.Status != StatusStale {
		t.Errorf("b: %+v", f)
	}
}

func TestCheckOrder(t *testing.T) {
	t.Parallel()
	v, c := healthVault(t)
	at := healthT0.Add(100 * Day)
	healthPut(t, v, "stale-old", strongValue, PutOptions{})
	c.t = healthT0.Add(20 * Day)
	healthPut(t, v, "stale-new", strongValue, PutOptions{})
	c.t = healthT0.Add(45 * Day)
	healthPut(t, v, "due-late", strongValue, PutOptions{Expires: at.Add(20 * Day)})
	healthPut(t, v, "due-soon", strongValue, PutOptions{Expires: at.Add(2 * Day)})
	healthPut(t, v, "expired", strongValue, PutOptions{Expires: at.Add(-Day)})
	healthPut(t, v, "pending", strongValue, PutOptions{NotBefore: at.Add(Day)})
	healthPut(t, v, "weak", "password1", PutOptions{})
	c.t = at
	healthPut(t, v, "fine", strongValue+"x", PutOptions{})
	var names []string
	for _, f := range healthCheckAt(t, v, at) {
		names = append(names, f.Name)
	}
	// weak is due as well (stale at day 105, like due-late): the lifecycle
	// orders it, its health is an extra reason.
	want := []string{"expired", "stale-old", "stale-new", "due-soon", "due-late", "weak", "pending"}
	if !slices.Equal(names, want) {
		t.Errorf("order %v, want %v", names, want)
	}
}

func TestCheckHealth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, _ := healthVault(t)
	healthPut(t, v, "weak/text", "hunter2", PutOptions{ContentType: "text/plain"})
	healthPut(t, v, "weak/default", "password123", PutOptions{})
	healthPut(t, v, "json", `{"a":1}`, PutOptions{ContentType: "application/json"})
	healthPut(t, v, "pem", "abc", PutOptions{ContentType: "application/x-pem-file"})
	healthPut(t, v, "conn", "db", PutOptions{ContentType: "connection-string"})
	healthPut(t, v, "multi", "a\nb", PutOptions{})
	healthPut(t, v, "long", strings.Repeat("ab", 50), PutOptions{})
	healthPut(t, v, "svc/Deploy-Token", "deploy-token", PutOptions{ContentType: "application/octet-stream"})
	healthPut(t, v, "ok", strongValue, PutOptions{})
	before, err := v.Audit(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	fs := healthCheckAt(t, v, healthT0)
	got := map[string][]string{}
	for _, f := range fs {
		if f.Status != StatusOK {
			t.Errorf("%s: status %s", f.Name, f.Status)
		}
		for _, h := range f.Health {
			got[f.Name] = append(got[f.Name], h.Kind)
		}
		if f.Reason == "" {
			t.Errorf("%s: no reason", f.Name)
		}
	}
	want := map[string][]string{
		"weak/text":        {HealthWeak},
		"weak/default":     {HealthWeak},
		"long":             {HealthWeak},
		"svc/Deploy-Token": {HealthName},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("health %v, want %v", got, want)
	}
	if f, _ := healthFinding(fs, "weak/text"); f.Reason != "weak value (strength 0 of 4)" && f.Reason != "weak value (strength 1 of 4)" {
		t.Errorf("weak reason %q", f.Reason)
	}
	after, err := v.Audit(ctx, "")
	if err != nil || len(after) != len(before) {
		t.Errorf("check wrote audit events: %d -> %d (%v)", len(before), len(after), err)
	}

	// A snooze quiets health findings too.
	if err := v.Tag(ctx, "weak/text", Snooze(healthT0.Add(30*Day), "legacy system")); err != nil {
		t.Fatal(err)
	}
	if f, ok := healthFinding(healthCheckAt(t, v, healthT0), "weak/text"); ok {
		t.Errorf("snoozed weak value: %+v", f)
	}
}

// healthFill writes n secrets quickly: many per transaction, no audit
// events, for tests and benchmarks that need a big vault.
func healthFill(t testing.TB, v *Vault, n int, gen func(i int) (name, value, ct string)) {
	t.Helper()
	const batch = 500
	for start := 0; start < n; start += batch {
		err := v.update(func(tx *txn) error {
			for i := start; i < min(n, start+batch); i++ {
				name, value, ct := gen(i)
				id := newID()
				s := &Secret{Name: name, Created: tx.now, Enabled: true}
				tx.setIndex(name, id)
				if _, err := tx.addVersion(id, s, []byte(value), Version{ContentType: ct}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// healthRandom is a deterministic strong value for secret i.
func healthRandom(i int) string {
	const chars = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#$%&*+-=?@^_"
	x := uint64(i)*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019
	b := make([]byte, 20)
	for j := range b {
		x ^= x >> 31
		x *= 0xBF58476D1CE4E5B9
		x ^= x >> 29
		b[j] = chars[x%uint64(len(chars))]
	}
	return string(b)
}

func TestCheckReuseAcross1000(t *testing.T) {
	t.Parallel()
	v, _ := healthVault(t)
	shared := map[int]int{17: 900, 250: 251, 600: 601}
	healthFill(t, v, 1000, func(i int) (string, string, string) {
		val := healthRandom(i)
		if j, ok := shared[i]; ok {
			val = healthRandom(j)
		}
		return fmt.Sprintf("team/svc%04d/key", i), val, "application/octet-stream"
	})
	fs := healthCheckAt(t, v, healthT0)
	var reused []string
	for _, f := range fs {
		for _, h := range f.Health {
			if h.Kind == HealthReused {
				reused = append(reused, f.Name+": "+h.Reason)
			}
		}
	}
	slices.Sort(reused)
	want := []string{
		"team/svc0017/key: same value as team/svc0900/key",
		"team/svc0250/key: same value as team/svc0251/key",
		"team/svc0251/key: same value as team/svc0250/key",
		"team/svc0600/key: same value as team/svc0601/key",
		"team/svc0601/key: same value as team/svc0600/key",
		"team/svc0900/key: same value as team/svc0017/key",
	}
	if !slices.Equal(reused, want) {
		t.Errorf("reused:\n%s\nwant:\n%s", strings.Join(reused, "\n"), strings.Join(want, "\n"))
	}
	if len(fs) != len(want) {
		t.Errorf("%d findings, want %d", len(fs), len(want))
	}
}

func TestCheckReadOnlyAndSkipsTrashAndDisabled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, _ := healthVault(t)
	healthPut(t, v, "gone", "hunter2", PutOptions{})
	healthPut(t, v, "off", "hunter2", PutOptions{})
	healthPut(t, v, "on", "hunter2", PutOptions{})
	if err := v.Delete(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if err := v.Update(ctx, "off", Attributes{Enabled: new(bool), Note: "retired"}); err != nil {
		t.Fatal(err)
	}
	dir := v.dir
	v.Close()
	ro, err := Open(ctx, dir, []byte("pw"), Options{ReadOnly: true, Now: func() time.Time { return healthT0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	fs := healthCheckAt(t, ro, time.Time{})
	if len(fs) != 1 || fs[0].Name != "on" || len(fs[0].Health) != 1 || fs[0].Health[0].Kind != HealthWeak {
		t.Errorf("findings %+v", fs)
	}
}

func TestRotateAndLifecycleCalls(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, c := healthVault(t)
	if _, err := v.Put(ctx, "missing", []byte("x"), PutOptions{Op: OpRotate}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rotate missing: %v", err)
	}
	healthPut(t, v, "api/token", strongValue, PutOptions{ContentType: "token"})
	c.t = healthT0.Add(Day)
	if err := v.Tag(ctx, "api/token", Snooze(c.t.Add(10*Day), "vendor outage")); err != nil {
		t.Fatal(err)
	}
	c.t = healthT0.Add(2 * Day)
	if err := v.Tag(ctx, "api/token", RotateEvery(30*Day, "quarterly is too slow")); err != nil {
		t.Fatal(err)
	}
	if err := v.Tag(ctx, "api/token", RotateEvery(time.Minute, "")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("rotate-every 1m: %v", err)
	}
	c.t = healthT0.Add(3 * Day)
	ver, err := v.Put(ctx, "api/token", []byte("new"+strongValue), PutOptions{Op: OpRotate, Expires: c.t.Add(90 * Day), Note: "review"})
	if err != nil {
		t.Fatal(err)
	}
	if ver.ContentType != "token" || !ver.Expires.Equal(c.t.Add(90*Day)) {
		t.Errorf("rotated version %+v", ver)
	}
	c.t = healthT0.Add(4 * Day)
	if err := v.Review(ctx, "api/token", "skipped: fine"); err != nil {
		t.Fatal(err)
	}
	c.t = healthT0.Add(5 * Day)
	tl, err := v.Timeline(ctx, "api/token")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range tl {
		got = append(got, fmt.Sprintf("%s v%d %s %q %s", e.Time.Format(time.DateOnly), e.Version, e.Kind, e.Note, FormatDuration(e.Lived)))
	}
	want := []string{
		`2026-01-05 v0 review "skipped: fine" 0s`,
		`2026-01-04 v2 version "review" 2d`,
		`2026-01-03 v0 policy "rotate-every=30d: quarterly is too slow" 0s`,
		`2026-01-02 v0 snooze "vendor outage" 0s`,
		`2026-01-01 v1 version "" 3d`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if tl[1].Op != OpRotate || tl[4].Op != "set" {
		t.Errorf("version ops %q %q", tl[1].Op, tl[4].Op)
	}
}

// healthBenchVault opens a vault of n secrets built once into the temporary
// directory and reused by later runs: building 100k secrets takes a while.
// Three fifths of the values are password-like and judged for strength;
// one in a thousand shares its value with the next secret and one in a
// hundred is a weak, human-made password that zxcvbn itself must judge.
func healthBenchVault(b *testing.B, n int) *Vault {
	ctx := context.Background()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("locket-bench-health2-%d", n))
	opts := Options{Now: func() time.Time { return healthT0.Add(50 * Day) }}
	if !Exists(dir) {
		tmp := dir + ".tmp"
		os.RemoveAll(tmp)
		v, err := Create(ctx, tmp, []byte("pw"), MinKDF, DefaultSettings(), Options{Now: func() time.Time { return healthT0 }})
		if err != nil {
			b.Fatal(err)
		}
		cts := []string{"text/plain", "", "password", "application/json", "connection-string"}
		healthFill(b, v, n, func(i int) (string, string, string) {
			val := healthRandom(i)
			switch {
			case i%1000 == 0:
				val = healthRandom(i + 1)
			case i%100 == 1:
				val = fmt.Sprintf("Summer%d!", 2000+i%30)
			}
			return fmt.Sprintf("env%d/team%03d/svc%06d", i%3, i%200, i), val, cts[i%len(cts)]
		})
		if err := v.Close(); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, dir); err != nil {
			b.Fatal(err)
		}
	}
	v, err := Open(ctx, dir, []byte("pw"), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { v.Close() })
	return v
}

func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{1000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			v := healthBenchVault(b, n)
			// CPU time is reported too: on a shared machine it says more
			// than the wall clock.
			cpu := cpuTime
			start := cpu()
			b.ResetTimer()
			for b.Loop() {
				// Each run judges every value afresh, like a new process.
				strength.Lock()
				clear(strength.m)
				strength.Unlock()
				if _, err := v.Check(context.Background(), time.Time{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpu()-start)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

func TestCertainlyStrongAgreesWithZxcvbn(t *testing.T) {
	t.Parallel()
	var samples []string
	charsets := []string{
		"abcdefghijklmnopqrstuvwxyz",
		"abcdefghijklmnopqrstuvwxyz0123456789",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&*+-=?@^_",
		"0123456789abcdef",
		"0123456789",
	}
	x := uint64(1)
	rnd := func(n int) int {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return int(x % uint64(n))
	}
	for i := 0; i < 600; i++ {
		cs := charsets[i%len(charsets)]
		b := make([]byte, 12+rnd(30))
		for j := range b {
			b[j] = cs[rnd(len(cs))]
		}
		samples = append(samples, string(b))
	}
	words := []string{"password", "dragon", "monkey", "sunshine", "princess", "football", "baseball", "welcome", "shadow", "superman", "michael", "jennifer", "qwerty", "letmein", "trustno1", "starwars", "computer", "whatever"}
	l33t := strings.NewReplacer("a", "@", "e", "3", "i", "1", "o", "0", "s", "$", "t", "7")
	for i := 0; i < 1000; i++ {
		w1, w2 := words[rnd(len(words))], words[rnd(len(words))]
		var s string
		switch i % 10 {
		case 0:
			s = w1 + w2
		case 1:
			s = l33t.Replace(w1 + w2)
		case 2:
			s = strings.ToUpper(w1[:1]) + w1[1:] + fmt.Sprint(1990+rnd(30)) + "!"
		case 3:
			s = strings.Repeat(w1[:1+rnd(5)], 2+rnd(6)) + "x9"
		case 4:
			s = "qwertyuiop"[:4+rnd(6)] + "asdfghjkl"[:4+rnd(5)] + "zxcvbnm"
		case 5:
			s = "abcdefghijklmnopqrstuvwxyz"[rnd(10):][:12] + fmt.Sprint(rnd(100))
		case 6:
			s = fmt.Sprintf("%s%04d-%02d-%02d", w1[:3], 1950+rnd(70), 1+rnd(12), 1+rnd(28))
		case 7:
			r := []byte(w1 + w2)
			slices.Reverse(r)
			s = string(r) + "1q2w3e4r"
		case 8:
			s = w1 + healthRandom(i)[:1+rnd(7)]
		case 9:
			s = fmt.Sprintf("%04d.%02d.%02d", 1950+rnd(70), 1+rnd(12), 1+rnd(28)) + healthRandom(i)[:rnd(5)]
		}
		samples = append(samples, s, s+healthRandom(i)[:2])
	}
	certified := 0
	for _, s := range samples {
		if certainlyStrong(s, "prod/db") {
			certified++
			if sc := zxcvbn.PasswordStrength(s, []string{"prod", "db"}).Score; sc < WeakScore {
				t.Errorf("%q certified strongValue, zxcvbn scores %d", s, sc)
			}
		}
	}
	// The shortcut is only worth having if it settles most random values.
	random := 0
	for i := 0; i < 200; i++ {
		if certainlyStrong(healthRandom(i), "") {
			random++
		}
	}
	if random < 180 {
		t.Errorf("only %d of 200 random 20-character values certified strongValue", random)
	}
	t.Logf("%d of %d samples certified strongValue; %d of 200 random values", certified, len(samples), random)
}

func TestCheckCancelled(t *testing.T) {
	t.Parallel()
	v, _ := healthVault(t)
	healthPut(t, v, "a", "hunter2", PutOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.Check(ctx, time.Time{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled check: %v", err)
	}
}

// TestDueBy: a due secret is due by whichever of its expiry and its
// staleness counts first, the same answer for check and the TUI.
func TestDueBy(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	set := DefaultSettings() // rotate 60d, due window 7d, expiry warning 30d
	secret := func(age, expiresIn time.Duration) *Secret {
		return &Secret{Name: "a", Enabled: true, Versions: []Version{{Number: 1, Created: now.Add(-age), Expires: now.Add(expiresIn)}}}
	}
	for _, c := range []struct {
		name           string
		age, expiresIn time.Duration
		wantIn         time.Duration
		wantExpiring   bool
	}{
		{"stale first", 58 * Day, 10 * Day, 2 * Day, false},
		{"expiry first", 55 * Day, 3 * Day, 3 * Day, true},
		{"expiry only", 10 * Day, 20 * Day, 20 * Day, true},
	} {
		s := secret(c.age, c.expiresIn)
		if st := s.Status(now, set); st != StatusDue {
			t.Fatalf("%s: status %s, want due", c.name, st)
		}
		when, expiring := s.DueBy(now, set)
		if expiring != c.wantExpiring || !when.Equal(now.Add(c.wantIn)) {
			t.Errorf("%s: DueBy = %v, %v; want in %v, expiring %v", c.name, when, expiring, c.wantIn, c.wantExpiring)
		}
	}
}

// TestSortFindingsOrder compares the in-place sort of many findings, in
// name order (as Check gives them) and shuffled, with a plain stable sort
// by urgency, moment and name.
func TestSortFindingsOrder(t *testing.T) {
	t.Parallel()
	statuses := []Status{StatusExpired, StatusStale, StatusDue, StatusNotYetValid, StatusSnoozed, StatusOK}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 7, 1000} {
		fs := make([]Finding, n)
		for i := range fs {
			// Few moments and statuses, so that ties are common.
			fs[i] = Finding{Name: fmt.Sprintf("team/app/s%05d", i), Status: statuses[r.IntN(len(statuses))]}
			if r.IntN(4) > 0 {
				fs[i].At = base.Add(time.Duration(r.IntN(5)) * time.Hour).Add(time.Duration(r.IntN(2)))
			}
		}
		want := slices.Clone(fs)
		slices.SortStableFunc(want, func(a, b Finding) int {
			return cmp.Or(cmp.Compare(urgency(a), urgency(b)), a.At.Compare(b.At), strings.Compare(a.Name, b.Name))
		})
		inOrder := slices.Clone(fs)
		SortFindings(inOrder)
		shuffled := slices.Clone(fs)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		SortFindings(shuffled)
		for i := range want {
			if inOrder[i].Name != want[i].Name || shuffled[i].Name != want[i].Name {
				t.Fatalf("n=%d: at %d got %s (in order) and %s (shuffled), want %s", n, i, inOrder[i].Name, shuffled[i].Name, want[i].Name)
			}
		}
	}
}
