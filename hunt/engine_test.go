package hunt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loghunt/loghunt/parsers"
)

// fakeUnit emits n events whose CommandLine cycles through a few values,
// then reports one damaged record, and optionally panics.
type fakeUnit struct {
	path  string
	base  int
	n     int
	panic bool
}

func (u fakeUnit) Decode(emit parsers.EmitFunc, report parsers.ReportFunc) (parsers.Stats, error) {
	var st parsers.Stats
	ev := &parsers.Event{}
	for i := 0; i < u.n; i++ {
		*ev = parsers.Event{
			Time:     time.Date(2024, 1, 1, 0, 0, (u.base+i)%7, 0, time.UTC),
			EventID:  1,
			RecordID: uint64(u.base + i),
			Source:   parsers.Source{Path: u.path, Offset: int64(u.base+i) * 100},
			Fields:   ev.Fields[:0],
		}
		ev.Add("CommandLine", fmt.Sprintf("cmd-%d", (u.base+i)%3))
		if err := emit(ev); err != nil {
			return st, err
		}
		st.Records++
	}
	report(&parsers.ParseError{File: u.path, Offset: int64(u.base) * 100, Unit: "record", Err: parsers.ErrTruncated})
	st.Failed++
	if u.panic {
		panic("boom")
	}
	return st, nil
}

// needle fires on events whose CommandLine equals a value.
type needle struct{ rule *Rule }

func (m needle) Match(ev *parsers.Event, emit func(*Rule, []Matched)) {
	if v, _ := ev.Get("CommandLine"); v == m.rule.ID {
		emit(m.rule, []Matched{{Search: "selection", Field: "CommandLine", Value: v}})
	}
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) Worker() func(*parsers.Event) {
	return func(*parsers.Event) {
		c.mu.Lock()
		c.n++
		c.mu.Unlock()
	}
}

func inputs(withPanic bool) []Input {
	var ins []Input
	for f := 0; f < 5; f++ {
		path := fmt.Sprintf("file%d.evtx", f)
		var units []parsers.Unit
		for u := 0; u < 4; u++ {
			units = append(units, fakeUnit{path: path, base: u * 50, n: 50, panic: withPanic && f == 2 && u == 1})
		}
		ins = append(ins, Input{Path: path, Kind: "evtx", Size: 10, Open: func() ([]parsers.Unit, func() error, error) {
			return units, func() error { return nil }, nil
		}})
	}
	ins = append(ins, Input{Path: "gone.json", Kind: "json", Size: 1, Open: func() ([]parsers.Unit, func() error, error) {
		return nil, nil, errors.New("permission denied")
	}})
	return ins
}

func render(hits []*Hit) string {
	var b strings.Builder
	for _, h := range hits {
		fmt.Fprintf(&b, "%s %s %d %s\n", h.Time.Format(time.RFC3339), h.Event.Source, h.Event.RecordID, h.Rule.ID)
	}
	return b.String()
}

func TestRunDeterministicAcrossThreads(t *testing.T) {
	opts := func(threads int) Options {
		return Options{Threads: threads, Matchers: []Matcher{needle{&Rule{ID: "cmd-1"}}, needle{&Rule{ID: "cmd-2"}}}}
	}
	_, one, err := runCollect(context.Background(), inputs(false), opts(1))
	if err != nil {
		t.Fatal(err)
	}
	// 5 files x 200 events; a third match each rule.
	if got, want := len(one), 2*5*200/3; got < want-5 || got > want+5 {
		t.Fatalf("hits = %d, want about %d", got, want)
	}
	for _, threads := range []int{2, 4, 8} {
		_, many, err := runCollect(context.Background(), inputs(false), opts(threads))
		if err != nil {
			t.Fatal(err)
		}
		if render(many) != render(one) {
			t.Fatalf("threads=%d: hit order differs from threads=1", threads)
		}
	}
	for i := 1; i < len(one); i++ {
		if CompareHits(one[i-1], one[i]) > 0 {
			t.Fatalf("hits not sorted at %d", i)
		}
	}
}

