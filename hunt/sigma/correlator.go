package sigma

import (
	"sort"
	"strings"
	"time"

	"github.com/loghunt/loghunt/parsers"
)

// EventRef identifies one event that contributed to a correlation hit.
type EventRef struct {
	RuleID   string // the base rule (or inner correlation) that matched
	Time     time.Time
	Computer string
	Channel  string
	EventID  uint32
	RecordID uint64
	Source   parsers.Source
}

// CorrelationHit is one firing of a correlation rule.
type CorrelationHit struct {
	Rule *Rule // the correlation rule
	Type CorrelationType
	// Group holds the group-by fields (or aliases) and their values.
	Group []FieldValue
	// First and Last bound the contributing events; Last-First never
	// exceeds the timespan.
	First, Last time.Time
	// Count is the number of contributing events; Value is the number the
	// condition tested (the count, distinct count, sum, average, or
	// percentage).
	Count int
	Value float64
	// Events lists contributing events, oldest first, at most
	// MaxHitEvents of them (the first ones).
	Events []EventRef
}

// MaxHitEvents caps CorrelationHit.Events.
const MaxHitEvents = 64

// maxWindowItems caps the events one group of one correlation keeps; past
// it the oldest are dropped (and counted in CorrelatorStats.Dropped), so a
// flood of matches cannot exhaust memory.
const maxWindowItems = 1 << 16

// CorrelatorStats accounts for what a Correlator could not use.
type CorrelatorStats struct {
	NoTime  int64 // matches of events without a timestamp, ignored
	NotNum  int64 // value_sum/avg events whose field was not a number
	Dropped int64 // window items dropped at maxWindowItems
	Groups  int   // groups alive now
}

type winItem struct {
	t   time.Time
	ref int // index in correlation.refs
	val string
	num float64
	ev  EventRef
}

// window is the state of one group of one correlation: the events of the
// last timespan, with incremental aggregates.
type window struct {
	items    []winItem
	head     int // items[head:] are live
	group    []FieldValue
	distinct map[string]int
	refCount []int
	refsSeen int
	sum      float64
}

func (w *window) live() []winItem { return w.items[w.head:] }

func (w *window) push(c *correlation, it winItem) {
	w.items = append(w.items, it)
	switch c.typ {
	case ValueCount, ValuePercentile:
		if w.distinct == nil {
			w.distinct = map[string]int{}
		}
		w.distinct[it.val]++
	case ValueSum, ValueAvg:
		w.sum += it.num
	case Temporal, TemporalOrdered:
		if w.refCount[it.ref] == 0 {
			w.refsSeen++
		}
		w.refCount[it.ref]++
	}
}

func (w *window) popOldest(c *correlation) {
	it := w.items[w.head]
	w.items[w.head] = winItem{}
	w.head++
	switch c.typ {
	case ValueCount, ValuePercentile:
		if w.distinct[it.val]--; w.distinct[it.val] <= 0 {
			delete(w.distinct, it.val)
		}
	case ValueSum, ValueAvg:
		w.sum -= it.num
	case Temporal, TemporalOrdered:
		if w.refCount[it.ref]--; w.refCount[it.ref] == 0 {
			w.refsSeen--
		}
	}
	// Compact when half the slice is dead.
	if w.head > 32 && w.head*2 > len(w.items) {
		n := copy(w.items, w.items[w.head:])
		clear(w.items[n:])
		w.items = w.items[:n]
		w.head = 0
	}
}

func (w *window) reset(c *correlation) {
	clear(w.items)
	w.items = w.items[:0]
	w.head = 0
	w.distinct = nil
	w.sum = 0
	w.refsSeen = 0
	clear(w.refCount)
}

// value computes the aggregate the condition tests. For value_percentile
// it is the share (in percent) of window events whose value equals that
// of the window's oldest event.
func (w *window) value(c *correlation) (float64, bool) {
	live := w.live()
	n := len(live)
	if n == 0 {
		return 0, false
	}
	switch c.typ {
	case EventCount:
		return float64(n), true
	case ValueCount:
		return float64(len(w.distinct)), true
	case ValueSum:
		return w.sum, true
	case ValueAvg:
		return w.sum / float64(n), true
	case ValuePercentile:
		return 100 * float64(w.distinct[live[0].val]) / float64(n), true
	case Temporal:
		return float64(w.refsSeen), true
	case TemporalOrdered:
		// Longest prefix of refs found in order (greedy subsequence).
		next := 0
		for _, it := range live {
			if next < len(c.refs) && it.ref == next {
				next++
			}
		}
		return float64(next), true
	}
	return 0, false
}

