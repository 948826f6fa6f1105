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
}

// compareHits orders hits by time, then source path, offset and line, then
// rule id: a total order on distinct hits, so output is deterministic.
func compareHits(a, b *Hit) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	var sa, sb parsers.Source
	var ra, rb uint64
	if a.Event != nil {
		sa, ra = a.Event.Source, a.Event.RecordID
	}
	if b.Event != nil {
		sb, rb = b.Event.Source, b.Event.RecordID
	}
	if c := strings.Compare(sa.Path, sb.Path); c != 0 {
		return c
	}
	if c := cmp.Compare(sa.Offset, sb.Offset); c != 0 {
		return c
	}
	if c := cmp.Compare(sa.Line, sb.Line); c != 0 {
		return c
	}
	if c := cmp.Compare(ra, rb); c != 0 {
		return c
	}
	if c := strings.Compare(a.Rule.ID, b.Rule.ID); c != 0 {
		return c
	}
	return slices.CompareFunc(a.Row, b.Row, func(x, y Cell) int {
		return cmp.Or(strings.Compare(x.Name, y.Name), strings.Compare(x.Value, y.Value))
	})
}

// SortHits sorts hits into their canonical order.
func SortHits(hits []*Hit) {
	slices.SortStableFunc(hits, compareHits)
}
