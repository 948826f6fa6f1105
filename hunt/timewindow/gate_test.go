package timewindow_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/timewindow"
	"github.com/loghunt/loghunt/parsers"
)

// unit emits one event per time, reusing its Event as parsers do; a zero
// time is an event without a timestamp.
type unit []time.Time

func (u unit) Decode(emit parsers.EmitFunc, _ parsers.ReportFunc) (parsers.Stats, error) {
	var st parsers.Stats
	ev := &parsers.Event{}
	for i, t := range u {
		*ev = parsers.Event{Time: t, RecordID: uint64(i + 1), Source: parsers.Source{Path: "f", Offset: int64(i)}}
		if err := emit(ev); err != nil {
			return st, err
		}
		st.Records++
	}
	return st, nil
}

func inputs(units ...unit) []hunt.Input {
	var in []hunt.Input
	for i, u := range units {
		in = append(in, hunt.Input{Path: string(rune('a' + i)), Open: func() ([]parsers.Unit, func() error, error) {
			return []parsers.Unit{u}, nil, nil
		}})
	}
	return in
}

var every = &hunt.Rule{ID: "every", Level: "high", Engine: "test"}

// all fires on every event.
type all struct{}

func (all) Match(_ *parsers.Event, emit func(*hunt.Rule, []hunt.Matched)) { emit(every, nil) }

// seen records the times of the events an observer is given.
type seen struct {
	mu    sync.Mutex
	times []time.Time
}

func (s *seen) Worker() func(*parsers.Event) {
	return func(ev *parsers.Event) {
		s.mu.Lock()
		s.times = append(s.times, ev.Time)
		s.mu.Unlock()
	}
}

// finisher emits one hit per time after the events.
type finisher []time.Time

var late = &hunt.Rule{ID: "late", Level: "low", Engine: "test"}

func (f finisher) Finish(_ context.Context, emit func(*hunt.Hit) error) error {
	for _, t := range f {
		if err := emit(&hunt.Hit{Rule: late, Time: t, Event: &parsers.Event{Time: t}}); err != nil {
			return err
		}
	}
	return nil
}

