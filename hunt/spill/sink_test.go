package spill

import (
	"errors"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/budget"
	"github.com/loghunt/loghunt/parsers"
)

// collect is the next sink of the tests: it keeps what it is given and
// counts Close.
type collect struct {
	hits   []*hunt.Hit
	closed int
	failAt int // WriteHit fails at this hit (1-based); 0 never
}

var errNext = errors.New("next failed")

func (c *collect) WriteHit(h *hunt.Hit) error {
	if c.failAt > 0 && len(c.hits)+1 == c.failAt {
		return errNext
	}
	c.hits = append(c.hits, h)
	return nil
}

func (c *collect) Close() error { c.closed++; return nil }

// distinctHits makes n hits no two of which compare equal (each has its
// own record ID or, without an event, its own time), so that their order
// is the same whatever order they arrive in.
func distinctHits(n int, seed uint64) []*hunt.Hit {
	r := rand.New(rand.NewPCG(seed, seed+1))
	hits := make([]*hunt.Hit, n)
	for i := range hits {
		h := genHit(r)
		// Few distinct times, so that the order also rests on the
		// source, the record and the rule.
		h.Time = time.Date(2024, 5, 1, 0, 0, r.IntN(5), 0, time.UTC)
		if h.Event != nil {
			h.Event.RecordID = uint64(i)
		} else {
			h.Time = h.Time.Add(time.Duration(i) * time.Microsecond)
		}
		hits[i] = h
	}
	return hits
}

// sorted is the expected output: the hits as a record keeps them, in the
// canonical order (a stable sort, so ties keep their order of arrival).
func sorted(hits []*hunt.Hit, keep func(string) bool) []*hunt.Hit {
	out := make([]*hunt.Hit, len(hits))
	for i, h := range hits {
		out[i] = slim(h, keep)
	}
	slices.SortStableFunc(out, hunt.CompareHits)
	return out
}

// feed writes hits to s from workers goroutines, each taking every
// workers-th hit, then closes s.
func feed(t *testing.T, s *Sink, hits []*hunt.Hit, workers int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(hits); i += workers {
				if err := s.WriteHit(hits[i]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) > 0 {
		t.Fatalf("%d files left in %s, first %s", len(ents), dir, ents[0].Name())
	}
}

// The output is the canonical order whatever the number of workers and
// the run size: in memory, a few runs, and more runs than one merge reads
// (merge passes).
func TestSinkOrderIsCanonical(t *testing.T) {
	hits := distinctHits(3000, 7)
	want := sorted(hits, nil)
	for _, tc := range []struct {
		name      string
		runBytes  int64
		workers   int
		spills    bool
		mergePass bool
	}{
		{name: "memory-1", workers: 1},
		{name: "memory-4", workers: 4},
		{name: "runs-2", runBytes: 100 << 10, workers: 2, spills: true},
		{name: "tiny-runs-3", runBytes: 1, workers: 3, spills: true, mergePass: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			next := &collect{}
			s := New(Options{RunBytes: tc.runBytes, Dir: dir}, next)
			feed(t, s, hits, tc.workers)
			st := s.Stats()
			if got := st.Runs > 0; got != tc.spills {
				t.Errorf("runs spilled %d, want spills %v", st.Runs, tc.spills)
			}
			if got := st.Passes > 0; got != tc.mergePass {
				t.Errorf("merge passes %d, want some %v", st.Passes, tc.mergePass)
			}
			if st.Hits != int64(len(hits)) {
				t.Errorf("stats count %d hits, want %d", st.Hits, len(hits))
			}
			if next.closed != 1 {
				t.Errorf("next closed %d times, want 1", next.closed)
			}
			if len(next.hits) != len(want) {
				t.Fatalf("%d hits out, want %d", len(next.hits), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(next.hits[i], want[i]) {
					t.Fatalf("hit %d:\n got %+v\nwant %+v", i, next.hits[i], want[i])
				}
			}
			assertEmpty(t, dir)
		})
	}
}

// The order by hand: time first; on one event, the Sigma hit before the
// KQL row of the same detection; hits that compare equal (two
// correlation hits of one rule at one time) in their order of arrival,
// also when they are in different runs.
func TestSinkOrderByHand(t *testing.T) {
	t1 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Second)
	ev := &parsers.Event{Time: t1, Computer: "WS1", RecordID: 7, Source: parsers.Source{Path: "a.evtx", Offset: 100}}
	late := &hunt.Hit{Rule: testRules[2], Time: t2, Event: &parsers.Event{Time: t2, Source: parsers.Source{Path: "a.evtx", Offset: 50}}}
	row := &hunt.Hit{Rule: testRules[1], Time: t1, Event: ev, Row: []hunt.Cell{{Name: "DeviceName", Value: "WS1"}}}
	sigma := &hunt.Hit{Rule: testRules[0], Time: t1, Event: ev}
	corrA := &hunt.Hit{Rule: testRules[3], Time: t1, Related: []*parsers.Event{{RecordID: 1}}}
	corrB := &hunt.Hit{Rule: testRules[3], Time: t1, Related: []*parsers.Event{{RecordID: 2}}}
	for _, runBytes := range []int64{0, 1} {
		next := &collect{}
		s := New(Options{RunBytes: runBytes, Dir: t.TempDir()}, next)
		feed(t, s, []*hunt.Hit{late, corrB, row, sigma, corrA}, 1)
		// No event sorts first (empty path); corrB came before corrA.
		want := []*hunt.Hit{corrB, corrA, sigma, row, late}
		if len(next.hits) != len(want) {
			t.Fatalf("run size %d: %d hits", runBytes, len(next.hits))
		}
		for i, w := range want {
			if !reflect.DeepEqual(next.hits[i], slim(w, nil)) {
				t.Errorf("run size %d, hit %d: got %+v, want %+v", runBytes, i, next.hits[i], w)
			}
		}
	}
}

