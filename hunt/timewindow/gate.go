package timewindow

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/parsers"
)

// Keep implements hunt.HitFilter: a hit is kept when its time is in the
// window, or when it has none.
func (w Window) Keep(h *hunt.Hit) bool { return w.Contains(h.Time) }

// Matcher returns m restricted to the window: m is asked only about the
// events in it and those without a timestamp. The engine's layering is
// unchanged: the gated matcher is one more hunt.Matcher.
func (w Window) Matcher(m hunt.Matcher) hunt.Matcher { return gatedMatcher{w: w, m: m} }

type gatedMatcher struct {
	w Window
	m hunt.Matcher
}

func (g gatedMatcher) Match(ev *parsers.Event, emit func(*hunt.Rule, []hunt.Matched)) {
	if g.w.Contains(ev.Time) {
		g.m.Match(ev, emit)
	}
}

// Observer returns o restricted to the window, as Matcher does: a KQL table
// builder behind it sees only the events in the window and those without a
// timestamp.
func (w Window) Observer(o hunt.Observer) hunt.Observer { return gatedObserver{w: w, o: o} }

type gatedObserver struct {
	w Window
	o hunt.Observer
}

func (g gatedObserver) Worker() func(*parsers.Event) {
	see := g.o.Worker()
	w := g.w
	return func(ev *parsers.Event) {
		if w.Contains(ev.Time) {
			see(ev)
		}
	}
}

// Counts account for the events of a run against a window.
type Counts struct {
	// Before and After count the events outside a Fixed window: read, and
	// not hunted. A window resolved after the run leaves them zero.
	Before, After int64
	// NoTime counts the events without a timestamp; they are hunted.
	NoTime int64
	// Newest is the newest event timestamp of the input (zero: none had
	// one).
	Newest time.Time
}

// Tally is a hunt.Observer that counts every event of a run against a
// Spec and finds the newest one. Give it to the engine ungated; read Counts,
// Window and Report after hunt.Run has returned. It keeps a few counters
// per worker, so counting takes no lock.
type Tally struct {
	spec Spec
	win  Window // of a Fixed spec

	mu      sync.Mutex
	workers []*Counts
}

// NewTally returns a Tally for s.
func NewTally(s Spec) *Tally {
	return &Tally{spec: s, win: s.Resolve(time.Time{})}
}

// Worker implements hunt.Observer.
func (t *Tally) Worker() func(*parsers.Event) {
	c := &Counts{}
	t.mu.Lock()
	t.workers = append(t.workers, c)
	t.mu.Unlock()
	fixed, win := t.spec.Fixed(), t.win
	return func(ev *parsers.Event) {
		tm := ev.Time
		if tm.IsZero() {
			c.NoTime++
			return
		}
		if tm.After(c.Newest) {
			c.Newest = tm
		}
		if fixed {
			switch win.Where(tm) {
			case -1:
				c.Before++
			case 1:
				c.After++
			}
		}
	}
}

// Counts sums the workers' counts.
func (t *Tally) Counts() Counts {
	t.mu.Lock()
	defer t.mu.Unlock()
	var s Counts
	for _, c := range t.workers {
		s.Before += c.Before
		s.After += c.After
		s.NoTime += c.NoTime
		if c.Newest.After(s.Newest) {
			s.Newest = c.Newest
		}
	}
	return s
}

// Window is the window of the run: the Spec resolved with the newest event
// seen.
func (t *Tally) Window() Window { return t.spec.Resolve(t.Counts().Newest) }

// Hold returns the sink for a Spec that is not Fixed. It holds every hit
// until Close, when every event has been read; then it resolves the window
// from the newest event the tally saw, passes the hits in it on to next
// (nil drops them), in the order they came, and closes next. A hit without
// a timestamp is kept.
func (t *Tally) Hold(next hunt.HitSink) *HoldSink {
	return &HoldSink{tally: t, next: next, dropped: map[*hunt.Rule]int{}}
}

