package sigma

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/parsers"
)

// baseRules: rule_a fires on Security EventID 1, rule_b on EventID 2.
const baseRules = `title: base a
id: base-a
name: rule_a
logsource: {product: windows, service: security}
detection:
  s:
    EventID: 1
  condition: s
---
title: base b
id: base-b
name: rule_b
logsource: {product: windows, service: security}
detection:
  s:
    EventID: 2
  condition: s
`

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// sev is a Security event at offset off with EventID id and extra fields.
func sev(off time.Duration, id int, kv ...string) *parsers.Event {
	e := ev("Security", uint32(id), append([]string{"EventID", fmt.Sprint(id)}, kv...)...)
	e.Time = t0.Add(off)
	return e
}

// runCorrelation loads base rules plus one correlation document and feeds
// the events; it returns the hits.
func runCorrelation(t *testing.T, corr string, events []*parsers.Event) []*CorrelationHit {
	t.Helper()
	l := NewLoader(LoadOptions{})
	l.AddBytes("c.yml", []byte(baseRules+"---\n"+corr))
	rs, rep := l.Compile()
	if len(rep.Failed) > 0 {
		t.Fatalf("load: %v", rep.Failed)
	}
	c := rs.NewCorrelator()
	var out []*CorrelationHit
	emit := func(h *CorrelationHit) { out = append(out, h) }
	for _, e := range events {
		rs.Match(e, func(m *Match) { c.Observe(m, e, emit) })
	}
	c.Flush(emit)
	return out
}

const ms = time.Millisecond

