package hunt

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/loghunt/loghunt/parsers"
)

// runCollect runs a hunt into a SortingSink and returns the sorted hits.
func runCollect(ctx context.Context, ins []Input, opts Options) (*Result, []*Hit, error) {
	var hits []*Hit
	opts.Sink = NewSortingSink(func(h *Hit) error {
		hits = append(hits, h)
		return nil
	})
	res, err := Run(ctx, ins, opts)
	return res, hits, err
}

// recordingSink keeps what the engine sends it and checks the contract:
// no WriteHit after Close, one Close.
type recordingSink struct {
	mu      sync.Mutex
	hits    []*Hit
	closes  int
	late    int   // WriteHit calls after Close
	failAt  int   // WriteHit number (1-based) that fails; 0: none
	failErr error // returned by that call
}

func (s *recordingSink) WriteHit(h *Hit) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closes > 0 {
		s.late++
	}
	s.hits = append(s.hits, h)
	if len(s.hits) == s.failAt {
		return s.failErr
	}
	return nil
}

func (s *recordingSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closes++
	return nil
}

// fixedFinisher returns its hits once every event has been seen.
type fixedFinisher struct{ hits []*Hit }

func (f fixedFinisher) Finish(_ context.Context, emit func(*Hit) error) error {
	for _, h := range f.hits {
		if err := emit(h); err != nil {
			return err
		}
	}
	return nil
}

func ruleIDs(hits []*Hit) map[string]int {
	n := map[string]int{}
	for _, h := range hits {
		n[h.Rule.ID]++
	}
	return n
}