func TestRunAccountsForEverything(t *testing.T) {
	c := &counter{}
	res, err := Run(context.Background(), inputs(true), Options{Threads: 3, Observers: []Observer{c}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 6 {
		t.Fatalf("files = %d", len(res.Files))
	}
	for i, f := range res.Files[:5] {
		wantFailed := int64(4)
		if i == 2 {
			wantFailed = 3 // the panicking unit's stats are lost, its events are not
		}
		if len(f.Errors) != 4 || f.Stats.Failed != wantFailed || f.Stats.Records != 200 {
			t.Errorf("%s: %d errors, %d failed, %d records; want 4, %d, 200", f.Path, len(f.Errors), f.Stats.Failed, f.Stats.Records, wantFailed)
		}
	}
	if res.Files[2].Err == nil || !strings.Contains(res.Files[2].Err.Error(), "panic") {
		t.Errorf("panicking unit not reported: %v", res.Files[2].Err)
	}
	if res.Files[5].Err == nil {
		t.Errorf("unopenable file not reported")
	}
	// Every event reached the observer, including those of the unit that
	// panicked after emitting.
	if c.n != 5*200 || res.Events != 5*200 {
		t.Errorf("observed %d, events %d; want %d", c.n, res.Events, 5*200)
	}
}

func TestRunCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, inputs(false), Options{Threads: 2}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestRunReportsReleaseErrors: a file that fails to close after its last
// unit is reported, also while other workers account for its other units.
func TestRunReportsReleaseErrors(t *testing.T) {
	var units []parsers.Unit
	for u := 0; u < 16; u++ {
		units = append(units, fakeUnit{path: "f.evtx", base: u * 10, n: 10})
	}
	in := Input{Path: "f.evtx", Size: 1, Open: func() ([]parsers.Unit, func() error, error) {
		return units, func() error { return errors.New("close failed") }, nil
	}}
	res, err := Run(context.Background(), []Input{in}, Options{Threads: 4})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.Files[0]; f.Err == nil || !strings.Contains(f.Err.Error(), "close failed") || f.Stats.Records != 160 {
		t.Fatalf("file report %+v", f)
	}
}

// stopUnit emits n events with a computer name, every one a hit of needle
// "cmd-0"; after its event at index closeAt it closes stop.
type stopUnit struct {
	path     string
	n        int
	closeAt  int
	stop     chan struct{}
	computer string
}

func (u stopUnit) Decode(emit parsers.EmitFunc, _ parsers.ReportFunc) (parsers.Stats, error) {
	var st parsers.Stats
	ev := &parsers.Event{}
	for i := 0; i < u.n; i++ {
		*ev = parsers.Event{Time: time.Date(2024, 1, 1, 0, 0, 0, i, time.UTC), Computer: u.computer,
			RecordID: uint64(i + 1), Source: parsers.Source{Path: u.path, Offset: int64(i)}, Fields: ev.Fields[:0]}
		ev.Add("CommandLine", "cmd-0")
		st.Records++ // before the emit, as the parsers count
		if err := emit(ev); err != nil {
			return st, err
		}
		if i == u.closeAt {
			close(u.stop)
		}
	}
	return st, nil
}

type closeCounter struct {
	SortingSink
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return c.SortingSink.Close() }

type finishCounter struct{ n int }

func (f *finishCounter) Finish(_ context.Context, emit func(*Hit) error) error {
	f.n++
	return nil
}

// TestRunStop: closing Options.Stop stops the reading between two events;
// the events read were hunted, the finishers run, the sink is closed, and
// the files left unread, or read in part, say so.
func TestRunStop(t *testing.T) {
	stop := make(chan struct{})
	one := func(path string, u parsers.Unit) Input {
		return Input{Path: path, Size: 1, Open: func() ([]parsers.Unit, func() error, error) {
			return []parsers.Unit{u}, func() error { return nil }, nil
		}}
	}
	ins := []Input{
		one("a", stopUnit{path: "a", n: 300, closeAt: -1, computer: "A"}),
		one("b", stopUnit{path: "b", n: 5000, closeAt: 10, stop: stop, computer: "B"}),
		one("c", stopUnit{path: "c", n: 300, closeAt: -1, computer: "C"}),
	}
	sink := &closeCounter{}
	fin := &finishCounter{}
	res, err := Run(context.Background(), ins, Options{Threads: 1, Stop: stop, Sink: sink,
		Matchers: []Matcher{needle{&Rule{ID: "cmd-0", Level: "high"}}}, Finishers: []Finisher{fin}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || sink.closed != 1 || fin.n != 1 {
		t.Fatalf("interrupted %v, sink closed %d times, finisher ran %d times", res.Interrupted, sink.closed, fin.n)
	}
	a, b, c := res.Files[0], res.Files[1], res.Files[2]
	if a.Unfinished || a.Stats.Records != 300 {
		t.Errorf("a: unfinished %v, %d records; want read whole, 300", a.Unfinished, a.Stats.Records)
	}
	if !b.Unfinished || b.Stats.Records <= 10 || b.Stats.Records >= 5000 {
		t.Errorf("b: unfinished %v, %d records; want cut after the 11th of 5000", b.Unfinished, b.Stats.Records)
	}
	if !c.Unfinished || c.Stats.Records != 0 {
		t.Errorf("c: unfinished %v, %d records; want not read", c.Unfinished, c.Stats.Records)
	}
	// Every event read was hunted: one hit each, and the computers say
	// where they came from.
	if res.Events != 300+b.Stats.Records || res.Counts.Hits != int(res.Events) || res.Totals().Records != res.Events {
		t.Errorf("events %d, hits %d; want %d of each", res.Events, res.Counts.Hits, 300+b.Stats.Records)
	}
	if pc := res.Counts.PerComputer; pc["A"] != 300 || pc["B"] != int(b.Stats.Records) || pc["C"] != 0 {
		t.Errorf("per computer %v", pc)
	}
}

// TestRunCountsPerComputer: the counts per computer add up over workers,
// and the filtered hits are not counted.
func TestRunCountsPerComputer(t *testing.T) {
	var ins []Input
	for i, comp := range []string{"X", "Y", "X", ""} {
		u := stopUnit{path: fmt.Sprint(i), n: 10 * (i + 1), closeAt: -1, computer: comp}
		ins = append(ins, Input{Path: u.path, Open: func() ([]parsers.Unit, func() error, error) {
			return []parsers.Unit{u}, nil, nil
		}})
	}
	odd := HitFilterFunc(func(h *Hit) bool { return h.Event.RecordID%2 == 0 })
	res, err := Run(context.Background(), ins, Options{Threads: 3, Filters: []HitFilter{odd},
		Matchers: []Matcher{needle{&Rule{ID: "cmd-0", Level: "low"}}}})
	if err != nil {
		t.Fatal(err)
	}
	// Units of 10, 20, 30 and 40 events; half of each kept.
	want := map[string]int{"X": 5 + 15, "Y": 10, "": 20}
	if fmt.Sprint(res.Counts.PerComputer) != fmt.Sprint(want) || res.Counts.Filtered != 50 || res.Counts.PerLevel["low"] != 50 {
		t.Fatalf("per computer %v (want %v), filtered %d, low %d", res.Counts.PerComputer, want, res.Counts.Filtered, res.Counts.PerLevel["low"])
	}
}

// twoFields adds a field the output does not need to every event, so
// KeepField has something to drop.
type twoFields struct{ fakeUnit }

func (u twoFields) Decode(emit parsers.EmitFunc, report parsers.ReportFunc) (parsers.Stats, error) {
	return u.fakeUnit.Decode(func(ev *parsers.Event) error {
		ev.Add("Junk", "xxxxxxxx")
		return emit(ev)
	}, report)
}

// KeepField slims the engine's copy of a hit's event to the fields it
// keeps; the core fields and the matched values stay.
func TestRunKeepFieldSlimsHits(t *testing.T) {
	in := Input{Path: "a.evtx", Kind: "evtx", Size: 1, Open: func() ([]parsers.Unit, func() error, error) {
		return []parsers.Unit{twoFields{fakeUnit{path: "a.evtx", n: 9}}}, nil, nil
	}}
	rule := &Rule{ID: "cmd-1"}
	for _, keep := range []func(string) bool{nil, func(n string) bool { return n == "CommandLine" }} {
		_, hits, err := runCollect(context.Background(), []Input{in}, Options{Threads: 2, Matchers: []Matcher{needle{rule}}, KeepField: keep})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 3 {
			t.Fatalf("%d hits, want 3 (events 1, 4, 7)", len(hits))
		}
		for _, h := range hits {
			_, junk := h.Event.Get("Junk")
			if v, _ := h.Event.Get("CommandLine"); v != "cmd-1" || junk != (keep == nil) || h.Event.EventID != 1 || h.Event.Source.Path != "a.evtx" {
				t.Errorf("keep %v: event %+v", keep != nil, h.Event)
			}
			if len(h.Matched) != 1 || h.Matched[0].Value != "cmd-1" {
				t.Errorf("matched %+v", h.Matched)
			}
		}
	}
}
