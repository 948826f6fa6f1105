package sigmahunt

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/sigma"
	"github.com/loghunt/loghunt/parsers"
)

// correlationRun keeps the matches that feed correlation rules during the
// parallel pass, then replays them to a sigma.Correlator in time order, so
// correlations see every input file of the run as one stream.
type correlationRun struct {
	rs    *sigma.Ruleset
	rules map[*sigma.Rule]*hunt.Rule
	// fields are the (lower-cased) event fields correlations read; only
	// those are kept of each event, so a run that keeps many matches stays
	// small.
	fields map[string]bool

	mu    sync.Mutex
	items []corrItem
	stats sigma.CorrelatorStats
}

type corrItem struct {
	m  *sigma.Match
	ev *parsers.Event
}

// newCorrelationRun returns nil when no correlation rule is loaded.
func newCorrelationRun(rs *sigma.Ruleset, rules map[*sigma.Rule]*hunt.Rule) *correlationRun {
	if !rs.HasCorrelations() {
		return nil
	}
	return &correlationRun{rs: rs, rules: rules, fields: rs.CorrelationFields()}
}

func (c *correlationRun) observe(m *sigma.Match, ev *parsers.Event) {
	if !c.rs.FeedsCorrelation(m.Rule) {
		return
	}
	// Only the fields correlations read are kept, copied out of the
	// parser's memory (Clone).
	sel := *ev
	sel.Fields = nil
	for _, f := range ev.Fields {
		if c.fields[strings.ToLower(f.Name)] {
			sel.Fields = append(sel.Fields, f)
		}
	}
	it := corrItem{m: m.Clone(), ev: sel.Clone()}
	c.mu.Lock()
	c.items = append(c.items, it)
	c.mu.Unlock()
}

// Finish implements hunt.Finisher: it runs the correlations and emits a hit
// per firing, as the correlator finds them.
func (e *Engine) Finish(_ context.Context, emitHit func(*hunt.Hit) error) error {
	c := e.correlator
	if c == nil {
		return nil
	}
	slices.SortStableFunc(c.items, func(a, b corrItem) int {
		return cmp.Or(a.ev.Time.Compare(b.ev.Time),
			strings.Compare(a.ev.Source.Path, b.ev.Source.Path),
			cmp.Compare(a.ev.Source.Offset, b.ev.Source.Offset),
			cmp.Compare(a.ev.Source.Line, b.ev.Source.Line),
			strings.Compare(a.m.Rule.ID, b.m.Rule.ID))
	})
	var err error // the first from emitHit; no hit is emitted after it
	emit := func(h *sigma.CorrelationHit) {
		if r := c.rules[h.Rule]; r != nil && err == nil {
			err = emitHit(correlationHit(r, h))
		}
	}
	cor := c.rs.NewCorrelator()
	for _, it := range c.items {
		cor.Observe(it.m, it.ev, emit)
	}
	cor.Flush(emit)
	c.stats = cor.Stats()
	c.items = nil
	return err
}

// correlationHit turns a correlation firing into a hit. Its Event stands
// for the first contributing event (where to start looking), Related lists
// all of them, and Row says what fired: type, count, value and window.
func correlationHit(r *hunt.Rule, h *sigma.CorrelationHit) *hunt.Hit {
	hit := &hunt.Hit{Rule: r, Time: h.Last}
	for _, g := range h.Group {
		hit.Matched = append(hit.Matched, hunt.Matched{Search: "group-by", Field: g.Field, Value: g.Value})
	}
	hit.Row = []hunt.Cell{
		{Name: "correlation", Value: h.Type.String()},
		{Name: "count", Value: strconv.Itoa(h.Count)},
		{Name: "value", Value: strconv.FormatFloat(h.Value, 'g', -1, 64)},
		{Name: "first", Value: h.First.UTC().Format("2006-01-02T15:04:05.9999999Z07:00")},
		{Name: "last", Value: h.Last.UTC().Format("2006-01-02T15:04:05.9999999Z07:00")},
	}
	for _, ref := range h.Events {
		ev := &parsers.Event{Time: ref.Time, Computer: ref.Computer, Channel: ref.Channel,
			EventID: ref.EventID, RecordID: ref.RecordID, Source: ref.Source}
		ev.Add("rule", ref.RuleID)
		hit.Related = append(hit.Related, ev)
	}
	if len(hit.Related) > 0 {
		first := *hit.Related[0]
		first.Fields = nil
		for _, c := range hit.Row {
			first.Add(c.Name, c.Value)
		}
		for _, g := range h.Group {
			first.Add(g.Field, g.Value)
		}
		first.Time = h.Last
		hit.Event = &first
	}
	return hit
}

// CorrelationStats returns what the correlator could not use, for the
// summary; false when no correlation rule is loaded.
func (e *Engine) CorrelationStats() (sigma.CorrelatorStats, bool) {
	if e.correlator == nil {
		return sigma.CorrelatorStats{}, false
	}
	return e.correlator.stats, true
}