type corrState struct {
	c      *correlation
	groups map[string]*window
}

// consumer says which correlation consumes matches of a rule, and as which
// of its refs.
type consumer struct {
	state *corrState
	ref   int
}

// Correlator evaluates correlation rules over base-rule matches. Feed it
// every Match (including rules with Generate == false) in timestamp order
// across all inputs of a run, then call Flush. A Correlator is not safe for
// concurrent use.
//
// Windows slide: a hit is an instant when the events of the last timespan
// (inclusive: an event exactly timespan after the first still counts) of
// one group satisfy the condition. After a hit the group starts afresh, so
// one burst gives one hit. Conditions that bound the value from above (lt,
// lte, eq, neq) are decided when a window closes: when its oldest event
// falls out of the timespan, or at Flush. Memory is bounded: a group's
// events older than the timespan are dropped as time advances, and idle
// groups are swept.
type Correlator struct {
	rs        *Ruleset
	states    []*corrState
	consumers map[*Rule][]consumer
	now       time.Time
	lastSweep time.Time
	maxSpan   time.Duration
	stats     CorrelatorStats
}

// NewCorrelator returns a Correlator for the ruleset's correlation rules.
func (rs *Ruleset) NewCorrelator() *Correlator {
	c := &Correlator{rs: rs, consumers: map[*Rule][]consumer{}}
	for _, cr := range rs.corrs {
		st := &corrState{c: cr, groups: map[string]*window{}}
		c.states = append(c.states, st)
		for i, r := range cr.refs {
			c.consumers[r] = append(c.consumers[r], consumer{st, i})
		}
		c.maxSpan = max(c.maxSpan, cr.timespan)
	}
	return c
}

// HasCorrelations reports whether the ruleset has any correlation rule, so
// callers can skip feeding a Correlator.
func (rs *Ruleset) HasCorrelations() bool { return len(rs.corrs) > 0 }

// Stats returns what the Correlator has ignored or dropped so far.
func (c *Correlator) Stats() CorrelatorStats {
	s := c.stats
	for _, st := range c.states {
		s.Groups += len(st.groups)
	}
	return s
}

// Observe feeds one match of a base rule for event ev. emit receives each
// correlation hit of a rule with Generate set; hits of inner correlations
// of a chain feed the outer ones without being emitted. The Match and
// event are not retained, but strings read from ev are (host, channel,
// group-by and counted values): pass an event whose memory stays valid,
// such as a parsers.Event.Clone, not a parser's event during its emit call.
func (c *Correlator) Observe(m *Match, ev *parsers.Event, emit func(*CorrelationHit)) {
	if len(c.consumers[m.Rule]) == 0 {
		return
	}
	if ev.Time.IsZero() {
		c.stats.NoTime++
		return
	}
	t := ev.Time
	if t.After(c.now) {
		c.now = t
	}
	c.feed(m.Rule, ev, t, emit, 0)
	if c.now.Sub(c.lastSweep) > c.maxSpan {
		c.sweep(emit)
		c.lastSweep = c.now
	}
}

func (c *Correlator) feed(r *Rule, ev *parsers.Event, t time.Time, emit func(*CorrelationHit), depth int) {
	if depth > 32 {
		return
	}
	for _, cons := range c.consumers[r] {
		st, cr := cons.state, cons.state.c
		group, key := c.groupOf(cr, r, ev)
		w := st.groups[key]
		if w == nil {
			w = &window{group: group}
			if cr.typ == Temporal || cr.typ == TemporalOrdered {
				w.refCount = make([]int, len(cr.refs))
			}
			st.groups[key] = w
		}
		it := winItem{t: t, ref: cons.ref, ev: EventRef{RuleID: ruleRef(r), Time: t, Computer: ev.Computer, Channel: ev.Channel, EventID: ev.EventID, RecordID: ev.RecordID, Source: ev.Source}}
		switch cr.typ {
		case ValueCount, ValuePercentile:
			v, ok := fieldOf(ev, cr.field)
			if !ok {
				continue // a value_count counts values; no value, no count
			}
			it.val = v
		case ValueSum, ValueAvg:
			v, _ := fieldOf(ev, cr.field)
			n, ok := parseNumber(v)
			if !ok {
				c.stats.NotNum++
				continue
			}
			it.num = n
		}
		// Close windows whose oldest event is now out of the timespan.
		for len(w.live()) > 0 && t.Sub(w.live()[0].t) > cr.timespan {
			if cr.upper && c.check(st, w, emit, depth) {
				continue // hit emitted, window reset
			}
			w.popOldest(cr)
		}
		if len(w.live()) >= maxWindowItems {
			w.popOldest(cr)
			c.stats.Dropped++
		}
		w.push(cr, it)
		if !cr.upper {
			c.check(st, w, emit, depth)
		}
	}
}