func TestCorrelationTypes(t *testing.T) {
	span := 10 * time.Second
	just := span + ms // just outside
	cases := []struct {
		name   string
		corr   string
		events []*parsers.Event
		want   int
	}{
		{"event_count inside", "title: c\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  group-by: [User]\n  timespan: 10s\n  condition: {gte: 3}\n",
			[]*parsers.Event{sev(0, 1, "User", "u"), sev(5*time.Second, 1, "User", "u"), sev(span, 1, "User", "u")}, 1},
		{"event_count outside", "title: c\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  group-by: [User]\n  timespan: 10s\n  condition: {gte: 3}\n",
			[]*parsers.Event{sev(0, 1, "User", "u"), sev(5*time.Second, 1, "User", "u"), sev(just, 1, "User", "u")}, 0},
		{"event_count other group", "title: c\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  group-by: [User]\n  timespan: 10s\n  condition: {gte: 3}\n",
			[]*parsers.Event{sev(0, 1, "User", "u"), sev(5*time.Second, 1, "User", "v"), sev(span, 1, "User", "u")}, 0},
		{"event_count eq decided at close inside", "title: c\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  timespan: 10s\n  condition: {eq: 2}\n",
			[]*parsers.Event{sev(0, 1), sev(span, 1)}, 1},
		{"event_count eq decided at close outside", "title: c\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  timespan: 10s\n  condition: {eq: 2}\n",
			[]*parsers.Event{sev(0, 1), sev(just, 1)}, 0},
		{"value_count inside", "title: c\ncorrelation:\n  type: value_count\n  rules: [rule_a]\n  group-by: [Src]\n  timespan: 10s\n  condition: {field: Target, gte: 3}\n",
			[]*parsers.Event{sev(0, 1, "Src", "s", "Target", "x"), sev(ms, 1, "Src", "s", "Target", "x"), sev(2*ms, 1, "Src", "s", "Target", "y"), sev(span, 1, "Src", "s", "Target", "z")}, 1},
		{"value_count outside", "title: c\ncorrelation:\n  type: value_count\n  rules: [rule_a]\n  group-by: [Src]\n  timespan: 10s\n  condition: {field: Target, gte: 3}\n",
			[]*parsers.Event{sev(0, 1, "Src", "s", "Target", "x"), sev(2*ms, 1, "Src", "s", "Target", "y"), sev(just, 1, "Src", "s", "Target", "z")}, 0},
		{"value_count duplicates", "title: c\ncorrelation:\n  type: value_count\n  rules: [rule_a]\n  group-by: [Src]\n  timespan: 10s\n  condition: {field: Target, gte: 3}\n",
			[]*parsers.Event{sev(0, 1, "Src", "s", "Target", "x"), sev(ms, 1, "Src", "s", "Target", "y"), sev(2*ms, 1, "Src", "s", "Target", "y")}, 0},
		{"temporal inside", "title: c\ncorrelation:\n  type: temporal\n  rules: [rule_a, rule_b]\n  group-by: [User]\n  timespan: 10s\n",
			[]*parsers.Event{sev(0, 2, "User", "u"), sev(span, 1, "User", "u")}, 1},
		{"temporal outside", "title: c\ncorrelation:\n  type: temporal\n  rules: [rule_a, rule_b]\n  group-by: [User]\n  timespan: 10s\n",
			[]*parsers.Event{sev(0, 2, "User", "u"), sev(just, 1, "User", "u")}, 0},
		{"temporal_ordered inside", "title: c\ncorrelation:\n  type: temporal_ordered\n  rules: [rule_a, rule_b]\n  group-by: [User]\n  timespan: 10s\n",
			[]*parsers.Event{sev(0, 1, "User", "u"), sev(span, 2, "User", "u")}, 1},
		{"temporal_ordered outside", "title: c\ncorrelation:\n  type: temporal_ordered\n  rules: [rule_a, rule_b]\n  group-by: [User]\n  timespan: 10s\n",
			[]*parsers.Event{sev(0, 1, "User", "u"), sev(just, 2, "User", "u")}, 0},
		{"temporal_ordered wrong order", "title: c\ncorrelation:\n  type: temporal_ordered\n  rules: [rule_a, rule_b]\n  group-by: [User]\n  timespan: 10s\n",
			[]*parsers.Event{sev(0, 2, "User", "u"), sev(time.Second, 1, "User", "u")}, 0},
		{"value_sum inside", "title: c\ncorrelation:\n  type: value_sum\n  rules: [rule_a]\n  group-by: [Src]\n  timespan: 10s\n  condition: {field: Bytes, gt: 100}\n",
			[]*parsers.Event{sev(0, 1, "Src", "s", "Bytes", "60"), sev(span, 1, "Src", "s", "Bytes", "50")}, 1},
		{"value_sum outside", "title: c\ncorrelation:\n  type: value_sum\n  rules: [rule_a]\n  group-by: [Src]\n  timespan: 10s\n  condition: {field: Bytes, gt: 100}\n",
			[]*parsers.Event{sev(0, 1, "Src", "s", "Bytes", "60"), sev(just, 1, "Src", "s", "Bytes", "50")}, 0},
		{"value_avg inside", "title: c\ncorrelation:\n  type: value_avg\n  rules: [rule_a]\n  timespan: 10s\n  condition: {field: Bytes, gt: 40, lt: 50}\n",
			[]*parsers.Event{sev(0, 1, "Bytes", "70"), sev(span, 1, "Bytes", "20")}, 1},
		{"value_avg outside", "title: c\ncorrelation:\n  type: value_avg\n  rules: [rule_a]\n  timespan: 10s\n  condition: {field: Bytes, gt: 40, lt: 50}\n",
			[]*parsers.Event{sev(0, 1, "Bytes", "70"), sev(just, 1, "Bytes", "20")}, 0},
		{"value_percentile inside", "title: c\ncorrelation:\n  type: value_percentile\n  rules: [rule_a]\n  timespan: 10s\n  condition: {field: Image, lt: 50}\n",
			[]*parsers.Event{sev(0, 1, "Image", "rare"), sev(5*time.Second, 1, "Image", "common"), sev(span, 1, "Image", "common")}, 1},
		{"value_percentile outside", "title: c\ncorrelation:\n  type: value_percentile\n  rules: [rule_a]\n  timespan: 10s\n  condition: {field: Image, lt: 50}\n",
			[]*parsers.Event{sev(0, 1, "Image", "rare"), sev(5*time.Second, 1, "Image", "common"), sev(just, 1, "Image", "common")}, 0},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			hits := runCorrelation(t, tt.corr, tt.events)
			if len(hits) != tt.want {
				t.Fatalf("hits = %d, want %d: %+v", len(hits), tt.want, hits)
			}
			for _, h := range hits {
				if h.Last.Sub(h.First) > 10*time.Second {
					t.Errorf("hit spans %v, over the timespan", h.Last.Sub(h.First))
				}
			}
		})
	}
}