func hitTimes(hits []*hunt.Hit) []string {
	var out []string
	for _, h := range hits {
		s := "none"
		if !h.Time.IsZero() {
			s = h.Time.Format(time.RFC3339Nano)
		}
		out = append(out, h.Rule.ID+"@"+s)
	}
	return out
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// A fixed window gates the events: the matcher and the observer see only
// the events in it and those without a timestamp; the tally counts the
// others. The edges are exact to the nanosecond.
func TestFixedWindowGatesEvents(t *testing.T) {
	spec, err := timewindow.Parse(timewindow.Flags{From: "2024-05-01T00:00:00Z", To: "2024-05-02"})
	if err != nil {
		t.Fatal(err)
	}
	win := spec.Resolve(time.Time{})
	tally := timewindow.NewTally(spec)
	obs := &seen{}
	var hits []*hunt.Hit
	sink := hunt.NewSortingSink(func(h *hunt.Hit) error { hits = append(hits, h); return nil })
	res, err := hunt.Run(context.Background(), inputs(
		unit{ts("2024-04-30T23:59:59.999999999Z"), ts("2024-05-01T00:00:00Z"), {}},
		unit{ts("2024-05-01T23:59:59.999999999Z"), ts("2024-05-02T00:00:00Z"), ts("2024-05-03T00:00:00Z")},
	), hunt.Options{
		Threads:   2,
		Matchers:  []hunt.Matcher{win.Matcher(all{})},
		Observers: []hunt.Observer{win.Observer(obs), tally},
		Sink:      sink,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"every@none", "every@2024-05-01T00:00:00Z", "every@2024-05-01T23:59:59.999999999Z"}
	if got := hitTimes(hits); !slices.Equal(got, want) {
		t.Errorf("hits %v, want %v", got, want)
	}
	if res.Events != 6 || res.Counts.Hits != 3 || res.Counts.Filtered != 0 {
		t.Errorf("events %d (want 6, every one read), hits %d (want 3), filtered %d", res.Events, res.Counts.Hits, res.Counts.Filtered)
	}
	if len(obs.times) != 3 {
		t.Errorf("the observer saw %d events, want 3 (two in the window, one without a timestamp)", len(obs.times))
	}
	c := tally.Counts()
	if c.Before != 1 || c.After != 2 || c.NoTime != 1 || !c.Newest.Equal(ts("2024-05-03T00:00:00Z")) {
		t.Errorf("tally %+v, want 1 before, 2 after, 1 without time, newest 2024-05-03", c)
	}
	notes := tally.Report(0).Notes(nil)
	if len(notes) != 2 || !strings.Contains(notes[0], "2024-05-01T00:00:00Z (inclusive) to 2024-05-02T00:00:00Z (exclusive)") ||
		!strings.Contains(notes[0], "3 events outside it read and not hunted (1 before, 2 after)") ||
		!strings.Contains(notes[1], "1 event without a timestamp hunted") {
		t.Errorf("notes %q", notes)
	}
}

// --last without --now counts back from the newest event, known only at the
// end: the rules see every event, and the Hold sink drops the hits outside
// the window, the matchers' and the finishers'.
func TestLastFromNewestHoldsHits(t *testing.T) {
	spec, err := timewindow.Parse(timewindow.Flags{Last: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	tally := timewindow.NewTally(spec)
	obs := &seen{}
	var hits []*hunt.Hit
	hold := tally.Hold(hunt.NewSortingSink(func(h *hunt.Hit) error { hits = append(hits, h); return nil }))
	res, err := hunt.Run(context.Background(), inputs(
		unit{ts("2024-05-01T09:59:59.999999999Z"), ts("2024-05-01T10:00:00Z"), {}},
		unit{ts("2024-05-01T11:00:00Z"), ts("2024-05-01T10:30:00Z")},
	), hunt.Options{
		Threads:   2,
		Matchers:  []hunt.Matcher{all{}},
		Observers: []hunt.Observer{obs, tally},
		Finishers: []hunt.Finisher{finisher{ts("2024-05-01T09:00:00Z"), ts("2024-05-01T10:15:00Z"), {}}},
		Sink:      hold,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Equal times sort by source path: the finisher's hit has none.
	want := []string{"late@none", "every@none", "every@2024-05-01T10:00:00Z", "late@2024-05-01T10:15:00Z",
		"every@2024-05-01T10:30:00Z", "every@2024-05-01T11:00:00Z"}
	if got := hitTimes(hits); !slices.Equal(got, want) {
		t.Errorf("hits %v, want %v", got, want)
	}
	if len(obs.times) != 5 {
		t.Errorf("the observer saw %d events, want all 5", len(obs.times))
	}
	dropped, total := hold.Dropped()
	if total != 2 || dropped[every] != 1 || dropped[late] != 1 {
		t.Errorf("dropped %v (total %d), want one of each rule", dropped, total)
	}
	// The engine counted the held hits as kept; the caller corrects them.
	if res.Counts.Hits != 8 {
		t.Errorf("engine counted %d hits, want 8 (5 events + 3 finisher hits)", res.Counts.Hits)
	}
	w := tally.Window()
	if !w.From.Equal(ts("2024-05-01T10:00:00Z")) || !w.To.Equal(ts("2024-05-01T11:00:00.000000001Z")) {
		t.Errorf("window %+v", w)
	}
	notes := tally.Report(total).Notes(nil)
	if !strings.Contains(notes[0], "--last 1h up to the newest event in the input, 2024-05-01T11:00:00Z") ||
		!strings.Contains(notes[0], "the hits outside the window were dropped: 2") {
		t.Errorf("notes %q", notes)
	}
}

// --last with --now is fixed: it gates the events, and events after the
// anchor are out.
func TestLastWithNowGates(t *testing.T) {
	spec, err := timewindow.Parse(timewindow.Flags{Last: "1d", Anchor: ts("2024-05-02T00:00:00+02:00")})
	if err != nil {
		t.Fatal(err)
	}
	if !spec.Fixed() {
		t.Fatal("--last with --now is not fixed")
	}
	win := spec.Resolve(time.Time{})
	tally := timewindow.NewTally(spec)
	var hits []*hunt.Hit
	_, err = hunt.Run(context.Background(), inputs(unit{
		ts("2024-04-30T21:59:59Z"), ts("2024-04-30T22:00:00Z"), ts("2024-05-01T22:00:00Z"), ts("2024-05-01T22:00:00.000000001Z"),
	}), hunt.Options{
		Matchers:  []hunt.Matcher{win.Matcher(all{})},
		Observers: []hunt.Observer{tally},
		Sink:      hunt.NewSortingSink(func(h *hunt.Hit) error { hits = append(hits, h); return nil }),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"every@2024-04-30T22:00:00Z", "every@2024-05-01T22:00:00Z"}
	if got := hitTimes(hits); !slices.Equal(got, want) {
		t.Errorf("hits %v, want %v", got, want)
	}
	if c := tally.Counts(); c.Before != 1 || c.After != 1 {
		t.Errorf("tally %+v", c)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	notes := tally.Report(0).Notes(berlin)
	if !strings.Contains(notes[0], "--last 1d up to --now 2024-05-02T00:00:00+02:00: 2024-05-01T00:00:00+02:00 to 2024-05-02T00:00:00+02:00, both inclusive") {
		t.Errorf("notes %q", notes)
	}
}

// A Window is a hunt.HitFilter too.
func TestWindowIsHitFilter(t *testing.T) {
	var f hunt.HitFilter = timewindow.Window{From: ts("2024-05-01T00:00:00Z")}
	if f.Keep(&hunt.Hit{Time: ts("2024-04-30T00:00:00Z")}) || !f.Keep(&hunt.Hit{Time: ts("2024-05-01T00:00:00Z")}) || !f.Keep(&hunt.Hit{}) {
		t.Error("Keep")
	}
}

// Late is Hold's streaming form, behind a sorter: the same hits pass and
// the same are dropped, and it holds none itself.
func TestLastFromNewestLateSink(t *testing.T) {
	spec, err := timewindow.Parse(timewindow.Flags{Last: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	tally := timewindow.NewTally(spec)
	var hits []*hunt.Hit
	ls := tally.Late(hunt.FuncSink(func(h *hunt.Hit) error { hits = append(hits, h); return nil }))
	sorter := hunt.NewSortingSink(ls.WriteHit)
	_, err = hunt.Run(context.Background(), inputs(
		unit{ts("2024-05-01T09:59:59.999999999Z"), ts("2024-05-01T10:00:00Z"), {}},
		unit{ts("2024-05-01T11:00:00Z"), ts("2024-05-01T10:30:00Z")},
	), hunt.Options{
		Threads:   2,
		Matchers:  []hunt.Matcher{all{}},
		Observers: []hunt.Observer{tally},
		Finishers: []hunt.Finisher{finisher{ts("2024-05-01T09:00:00Z"), ts("2024-05-01T10:15:00Z"), {}}},
		Sink:      sorter,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := ls.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"late@none", "every@none", "every@2024-05-01T10:00:00Z", "late@2024-05-01T10:15:00Z",
		"every@2024-05-01T10:30:00Z", "every@2024-05-01T11:00:00Z"}
	if got := hitTimes(hits); !slices.Equal(got, want) {
		t.Errorf("hits %v, want %v", got, want)
	}
	dropped, total := ls.Dropped()
	if total != 2 || dropped[every] != 1 || dropped[late] != 1 {
		t.Errorf("dropped %v (total %d), want one of each rule", dropped, total)
	}
}