// Keep slims the events: only the kept fields reach the next sink.
func TestSinkKeepsOnlyKeptFields(t *testing.T) {
	ev := &parsers.Event{Time: time.Unix(5, 0).UTC(), Computer: "WS1", Source: parsers.Source{Path: "a"},
		Fields: []parsers.Field{{Name: "Image", Value: "cmd.exe"}, {Name: "Junk", Value: "xx"}, {Name: "Image", Value: "b"}}}
	next := &collect{}
	s := New(Options{KeepField: func(n string) bool { return n == "Image" }, RunBytes: 1, Dir: t.TempDir()}, next)
	feed(t, s, []*hunt.Hit{{Rule: testRules[0], Time: ev.Time, Event: ev, Matched: []hunt.Matched{{Field: "Junk", Value: "xx"}}}}, 1)
	got := next.hits[0]
	if want := []parsers.Field{{Name: "Image", Value: "cmd.exe"}, {Name: "Image", Value: "b"}}; !reflect.DeepEqual(got.Event.Fields, want) {
		t.Errorf("fields %v, want %v", got.Event.Fields, want)
	}
	if got.Event.Computer != "WS1" || len(got.Matched) != 1 || got.Matched[0].Value != "xx" {
		t.Errorf("core or matched lost: %+v", got)
	}
}

// A budget the hits do not fit in makes the sink spill early; the
// account holds nothing once the sink is closed; the output is the same.
func TestSinkSpillsWhenTheBudgetIsShort(t *testing.T) {
	hits := distinctHits(2000, 11)
	b := budget.New(64 << 10)
	other := b.Account("kql")
	other.Grow(32 << 10) // another stage holds half of it
	acct := b.Account("hits")
	next := &collect{}
	dir := t.TempDir()
	s := New(Options{Account: acct, Dir: dir}, next)
	feed(t, s, hits, 2)
	if st := s.Stats(); st.Runs < 2 {
		t.Errorf("%d runs spilled under a 64 KiB budget, want several", st.Runs)
	}
	if acct.Used() != 0 {
		t.Errorf("account holds %d after Close", acct.Used())
	}
	// What the run buffers can hold beyond the budget: an eighth of a
	// run before an early spill, one hit per worker, and the merge's
	// read buffers.
	if limit := int64(64<<10) + earlyRun + 2*(1<<10) + fanIn*readBuf; b.Peak() > limit {
		t.Errorf("peak %d past %d", b.Peak(), limit)
	}
	want := sorted(hits, nil)
	if !reflect.DeepEqual(next.hits, want) {
		t.Error("output differs from the canonical order")
	}
	assertEmpty(t, dir)
}

// A failing next sink fails Close, and the temporary file goes all the
// same; Discard after a failed run removes it too.
func TestSinkCleansUpAfterErrors(t *testing.T) {
	hits := distinctHits(500, 13)
	dir := t.TempDir()
	next := &collect{failAt: 100}
	s := New(Options{RunBytes: 1 << 10, Dir: dir}, next)
	for _, h := range hits {
		if err := s.WriteHit(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); !errors.Is(err, errNext) {
		t.Fatalf("Close: %v, want the next sink's error", err)
	}
	if next.closed != 0 {
		t.Error("next closed after its failure")
	}
	assertEmpty(t, dir)
	if err := s.WriteHit(hits[0]); err == nil {
		t.Error("WriteHit after Close accepted")
	}

	s = New(Options{RunBytes: 1 << 10, Dir: dir}, &collect{})
	for _, h := range hits {
		s.WriteHit(h)
	}
	if s.Stats().Runs == 0 {
		t.Fatal("nothing spilled")
	}
	s.Discard()
	s.Discard()
	assertEmpty(t, dir)
	if err := s.Close(); err == nil {
		t.Error("Close after Discard succeeded")
	}
}

// A directory that cannot hold the file fails the hit that spills, and
// every later one.
func TestSinkReportsTempDirErrors(t *testing.T) {
	s := New(Options{RunBytes: 1, Dir: "/nonexistent/loghunt-spill-test"}, &collect{})
	hits := distinctHits(2, 17)
	if err := s.WriteHit(hits[0]); err == nil {
		t.Fatal("spill into a missing directory succeeded")
	}
	if err := s.WriteHit(hits[1]); err == nil {
		t.Fatal("hit after a failed spill accepted")
	}
	if err := s.Close(); err == nil {
		t.Fatal("Close after a failed spill succeeded")
	}
}
