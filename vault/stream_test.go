package vault

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"
)

// Tests of Import reading its secrets as a stream: the plan spills to the
// journal as it grows, and whatever ends the stream early leaves the vault
// as it was.

// streamLimits spill an import to the journal after about two secrets of
// generated, and cut it into chunks of a few operations; steps records
// the journal steps the import reached.
func streamLimits(steps *[]string) *importLimits {
	return &importLimits{singleTxn: 1 << 10, chunk: 600, crash: func(s string) bool {
		*steps = append(*steps, s)
		return false
	}}
}

// generated yields n secrets of two versions each, "gen/0000"…, then, if
// fail is set, fail instead of the secret numbered at.
func generated(n, at int, fail error) iter.Seq2[SecretData, error] {
	return func(yield func(SecretData, error) bool) {
		for i := range n {
			if fail != nil && i == at {
				yield(SecretData{}, fail)
				return
			}
			sd := data(fmt.Sprintf("gen/%04d", i), fmt.Sprintf("first value of %d with some length to it", i), fmt.Sprintf("second value of %d", i))
			if !yield(sd, nil) {
				return
			}
		}
	}
}

// then yields what a yields, then what b yields.
func then(a, b iter.Seq2[SecretData, error]) iter.Seq2[SecretData, error] {
	return func(yield func(SecretData, error) bool) {
		for sd, err := range a {
			if !yield(sd, err) {
				return
			}
		}
		for sd, err := range b {
			if !yield(sd, err) {
				return
			}
		}
	}
}

// noJournal fails the test when a journal record is left in v.
func noJournal(t *testing.T, v *Vault) {
	t.Helper()
	if n := len(v.rawKeys(t, kindJournal)) + len(v.rawKeys(t, kindJournalHead)); n != 0 {
		t.Errorf("%d journal records left", n)
	}
}

// TestImportStreamRefused: a stream that fails, is cancelled, holds an
// invalid or a repeated secret or a conflict under ConflictFail, after
// the import has spilled to the journal, leaves the vault exactly as it
// was and no journal behind.
func TestImportStreamRefused(t *testing.T) {
	t.Parallel()
	errSource := errors.New("source broke")
	cases := map[string]struct {
		src    func(cancel context.CancelFunc) iter.Seq2[SecretData, error]
		policy OnConflict
		want   error
	}{
		"source error": {
			src:  func(context.CancelFunc) iter.Seq2[SecretData, error] { return generated(60, 45, errSource) },
			want: errSource,
		},
		"cancelled": {
			src: func(cancel context.CancelFunc) iter.Seq2[SecretData, error] {
				return func(yield func(SecretData, error) bool) {
					for sd, err := range generated(60, 0, nil) {
						if sd.Name == "gen/0045" {
							cancel()
						}
						if !yield(sd, err) {
							return
						}
					}
				}
			},
			want: context.Canceled,
		},
		"invalid secret": {
			src: func(context.CancelFunc) iter.Seq2[SecretData, error] {
				return then(generated(45, 0, nil), SecretsOf([]SecretData{data("bad/../name", "x")}))
			},
			want: ErrInvalid,
		},
		"duplicate": {
			src: func(context.CancelFunc) iter.Seq2[SecretData, error] {
				return then(generated(45, 0, nil), SecretsOf([]SecretData{data("gen/0007", "again")}))
			},
			want: ErrInvalid,
		},
		"conflict": {
			src: func(context.CancelFunc) iter.Seq2[SecretData, error] {
				return then(generated(45, 0, nil), SecretsOf([]SecretData{data("existing", "theirs"), data("after/conflict", "x")}))
			},
			policy: ConflictFail,
			want:   ErrConflict,
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var steps []string
			v := newVaultWith(t, DefaultSettings(), newClock(), Options{limits: streamLimits(&steps)})
			mustPut(t, v, "existing", "ours", PutOptions{})
			before := v.digest(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rep, err := v.Import(ctx, c.src(cancel), ImportOptions{OnConflict: c.policy})
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
			if c.want == ErrConflict && (rep.Count(ActionConflict) != 1 || rep.Count(ActionNew) != 46 || rep.Applied) {
				t.Errorf("conflict report: %d conflicts, %d new, applied %v", rep.Count(ActionConflict), rep.Count(ActionNew), rep.Applied)
			}
			if len(steps) != 0 {
				t.Errorf("the import reached %v", steps)
			}
			if v.digest(t) != before {
				t.Error("a refused import changed the vault")
			}
			noJournal(t, v)
			// The vault takes the same import once its source is whole.
			rep, err = v.Import(context.Background(), generated(60, 0, nil), ImportOptions{})
			if err != nil || rep.Count(ActionNew) != 60 {
				t.Fatalf("import after a refused one: %d new, %v", rep.Count(ActionNew), err)
			}
			if len(steps) != 2 {
				t.Errorf("the import went through %v, want the journal", steps)
			}
			noJournal(t, v)
		})
	}
}