func TestCorrelationHitContents(t *testing.T) {
	corr := "title: many\nid: corr-1\nlevel: high\ncorrelation:\n  type: event_count\n  rules: [base-a]\n  group-by: [User]\n  timespan: 1m\n  condition: {gte: 2}\n"
	hits := runCorrelation(t, corr, []*parsers.Event{sev(0, 1, "User", "u"), sev(time.Second, 1, "User", "u"), sev(2*time.Second, 1, "User", "u")})
	if len(hits) != 1 {
		t.Fatalf("hits = %d, want 1 (one burst, one hit; the third event starts a new window)", len(hits))
	}
	h := hits[0]
	if h.Rule.ID != "corr-1" || h.Rule.Kind != KindCorrelation || h.Count != 2 || h.Value != 2 ||
		len(h.Group) != 1 || h.Group[0] != (FieldValue{"User", "u"}) || len(h.Events) != 2 || h.Events[0].RuleID != "base-a" ||
		!h.First.Equal(t0) || !h.Last.Equal(t0.Add(time.Second)) {
		t.Errorf("hit = %+v", h)
	}
}

func TestCorrelationAliasesAndChains(t *testing.T) {
	// Alias: rule_a's Src and rule_b's Dst are the same address.
	corr := `title: alias
correlation:
  type: temporal
  rules: [rule_a, rule_b]
  group-by: [ip]
  timespan: 1m
  aliases:
    ip:
      rule_a: Src
      rule_b: Dst
`
	if hits := runCorrelation(t, corr, []*parsers.Event{sev(0, 1, "Src", "10.0.0.1"), sev(time.Second, 2, "Dst", "10.0.0.1")}); len(hits) != 1 {
		t.Errorf("alias: hits = %d, want 1", len(hits))
	}
	if hits := runCorrelation(t, corr, []*parsers.Event{sev(0, 1, "Src", "10.0.0.1"), sev(time.Second, 2, "Dst", "10.0.0.2")}); len(hits) != 0 {
		t.Errorf("alias other ip: hits = %d, want 0", len(hits))
	}

	// Chain: three rule_a failures then rule_b success, same user.
	chain := `title: brute force then success
id: outer
correlation:
  type: temporal_ordered
  rules: [many_failed, rule_b]
  group-by: [User]
  timespan: 1m
---
title: many failed
id: inner
name: many_failed
correlation:
  type: event_count
  rules: [rule_a]
  group-by: [User]
  timespan: 1m
  condition: {gte: 3}
`
	l := NewLoader(LoadOptions{})
	l.AddBytes("c.yml", []byte(baseRules+"---\n"+chain))
	rs, rep := l.Compile()
	if len(rep.Failed) > 0 || rep.Correlation != 2 {
		t.Fatalf("load: %d correlations, failed %v", rep.Correlation, rep.Failed)
	}
	gen := map[string]bool{}
	for _, r := range rs.Rules() {
		gen[r.ID] = r.Generate
	}
	if gen["base-a"] || gen["base-b"] || gen["inner"] || !gen["outer"] {
		t.Errorf("generate flags = %v, want only outer", gen)
	}
	c := rs.NewCorrelator()
	var hits []*CorrelationHit
	emit := func(h *CorrelationHit) { hits = append(hits, h) }
	for i, e := range []*parsers.Event{sev(0, 1, "User", "u"), sev(time.Second, 1, "User", "u"), sev(2*time.Second, 1, "User", "u"), sev(3*time.Second, 2, "User", "u")} {
		_ = i
		rs.Match(e, func(m *Match) { c.Observe(m, e, emit) })
	}
	c.Flush(emit)
	if len(hits) != 1 || hits[0].Rule.ID != "outer" {
		t.Errorf("chain hits = %+v, want one of outer", hits)
	}
}

func TestCorrelationGenerateTrue(t *testing.T) {
	l := NewLoader(LoadOptions{})
	l.AddBytes("c.yml", []byte(baseRules+"---\ntitle: c\ngenerate: true\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  timespan: 1m\n  condition: {gte: 2}\n"))
	rs, _ := l.Compile()
	for _, r := range rs.Rules() {
		if !r.Generate {
			t.Errorf("%s: Generate false with generate: true", r.Title)
		}
	}
}

