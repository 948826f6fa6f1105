package hunt

import (
	"errors"
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
	for i, h := range hits {
		if err := s.forward(h); err != nil {
			return err
		}
		hits[i] = nil // let the forwarded hit go
	}
	return nil
}

var errSinkClosed = errors.New("hunt: hit sink used after Close")
