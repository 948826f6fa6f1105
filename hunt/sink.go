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

// SortingSink is a HitSink that keeps every hit in memory and, on Close,
// sorts them into the canonical order (SortHits) and passes them, in that
// order, to its forward function from the goroutine that calls Close. So the
// output is the same for any number of workers. Hits that compare equal stay
// in the order they arrived.
//
// It holds every hit until Close; a sink that spills to disk can replace it
// without changing the engine.
type SortingSink struct {
	forward func(*Hit) error
	merge   bool
	rules   map[mergedKey]*Rule // the Rule of each merged engine list

	mu     sync.Mutex
	hits   []*Hit
	closed bool
}

// NewSortingSink returns a SortingSink that forwards the sorted hits to
// forward, which may be nil to drop them.
func NewSortingSink(forward func(*Hit) error) *SortingSink {
	return &SortingSink{forward: forward}
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

	SortHits(hits)
	if s.forward == nil {
		return nil
	}
	for i := 0; i < len(hits); {
		h := hits[i]
		j := i + 1
		if s.merge {
			for j < len(hits) && sameDetection(h, hits[j]) {
				j++
			}
			if j > i+1 {
				h = s.merged(hits[i:j])
			}
		}
		if err := s.forward(h); err != nil {
			return err
		}
		clear(hits[i:j]) // let the forwarded hits go
		i = j
	}
	return nil
}

// NewMergingSink returns a SortingSink that also merges the hits of one
// detection on one event: hits whose rules have the same DetectionKey
// (a Sigma rule and its KQL twin) on the same event (same time, source
// path, offset, line and record) become one hit, passed on once. The
// merged hit is the first of them in the canonical order (the one on the
// event rather than a result row, so it carries the event's fields and
// matched values), with Engines listing every engine that flagged the
// event, and a Rule whose Engine names them all ("sigma,kql"); where the
// forms' titles or levels differ, the first form's win. Hits without an
// event source (correlations, KQL rows built anew) are never merged.
func NewMergingSink(forward func(*Hit) error) *SortingSink {
	return &SortingSink{forward: forward, merge: true, rules: map[mergedKey]*Rule{}}
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
func (s *SortingSink) merged(hits []*Hit) *Hit {
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
	r, ok := s.rules[k]
	if !ok {
		c := *first.Rule
		c.Engine = k.engines
		r = &c
		s.rules[k] = r
	}
	m := *first
	m.Rule, m.Engines = r, engines
	return &m
}

var errSinkClosed = errors.New("hunt: hit sink used after Close")