// check tests the window's condition and, on a hit, emits it (or feeds it
// to outer correlations) and resets the window.
func (c *Correlator) check(st *corrState, w *window, emit func(*CorrelationHit), depth int) bool {
	cr := st.c
	v, ok := w.value(cr)
	if !ok {
		return false
	}
	for _, cond := range cr.conds {
		if !cond.test(v) {
			return false
		}
	}
	live := w.live()
	hit := &CorrelationHit{Rule: cr.rule, Type: cr.typ, Group: w.group, First: live[0].t, Last: live[len(live)-1].t, Count: len(live), Value: v}
	for i := 0; i < len(live) && i < MaxHitEvents; i++ {
		hit.Events = append(hit.Events, live[i].ev)
	}
	last := live[len(live)-1]
	w.reset(cr)
	if cr.rule.Generate && emit != nil {
		emit(hit)
	}
	if len(c.consumers[cr.rule]) > 0 {
		// Chain: the hit is an event for outer correlations, at the time
		// of its last event, grouped by that event's fields.
		ev := &parsers.Event{Time: last.t, Computer: last.ev.Computer, Channel: last.ev.Channel, EventID: last.ev.EventID, RecordID: last.ev.RecordID, Source: last.ev.Source, Fields: append([]parsers.Field(nil), fieldsOf(hit.Group)...)}
		c.feed(cr.rule, ev, last.t, emit, depth+1)
	}
	return true
}

func fieldsOf(g []FieldValue) []parsers.Field {
	out := make([]parsers.Field, len(g))
	for i, f := range g {
		out[i] = parsers.Field{Name: f.Field, Value: f.Value}
	}
	return out
}

func ruleRef(r *Rule) string {
	if r.ID != "" {
		return r.ID
	}
	return r.Name
}

// groupOf returns the group-by values of ev for correlation cr (resolving
// aliases for rule r) and their key. A missing field groups as "".
func (c *Correlator) groupOf(cr *correlation, r *Rule, ev *parsers.Event) ([]FieldValue, string) {
	if len(cr.groupBy) == 0 {
		return nil, ""
	}
	g := make([]FieldValue, len(cr.groupBy))
	var key strings.Builder
	for i, name := range cr.groupBy {
		field := name
		if a, ok := cr.aliases[name]; ok {
			if f, ok := a[r]; ok {
				field = f
			}
		}
		v, _ := fieldOf(ev, field)
		g[i] = FieldValue{Field: name, Value: v}
		key.WriteString(v)
		key.WriteByte(0)
	}
	return g, key.String()
}

// fieldOf reads a field of an event by Sigma name: exact, then
// case-insensitive, then the typed core fields.
func fieldOf(ev *parsers.Event, name string) (string, bool) {
	if v, ok := ev.Get(name); ok {
		return v, true
	}
	for i := range ev.Fields {
		if strings.EqualFold(ev.Fields[i].Name, name) {
			return ev.Fields[i].Value, true
		}
	}
	switch strings.ToLower(name) {
	case "computer", "computername", "hostname":
		return ev.Computer, ev.Computer != ""
	case "channel":
		return ev.Channel, ev.Channel != ""
	}
	return "", false
}

// sweep closes every window whose newest event is older than the
// timespan, deciding upper-bounded conditions, and frees idle groups.
func (c *Correlator) sweep(emit func(*CorrelationHit)) {
	for _, st := range c.states {
		for _, key := range sortedKeys(st.groups) {
			w := st.groups[key]
			live := w.live()
			if len(live) > 0 && c.now.Sub(live[len(live)-1].t) <= st.c.timespan {
				continue
			}
			c.drain(st, w, emit)
			delete(st.groups, key)
		}
	}
}

// drain decides an upper-bounded condition for every window still open in
// w (oldest first).
func (c *Correlator) drain(st *corrState, w *window, emit func(*CorrelationHit)) {
	if !st.c.upper {
		return
	}
	for len(w.live()) > 0 {
		if c.check(st, w, emit, 0) {
			return
		}
		w.popOldest(st.c)
	}
}

// Flush decides every window still open (the end of the input closes
// them) and releases all state. Hits come in correlation order, then group
// key order.
func (c *Correlator) Flush(emit func(*CorrelationHit)) {
	for _, st := range c.states {
		keys := make([]string, 0, len(st.groups))
		for k := range st.groups {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c.drain(st, st.groups[k], emit)
		}
		clear(st.groups)
	}
}