// TestImportStreamJournal: an import over the single-transaction limit is
// staged batch by batch in many chunks, and committed with the state
// commitment it leaves, also when a version is added and pruned in the
// same import, so that the next open finds the vault sound.
func TestImportStreamJournal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var steps []string
	set := DefaultSettings()
	set.MaxVersions = 2
	v := newVaultWith(t, set, newClock(), Options{limits: streamLimits(&steps)})
	mustPut(t, v, "gen/0003", "first value of 3 with some length to it", PutOptions{})
	mustPut(t, v, "pruned", "1", PutOptions{})
	src := then(generated(80, 0, nil), SecretsOf([]SecretData{data("pruned", "1", "2", "3", "4", "5")}))
	rep, err := v.Import(ctx, src, ImportOptions{Note: "stream"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(ActionNew) != 79 || rep.Count(ActionNewVersions) != 2 || !rep.Applied {
		t.Fatalf("report: %d new, %d new-versions", rep.Count(ActionNew), rep.Count(ActionNewVersions))
	}
	if len(steps) != 2 {
		t.Fatalf("steps %v, want the journal", steps)
	}
	noJournal(t, v)
	if got := values(t, v, "pruned"); got != "4,5" {
		t.Errorf("pruned = %s", got)
	}
	if got := values(t, v, "gen/0042"); got != "first value of 42 with some length to it,second value of 42" {
		t.Errorf("gen/0042 = %s", got)
	}
	if err := v.CheckState(ctx); err != nil {
		t.Fatalf("state after a streamed import: %v", err)
	}
	v = reopen(t, v, Options{})
	if r, err := v.Verify(ctx); err != nil || len(r.Problems) != 0 {
		t.Fatalf("verify: %+v %v", r, err)
	}
	if n := countEvents(t, v, "import"); n != 1 {
		t.Errorf("%d import events", n)
	}
}

// TestImportStreamDryRun: the plan of a large stream writes nothing, not
// even the journal.
func TestImportStreamDryRun(t *testing.T) {
	t.Parallel()
	var steps []string
	v := newVaultWith(t, DefaultSettings(), newClock(), Options{limits: streamLimits(&steps)})
	mustPut(t, v, "gen/0010", "other", PutOptions{})
	before := v.digest(t)
	rep, err := v.Import(context.Background(), generated(200, 0, nil), ImportOptions{DryRun: true})
	if err != nil || rep.Applied || rep.Count(ActionNew) != 199 || rep.Count(ActionConflict) != 1 {
		t.Fatalf("dry run %d new, %d conflicts, applied %v: %v", rep.Count(ActionNew), rep.Count(ActionConflict), rep.Applied, err)
	}
	if len(steps) != 0 {
		t.Errorf("a dry run reached %v", steps)
	}
	if v.digest(t) != before {
		t.Error("a dry run wrote")
	}
	noJournal(t, v)
}

// TestImportStreamProgress: progress only grows, has a total from the
// start when the caller says how many secrets come, and ends with
// Done == Total == twice the secrets, in one transaction or through the
// journal.
func TestImportStreamProgress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		journal bool
		expect  int
	}{{"journal", true, 0}, {"journal expected", true, 600}, {"single", false, 0}, {"single expected", false, 3}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := 600
			if !tc.journal {
				n = 3
			}
			var o Options
			var steps []string
			if tc.journal {
				o.limits = streamLimits(&steps)
			}
			v := newVaultWith(t, DefaultSettings(), newClock(), o)
			progress := make(chan ImportProgress)
			var got []ImportProgress
			read := make(chan struct{})
			go func() {
				defer close(read)
				for p := range progress {
					got = append(got, p)
				}
			}()
			_, err := v.Import(context.Background(), generated(n, 0, nil), ImportOptions{Expect: tc.expect, Progress: progress})
			close(progress)
			<-read
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 {
				t.Fatal("no progress")
			}
			if last := got[len(got)-1]; last.Done != 2*n || last.Total != 2*n {
				t.Errorf("progress ended at %+v, want %d of %d", last, 2*n, 2*n)
			}
			for i, p := range got {
				if i > 0 && p.Done < got[i-1].Done {
					t.Errorf("progress went back: %+v after %+v", p, got[i-1])
				}
				if p.Total != 0 && p.Done > p.Total {
					t.Errorf("progress %+v beyond its total", p)
				}
				if p.Total != 2*n && (tc.expect > 0 || p.Total != 0) {
					t.Errorf("progress %+v: total neither %d nor unknown", p, 2*n)
				}
			}
			if tc.journal && (got[0].Done >= n || got[0].Total != 2*tc.expect) {
				t.Errorf("first report %+v: want one while reading, with total %d", got[0], 2*tc.expect)
			}
		})
	}
}

