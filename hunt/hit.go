package hunt

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/loghunt/loghunt/parsers"
)

// Rule identifies the rule behind a hit.
type Rule struct {
	ID          string
	Title       string
	Level       string // informational, low, medium, high, critical
	Engine      string // "sigma", "sigma-correlation", "kql"
	Path        string // the rule file, "bundled:sigma/x.yml" for embedded rules
	Tags        []string
	Description string
	// Detection is the id of the detection this rule is one form of,
	// when it differs from ID: a KQL query translated from a Sigma rule
	// names the Sigma rule's id here. "" means ID. Hits of rules with the
	// same DetectionKey on the same event are one hit (see
	// NewMergingSink).
	Detection string
}

// DetectionKey is the id of the detection r is a form of: Detection when
// set, else ID.
func (r *Rule) DetectionKey() string {
	if r.Detection != "" {
		return r.Detection
	}
	return r.ID
}

// Matched is one piece of a hit's explanation: a search (Sigma) or
// condition that matched, and the field value that made it match.
type Matched struct {
	Search string
	Field  string
	Value  string
}

// Cell is one named value of a KQL result row.
type Cell struct {
	Name  string
	Value string
}

// Hit is one rule firing.
//
// Sigma hits carry the Event that fired. KQL hits carry the result Row (the
// query's projected columns) and, where a row maps back to one event, that
// Event too. Correlation hits carry the events that made them up in Related.
type Hit struct {
	Rule    *Rule
	Time    time.Time
	Event   *parsers.Event
	Matched []Matched
	Row     []Cell
	Related []*parsers.Event
	// Engines lists every engine whose rules flagged this event for this
	// detection, Rule.Engine first, when a MergingSink merged several
	// hits into this one; nil otherwise (Rule.Engine alone).
	Engines []string
	// Suppressed names the tuning exclusion that matched this hit. Such a
	// hit is normally dropped; it reaches the output, marked, only when
	// suppressed hits are asked for (--show-suppressed).
	Suppressed string
}

// EngineList returns Engines, or Rule.Engine alone for an unmerged hit.
func (h *Hit) EngineList() []string {
	if len(h.Engines) > 0 {
		return h.Engines
	}
	return []string{h.Rule.Engine}
}

// HitKey is what the canonical order compares of a hit: its time, where
// its event is (source path, line or offset, record), its rule, and its
// result row. A sorter that keeps hits in another form (hunt/spill keeps
// them encoded) keeps their keys and compares those with CompareKeys.
type HitKey struct {
	Time     time.Time
	Path     string
	Offset   int64
	Line     int64
	RecordID uint64
	Rule     *Rule
	Row      []Cell
}

// KeyOf returns h's key. A hit without an event has the zero source.
func KeyOf(h *Hit) HitKey {
	k := HitKey{Time: h.Time, Rule: h.Rule, Row: h.Row}
	if h.Event != nil {
		k.Path, k.Offset, k.Line, k.RecordID = h.Event.Source.Path, h.Event.Source.Offset, h.Event.Source.Line, h.Event.RecordID
	}
	return k
}

// CompareKeys is the canonical order of hits: by time, then source path,
// offset and line, then detection (Rule.DetectionKey), then event hits
// before result-row hits, then engine and rule id, then the row's cells.
// It is a total order on distinct hits, so output is deterministic, and
// the hits of one detection on one event are adjacent, the one with the
// full event first.
func CompareKeys(a, b *HitKey) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	if c := strings.Compare(a.Path, b.Path); c != 0 {
		return c
	}
	if c := compareSpot(parsers.Source{Offset: a.Offset, Line: a.Line}, parsers.Source{Offset: b.Offset, Line: b.Line}); c != 0 {
		return c
	}
	if c := cmp.Compare(a.RecordID, b.RecordID); c != 0 {
		return c
	}
	if c := strings.Compare(a.Rule.DetectionKey(), b.Rule.DetectionKey()); c != 0 {
		return c
	}
	if c := cmp.Compare(min(len(a.Row), 1), min(len(b.Row), 1)); c != 0 {
		// A result row (KQL) after the hit on the event (Sigma), which
		// carries the event's fields and so leads a merge.
		return c
	}
	if c := strings.Compare(a.Rule.Engine, b.Rule.Engine); c != 0 {
		return c
	}
	if c := strings.Compare(a.Rule.ID, b.Rule.ID); c != 0 {
		return c
	}
	return slices.CompareFunc(a.Row, b.Row, func(x, y Cell) int {
		return cmp.Or(strings.Compare(x.Name, y.Name), strings.Compare(x.Value, y.Value))
	})
}

// CompareHits compares two hits in the canonical order (CompareKeys).
func CompareHits(a, b *Hit) int {
	ka, kb := KeyOf(a), KeyOf(b)
	return CompareKeys(&ka, &kb)
}

// SortHits sorts hits into their canonical order.
func SortHits(hits []*Hit) {
	slices.SortStableFunc(hits, CompareHits)
}

// compareSpot orders two places in one source file: by line when both
// have one (a line-based file, whose KQL rows know the line but not the
// byte offset), else by offset, then line.
func compareSpot(a, b parsers.Source) int {
	if a.Line > 0 && b.Line > 0 {
		return cmp.Compare(a.Line, b.Line)
	}
	return cmp.Or(cmp.Compare(a.Offset, b.Offset), cmp.Compare(a.Line, b.Line))
}
