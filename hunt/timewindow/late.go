package timewindow

import (
	"github.com/loghunt/loghunt/hunt"
)

// Late returns the sink for a Spec that is not Fixed, for a place in the
// output stage where hits come only once every event has been read: behind
// a sorter (hunt/spill), which passes hits on when it is closed. Unlike
// Hold it keeps nothing: it resolves the window from the newest event the
// tally saw at its first hit (or Close), passes on to next (nil drops
// them) the hits in it and those without a timestamp, in the order they
// come, and closes next. It is not safe for concurrent use: a sorter calls
// it from one goroutine.
func (t *Tally) Late(next hunt.HitSink) *LateSink {
	return &LateSink{tally: t, next: next, dropped: map[*hunt.Rule]int{}}
}

// LateSink is the hunt.HitSink Tally.Late returns.
type LateSink struct {
	tally    *Tally
	next     hunt.HitSink
	win      Window
	resolved bool
	dropped  map[*hunt.Rule]int
	total    int
}

func (s *LateSink) window() Window {
	if !s.resolved {
		s.win, s.resolved = s.tally.Window(), true
	}
	return s.win
}

// WriteHit implements hunt.HitSink.
func (s *LateSink) WriteHit(h *hunt.Hit) error {
	if !s.window().Keep(h) {
		s.dropped[h.Rule]++
		s.total++
		return nil
	}
	if s.next == nil {
		return nil
	}
	return s.next.WriteHit(h)
}

// Close implements hunt.HitSink.
func (s *LateSink) Close() error {
	s.window()
	if s.next == nil {
		return nil
	}
	return s.next.Close()
}

// Dropped returns, after Close, the number of hits outside the window per
// rule, and their total.
func (s *LateSink) Dropped() (map[*hunt.Rule]int, int) { return s.dropped, s.total }
