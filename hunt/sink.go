package hunt

import (
	"errors"
	"slices"
	"strings"
	"sync"
)

// HitSink receives the hits of a run, after the filters.
//
// The engine calls WriteHit from its worker goroutines, several at once, for
// the hits of the per-event matchers, in no particular order: a sink must be
// safe for concurrent use, and a sink that needs the canonical order sorts
// (see SortingSink). The hits of one event come one after the other from one
// goroutine, in the order the matchers emitted them. Once every worker is
// done, the finishers' hits follow from the goroutine that called Run.
//
// Close means the run is complete: every hit has been sent, none will
// follow. Run calls it once, from its own goroutine, after the last WriteHit
// and only when the run succeeded; when Run returns an error, the hits sent
// so far are an incomplete set and the sink is not closed by the engine.
//
// An error from WriteHit or Close stops the run, and Run returns it. The
// sink may keep the hits it is given; they are not reused.
type HitSink interface {
	WriteHit(h *Hit) error
	Close() error
}

// HitFilter decides which hits reach the sink. The engine asks every filter
// of Options.Filters, in order, about each hit of the matchers and the
// finishers; a hit goes on only if every filter keeps it. Keep is called
// from many goroutines at once (as WriteHit is) and must not modify the hit.
// Tuning exclusions and time windows are filters.
type HitFilter interface {
	Keep(h *Hit) bool
}

// HitFilterFunc adapts a function to a HitFilter.
type HitFilterFunc func(h *Hit) bool

// Keep implements HitFilter.
func (f HitFilterFunc) Keep(h *Hit) bool { return f(h) }

// FuncSink adapts a function to a HitSink whose Close does nothing: the
// last stage of a chain of sinks. A nil FuncSink drops every hit.
type FuncSink func(h *Hit) error

// WriteHit implements HitSink.
func (f FuncSink) WriteHit(h *Hit) error {
	if f == nil {
		return nil
	}
	return f(h)
}

// Close implements HitSink.
func (f FuncSink) Close() error { return nil }

// SortingSink is a HitSink that keeps every hit in memory and, on Close,
// sorts them into the canonical order (SortHits) and passes them, in that
// order, to its forward function from the goroutine that calls Close. So the
// output is the same for any number of workers. Hits that compare equal stay
// in the order they arrived.
//
// It holds every hit until Close: it is for small runs and tests. The hunt
// command's sink is hunt/spill's, which keeps the hits encoded within a
// memory budget and spills sorted runs to disk, in the same order.
type SortingSink struct {
	next HitSink

	mu     sync.Mutex
	hits   []*Hit
	closed bool
}

// NewSortingSink returns a SortingSink that forwards the sorted hits to
// forward, which may be nil to drop them.
func NewSortingSink(forward func(*Hit) error) *SortingSink {
	return &SortingSink{next: FuncSink(forward)}
}

// WriteHit implements HitSink.
func (s *SortingSink) WriteHit(h *Hit) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errSinkClosed
	}
	s.hits = append(s.hits, h)
	s.mu.Unlock()
	return nil
}

// Close implements HitSink: it sorts the hits and forwards them, stopping at
// the first error forward returns. The memory of the hits is released.
func (s *SortingSink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errSinkClosed
	}
	s.closed = true
	hits := s.hits
	s.hits = nil
	s.mu.Unlock()

	if s.next == nil {
		return nil
	}
	SortHits(hits)
	for i, h := range hits {
		if err := s.next.WriteHit(h); err != nil {
			return err
		}
		hits[i] = nil // let the forwarded hits go
	}
	return s.next.Close()
}

// NewMergingSink returns a SortingSink that also merges the hits of one
// detection on one event, as a DetectionMerger does, before forward.
func NewMergingSink(forward func(*Hit) error) *SortingSink {
	return &SortingSink{next: NewDetectionMerger(FuncSink(forward))}
}

// DetectionMerger is the stage after a sorter that merges the hits of one
// detection on one event: in a stream of hits in the canonical order, hits
// whose rules have the same DetectionKey (a Sigma rule and its KQL twin)
// on the same event (same time, source path, offset, line and record)
// become one hit, passed on once to next. The merged hit is the first of
// them in the canonical order (the one on the event rather than a result
// row, so it carries the event's fields and matched values), with Engines
// listing every engine that flagged the event, and a Rule whose Engine
// names them all ("sigma,kql"); where the forms' titles or levels differ,
// the first form's win. Hits without an event source (correlations, KQL
// rows built anew) are never merged.
//
// It holds one group of hits at a time. It is not safe for concurrent
// use: it sits after a sorter, which calls it from one goroutine. Close
// passes the last group on and closes next.
type DetectionMerger struct {
	next  HitSink
	group []*Hit
	rules map[mergedKey]*Rule // the Rule of each merged engine list
}

// NewDetectionMerger returns a DetectionMerger passing the merged hits on
// to next.
func NewDetectionMerger(next HitSink) *DetectionMerger {
	return &DetectionMerger{next: next, rules: map[mergedKey]*Rule{}}
}

// WriteHit implements HitSink.
func (m *DetectionMerger) WriteHit(h *Hit) error {
	if len(m.group) > 0 && !sameDetection(m.group[0], h) {
		if err := m.flush(); err != nil {
			return err
		}
	}
	m.group = append(m.group, h)
	return nil
}

// Close implements HitSink.
func (m *DetectionMerger) Close() error {
	if err := m.flush(); err != nil {
		return err
	}
	return m.next.Close()
}

func (m *DetectionMerger) flush() error {
	if len(m.group) == 0 {
		return nil
	}
	h := m.group[0]
	if len(m.group) > 1 {
		h = m.merged(m.group)
	}
	clear(m.group)
	m.group = m.group[:0]
	return m.next.WriteHit(h)
}

// sameDetection reports whether b is a hit of a's detection on a's event.
// The canonical order puts such hits next to each other.
func sameDetection(a, b *Hit) bool {
	if a.Event == nil || b.Event == nil || a.Event.Source.Path == "" || a.Suppressed != b.Suppressed {
		return false
	}
	sa, sb := a.Event.Source, b.Event.Source
	return a.Rule.DetectionKey() == b.Rule.DetectionKey() && a.Time.Equal(b.Time) &&
		sa.Path == sb.Path && compareSpot(sa, sb) == 0 && a.Event.RecordID == b.Event.RecordID
}

type mergedKey struct {
	rule    *Rule
	engines string
}

// merged folds hits (of one detection on one event, in canonical order)
// into a copy of the first, listing their engines.
func (m *DetectionMerger) merged(hits []*Hit) *Hit {
	first := hits[0]
	var engines []string
	for _, h := range hits {
		for _, e := range h.EngineList() {
			if !slices.Contains(engines, e) {
				engines = append(engines, e)
			}
		}
	}
	if len(engines) == 1 {
		return first // one engine: duplicates of one form
	}
	k := mergedKey{first.Rule, strings.Join(engines, ",")}
	r, ok := m.rules[k]
	if !ok {
		c := *first.Rule
		c.Engine = k.engines
		r = &c
		m.rules[k] = r
	}
	c := *first
	c.Rule, c.Engines = r, engines
	return &c
}

var errSinkClosed = errors.New("hunt: hit sink used after Close")