// TestImportStreamCrash: a streamed import of many chunks stopped after
// it staged leaves nothing; stopped after it committed, the next open
// applies every chunk.
func TestImportStreamCrash(t *testing.T) {
	t.Parallel()
	for _, step := range []string{"staged", "committed"} {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			limits := &importLimits{singleTxn: 1 << 10, chunk: 600, crash: func(s string) bool { return s == step }}
			v := newVaultWith(t, DefaultSettings(), newClock(), Options{limits: limits})
			mustPut(t, v, "existing", "a", PutOptions{})
			before := snapshot(t, v)
			_, err := v.Import(ctx, then(generated(120, 0, nil), SecretsOf([]SecretData{data("existing", "a", "b")})), ImportOptions{})
			if !errors.Is(err, errSimulatedCrash) {
				t.Fatalf("err %v", err)
			}
			if n := len(v.rawKeys(t, kindJournal)); n < 10 {
				t.Fatalf("%d journal chunks, want many", n)
			}
			v = reopen(t, v, Options{limits: limits})
			noJournal(t, v)
			after := snapshot(t, v)
			if step == "staged" {
				sameData(t, after, before)
				return
			}
			if len(after) != 121 || values(t, v, "existing") != "a,b" || values(t, v, "gen/0119") != "first value of 119 with some length to it,second value of 119" {
				t.Errorf("committed import not finished: %d secrets", len(after))
			}
			if n := countEvents(t, v, "import"); n != 1 {
				t.Errorf("%d import events", n)
			}
		})
	}
}

// TestImportJournalV1: the journal of an import that a locket before
// decisions/0078 staged at its old record kind, and crashed, is finished
// (committed) or dropped (staged) by this one.
func TestImportJournalV1(t *testing.T) {
	t.Parallel()
	for _, step := range []string{"staged", "committed"} {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			limits := &importLimits{singleTxn: 1 << 10, chunk: 600, journalV1: true, crash: func(s string) bool { return s == step }}
			v := newVaultWith(t, DefaultSettings(), newClock(), Options{limits: limits})
			_, err := v.Import(ctx, generated(40, 0, nil), ImportOptions{})
			if !errors.Is(err, errSimulatedCrash) {
				t.Fatalf("err %v", err)
			}
			if len(v.rawKeys(t, kindJournalV1)) < 2 || len(v.rawKeys(t, kindJournal)) != 0 {
				t.Fatal("the chunks are not where an older locket put them")
			}
			v = reopen(t, v, Options{})
			noJournal(t, v)
			if n := len(v.rawKeys(t, kindJournalV1)); n != 0 {
				t.Errorf("%d old journal chunks left", n)
			}
			want := map[string]int{"staged": 0, "committed": 40}[step]
			if got := len(snapshot(t, v)); got != want {
				t.Errorf("%d secrets after recovery, want %d", got, want)
			}
		})
	}
}