func TestCorrelationMemoryBounded(t *testing.T) {
	l := NewLoader(LoadOptions{})
	l.AddBytes("c.yml", []byte(baseRules+"---\ntitle: c\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  group-by: [User]\n  timespan: 10s\n  condition: {gte: 1000}\n"))
	rs, _ := l.Compile()
	c := rs.NewCorrelator()
	for i := 0; i < 5000; i++ {
		e := sev(time.Duration(i)*time.Second, 1, "User", fmt.Sprint("u", i))
		rs.Match(e, func(m *Match) { c.Observe(m, e, nil) })
	}
	if g := c.Stats().Groups; g > 30 {
		t.Errorf("%d groups alive after 5000 one-off users over 5000s with a 10s timespan", g)
	}
	e := &parsers.Event{Channel: "Security", EventID: 1, Fields: []parsers.Field{{Name: "EventID", Value: "1"}}}
	rs.Match(e, func(m *Match) { c.Observe(m, e, nil) })
	if c.Stats().NoTime != 1 {
		t.Errorf("event without time not counted: %+v", c.Stats())
	}
}

func TestLegacyAggregation(t *testing.T) {
	doc := "title: legacy\nid: leg\nlogsource: {product: windows, service: security}\ndetection:\n  s:\n    EventID: 1\n  timeframe: 10s\n  condition: s | count() by User > 2\n"
	l := NewLoader(LoadOptions{})
	l.AddBytes("l.yml", []byte(doc))
	rs, rep := l.Compile()
	if len(rep.Failed) > 0 {
		t.Fatalf("load: %v", rep.Failed)
	}
	run := func(last time.Duration) int {
		c := rs.NewCorrelator()
		n := 0
		for _, e := range []*parsers.Event{sev(0, 1, "User", "u"), sev(time.Second, 1, "User", "u"), sev(last, 1, "User", "u")} {
			rs.Match(e, func(m *Match) {
				if m.Rule.Generate {
					t.Error("legacy base rule should not generate its own hits")
				}
				c.Observe(m, e, func(*CorrelationHit) { n++ })
			})
		}
		c.Flush(func(*CorrelationHit) { n++ })
		return n
	}
	if n := run(10 * time.Second); n != 1 {
		t.Errorf("inside: %d hits, want 1", n)
	}
	if n := run(11*time.Second + ms); n != 0 {
		t.Errorf("outside: %d hits, want 0", n)
	}
	l = NewLoader(LoadOptions{})
	l.AddBytes("l.yml", []byte(strings.Replace(doc, "  timeframe: 10s\n", "", 1)))
	if _, rep := l.Compile(); len(rep.Failed) != 1 {
		t.Errorf("aggregation without timeframe should be reported, got %v", rep.Failed)
	}
}

func TestCorrelationLoadErrors(t *testing.T) {
	for name, corr := range map[string]string{
		"unknown rule":   "title: c\ncorrelation:\n  type: event_count\n  rules: [nosuch]\n  timespan: 1m\n  condition: {gte: 2}\n",
		"bad timespan":   "title: c\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  timespan: 1 hour\n  condition: {gte: 2}\n",
		"unknown type":   "title: c\ncorrelation:\n  type: event_sum\n  rules: [rule_a]\n  timespan: 1m\n",
		"no field":       "title: c\ncorrelation:\n  type: value_count\n  rules: [rule_a]\n  timespan: 1m\n  condition: {gte: 2}\n",
		"no condition":   "title: c\ncorrelation:\n  type: event_count\n  rules: [rule_a]\n  timespan: 1m\n",
		"bad alias rule": "title: c\ncorrelation:\n  type: temporal\n  rules: [rule_a, rule_b]\n  group-by: [x]\n  timespan: 1m\n  aliases:\n    x:\n      rule_c: F\n",
	} {
		l := NewLoader(LoadOptions{})
		l.AddBytes("c.yml", []byte(baseRules+"---\n"+corr))
		_, rep := l.Compile()
		if len(rep.Failed) != 1 || rep.Failed[0].Line == 0 {
			t.Errorf("%s: failed = %v, want one positioned failure", name, rep.Failed)
		}
	}
}