func TestSortingSinkSortsConcurrentWrites(t *testing.T) {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	rules := []*Rule{{ID: "a"}, {ID: "b"}}
	var want []*Hit
	for i := 0; i < 400; i++ {
		ev := &parsers.Event{Time: base.Add(time.Duration(i/4) * time.Second), RecordID: uint64(i % 4),
			Source: parsers.Source{Path: fmt.Sprintf("f%d", i%2)}}
		want = append(want, &Hit{Rule: rules[i%2], Time: ev.Time, Event: ev})
	}
	SortHits(want)

	var got []*Hit
	s := NewSortingSink(func(h *Hit) error { got = append(got, h); return nil })
	shuffled := slices.Clone(want)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(shuffled); i += 4 {
				if err := s.WriteHit(shuffled[i]); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if len(got) != 0 {
		t.Fatalf("forwarded %d hits before Close", len(got))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("forwarded %d hits, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("hit %d out of order", i)
		}
	}
	if err := s.WriteHit(want[0]); err == nil {
		t.Error("WriteHit after Close succeeded")
	}
	if err := s.Close(); err == nil {
		t.Error("second Close succeeded")
	}
}

func TestSortingSinkKeepsArrivalOrderOfEqualHits(t *testing.T) {
	ev := &parsers.Event{Source: parsers.Source{Path: "f"}}
	r1, r2 := &Rule{ID: "same", Title: "first"}, &Rule{ID: "same", Title: "second"}
	var got []string
	s := NewSortingSink(func(h *Hit) error { got = append(got, h.Rule.Title); return nil })
	for _, r := range []*Rule{r1, r2, r1} {
		if err := s.WriteHit(&Hit{Rule: r, Event: ev}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"first", "second", "first"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestSortingSinkStopsOnForwardError(t *testing.T) {
	boom := errors.New("disk full")
	n := 0
	s := NewSortingSink(func(*Hit) error {
		n++
		return boom
	})
	for i := 0; i < 3; i++ {
		if err := s.WriteHit(&Hit{Rule: &Rule{ID: fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); !errors.Is(err, boom) || n != 1 {
		t.Fatalf("Close = %v after %d forwards; want %v after 1", err, n, boom)
	}
}

// TestRunFilterDropsRule: a filter that drops one rule keeps its hits from
// the sink and from the counts, for per-event and finisher hits alike, and
// the sink is closed once, after the last hit.
func TestRunFilterDropsRule(t *testing.T) {
	r1 := &Rule{ID: "cmd-1", Level: "high"}
	r2 := &Rule{ID: "cmd-2", Level: "low"}
	corr := &Rule{ID: "corr", Level: "high"}
	late := &Hit{Rule: r1, Time: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} // a finisher's hit of the dropped rule
	extra := &Hit{Rule: corr, Time: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	opts := func(threads int) Options {
		return Options{Threads: threads, Matchers: []Matcher{needle{r1}, needle{r2}},
			Finishers: []Finisher{fixedFinisher{[]*Hit{late, extra}}}}
	}

	all, allHits, err := runCollect(context.Background(), inputs(false), opts(2))
	if err != nil {
		t.Fatal(err)
	}
	n := ruleIDs(allHits)
	if n["cmd-1"] < 300 || n["cmd-2"] < 300 || n["corr"] != 1 {
		t.Fatalf("unfiltered hits per rule: %v", n)
	}
	if all.Counts.Hits != len(allHits) || all.Counts.Filtered != 0 || all.Counts.PerRule[r1] != n["cmd-1"] ||
		all.Counts.PerLevel["high"] != n["cmd-1"]+1 {
		t.Fatalf("unfiltered counts %+v, hits %v", all.Counts, n)
	}

	for _, threads := range []int{1, 3} {
		t.Run(fmt.Sprint("threads=", threads), func(t *testing.T) {
			sink := &recordingSink{}
			var asked sync.Map
			o := opts(threads)
			o.Sink = sink
			o.Filters = []HitFilter{
				HitFilterFunc(func(h *Hit) bool { asked.Store(h, true); return true }),
				HitFilterFunc(func(h *Hit) bool { return h.Rule.ID != "cmd-1" }),
			}
			res, err := Run(context.Background(), inputs(false), o)
			if err != nil {
				t.Fatal(err)
			}
			got := ruleIDs(sink.hits)
			if got["cmd-1"] != 0 || got["cmd-2"] != n["cmd-2"] || got["corr"] != 1 {
				t.Errorf("sink got %v; want no cmd-1, %d cmd-2, 1 corr", got, n["cmd-2"])
			}
			c := res.Counts
			// n["cmd-1"] counts the finisher's hit of cmd-1 too.
			if c.Hits != len(sink.hits) || c.Filtered != n["cmd-1"] {
				t.Errorf("counts: %d hits, %d filtered; want %d, %d", c.Hits, c.Filtered, len(sink.hits), n["cmd-1"])
			}
			if _, ok := c.PerRule[r1]; ok || c.PerRule[r2] != n["cmd-2"] || c.PerRule[corr] != 1 {
				t.Errorf("per rule: %v", c.PerRule)
			}
			if c.PerLevel["high"] != 1 || c.PerLevel["low"] != n["cmd-2"] {
				t.Errorf("per level: %v", c.PerLevel)
			}
			if _, ok := asked.Load(late); !ok {
				t.Error("the finisher's hit did not pass the filters")
			}
			if sink.closes != 1 || sink.late != 0 {
				t.Errorf("sink closed %d times, %d hits after Close", sink.closes, sink.late)
			}
		})
	}
}

// TestRunStopsOnSinkError: a failing sink stops the run with its error, is
// not closed, and is not blamed on the file being read.
func TestRunStopsOnSinkError(t *testing.T) {
	boom := errors.New("sink full")
	sink := &recordingSink{failAt: 10, failErr: boom}
	opts := Options{Threads: 2, Matchers: []Matcher{needle{&Rule{ID: "cmd-1"}}}, Sink: sink}
	if _, err := Run(context.Background(), inputs(false), opts); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if sink.closes != 0 {
		t.Error("sink closed after a failed run")
	}

	// A finisher's hit that the sink refuses fails the run too.
	sink = &recordingSink{failAt: 1, failErr: boom}
	opts = Options{Threads: 2, Finishers: []Finisher{fixedFinisher{[]*Hit{{Rule: &Rule{ID: "x"}}}}}, Sink: sink}
	if _, err := Run(context.Background(), inputs(false), opts); !errors.Is(err, boom) {
		t.Fatalf("finisher hit: err = %v, want %v", err, boom)
	}
}

// TestMergingSink: the hits of one detection on one event become one
// hit listing every engine, the event hit first; hits of another
// detection, another event or without a source stay apart.
func TestMergingSink(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	sig := &Rule{ID: "d1", Engine: "sigma", Title: "D1 sigma", Level: "high"}
	kq := &Rule{ID: "d1", Engine: "kql", Title: "D1 kql", Level: "medium"}
	twin := &Rule{ID: "k2", Detection: "d1", Engine: "kql"}
	otherSig := &Rule{ID: "d0", Engine: "sigma"}
	evAt := func(line int64, off int64) *parsers.Event {
		return &parsers.Event{Time: t0, RecordID: uint64(line), Source: parsers.Source{Path: "a.jsonl", Line: line, Offset: off}}
	}
	row := []Cell{{Name: "x", Value: "1"}}
	// KQL rows know the line, not the byte offset (-1).
	in := []*Hit{
		{Rule: kq, Time: t0, Event: evAt(1, -1), Row: row},
		{Rule: sig, Time: t0, Event: evAt(1, 0), Matched: []Matched{{Field: "F", Value: "v"}}},
		{Rule: twin, Time: t0, Event: evAt(1, -1), Row: row},
		{Rule: otherSig, Time: t0, Event: evAt(1, 0)},
		{Rule: sig, Time: t0, Event: evAt(2, 40)},
		{Rule: kq, Time: t0, Event: &parsers.Event{Time: t0, Source: parsers.Source{Offset: -1}}, Row: row},
		{Rule: kq, Time: t0, Event: &parsers.Event{Time: t0, Source: parsers.Source{Offset: -1}}, Row: []Cell{{Name: "x", Value: "2"}}},
	}
	var out []*Hit
	s := NewMergingSink(func(h *Hit) error { out = append(out, h); return nil })
	for _, i := range []int{3, 6, 0, 2, 5, 4, 1} {
		s.WriteHit(in[i])
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range out {
		src := ""
		if h.Event != nil {
			src = h.Event.Source.Path
		}
		got = append(got, fmt.Sprintf("%s %s %s line %d %v", h.Rule.ID, h.Rule.Engine, src, h.Event.Source.Line, h.Engines))
	}
	want := []string{
		// no source: not merged, sorted first by path "".
		"d1 kql  line 0 []",
		"d1 kql  line 0 []",
		"d0 sigma a.jsonl line 1 []",
		"d1 sigma,kql a.jsonl line 1 [sigma kql]",
		"d1 sigma a.jsonl line 2 []",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	m := out[3]
	if m.Rule.Title != "D1 sigma" || m.Rule.Level != "high" || len(m.Matched) != 1 || m.Event.Source.Offset != 0 {
		t.Errorf("merged hit is not the sigma one: %+v %+v", m.Rule, m)
	}
	if sig.Engine != "sigma" {
		t.Errorf("the rule was modified: %+v", sig)
	}

	// The merged Rule is one value per rule and engine list, so counts
	// keyed by *Rule add up.
	var out2 []*Hit
	s2 := NewMergingSink(func(h *Hit) error { out2 = append(out2, h); return nil })
	for _, line := range []int64{1, 2} {
		s2.WriteHit(&Hit{Rule: sig, Time: t0, Event: evAt(line, 0)})
		s2.WriteHit(&Hit{Rule: kq, Time: t0, Event: evAt(line, -1), Row: row})
	}
	s2.Close()
	if len(out2) != 2 || out2[0].Rule != out2[1].Rule {
		t.Errorf("merged rules differ: %d hits", len(out2))
	}
}