// HoldSink is the hunt.HitSink Tally.Hold returns. It is safe for
// concurrent use, as the engine needs.
type HoldSink struct {
	tally *Tally
	next  hunt.HitSink

	mu      sync.Mutex
	hits    []*hunt.Hit
	closed  bool
	dropped map[*hunt.Rule]int
	total   int
}

var errClosed = errors.New("timewindow: hit sink used after Close")

// WriteHit implements hunt.HitSink.
func (s *HoldSink) WriteHit(h *hunt.Hit) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	s.hits = append(s.hits, h)
	return nil
}

// Close implements hunt.HitSink.
func (s *HoldSink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	s.closed = true
	hits := s.hits
	s.hits = nil
	s.mu.Unlock()

	w := s.tally.Window()
	for i, h := range hits {
		hits[i] = nil
		if !w.Keep(h) {
			s.dropped[h.Rule]++
			s.total++
			continue
		}
		if s.next != nil {
			if err := s.next.WriteHit(h); err != nil {
				return err
			}
		}
	}
	if s.next == nil {
		return nil
	}
	return s.next.Close()
}

// Dropped returns, after Close, the number of hits outside the window per
// rule, and their total.
func (s *HoldSink) Dropped() (map[*hunt.Rule]int, int) { return s.dropped, s.total }

// Report is what a window did in a run, for the summary.
type Report struct {
	Spec   Spec
	Window Window
	Counts
	// HitsDropped counts the hits outside a window resolved after the run.
	HitsDropped int
}

// Report returns the tally's report; hitsDropped is what a Hold sink
// dropped (zero for a Fixed spec).
func (t *Tally) Report(hitsDropped int) Report {
	c := t.Counts()
	return Report{Spec: t.spec, Window: t.spec.Resolve(c.Newest), Counts: c, HitsDropped: hitsDropped}
}

// Notes say in words, for the summary, which window the run used, what its
// anchor was and what it left out. Times are written in loc (nil: UTC) with
// their offset.
func (r Report) Notes(loc *time.Location) []string {
	if r.Spec.IsZero() {
		return nil
	}
	if loc == nil {
		loc = time.UTC
	}
	ts := func(t time.Time) string { return t.In(loc).Format(time.RFC3339Nano) }
	var n string
	switch {
	case r.Spec.Last == 0:
		switch {
		case r.Window.To.IsZero():
			n = fmt.Sprintf("time window: from %s (inclusive), no end", ts(r.Window.From))
		case r.Window.From.IsZero():
			n = fmt.Sprintf("time window: before %s (exclusive), no start", ts(r.Window.To))
		default:
			n = fmt.Sprintf("time window: %s (inclusive) to %s (exclusive)", ts(r.Window.From), ts(r.Window.To))
		}
	case !r.Spec.Anchor.IsZero():
		n = fmt.Sprintf("time window: --last %s up to --now %s: %s to %s, both inclusive",
			FormatLast(r.Spec.Last), ts(r.Spec.Anchor), ts(r.Window.From), ts(r.Spec.Anchor))
	case r.Window.IsZero():
		n = fmt.Sprintf("time window: --last %s up to the newest event, but no event had a timestamp: nothing was left out", FormatLast(r.Spec.Last))
	default:
		n = fmt.Sprintf("time window: --last %s up to the newest event in the input, %s (pin it with --now): %s to %s, both inclusive; "+
			"that anchor is known only once every event is read, so the rules saw every event and %d hits outside the window were dropped",
			FormatLast(r.Spec.Last), ts(r.Counts.Newest), ts(r.Window.From), ts(r.Counts.Newest), r.HitsDropped)
	}
	if r.Spec.Fixed() {
		n += fmt.Sprintf("; rules saw only the events in it: %d events outside it were read and not hunted (%d before, %d after)",
			r.Before+r.After, r.Before, r.After)
	}
	notes := []string{n}
	if r.NoTime > 0 {
		notes = append(notes, fmt.Sprintf("time window: %d events without a timestamp were hunted (a window never drops them)", r.NoTime))
	}
	return notes
}
