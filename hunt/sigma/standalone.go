package sigma

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/loghunt/loghunt/parsers"
)

// EventMatcher is a detection with no rule around it, compiled to test
// single events: the exclusions of a tuning file are written as
// detections. It is built by CompileDetection and is safe for concurrent
// use.
//
// It runs on every event, whatever its channel (it has no logsource). The
// field mappings of logsources.yml still apply: on a Security 4688 event,
// Image, ParentImage, User... are computed from the 4688 fields as they
// are for process_creation rules, so one exclusion covers Sysmon 1 and
// 4688 alike.
type EventMatcher struct {
	tree *Detection
	rs   *Ruleset
	det  *detection
	// routes maps channel and event ID (anyEventID for all) to the
	// mapped groups of the routing table (where conditions, mapping).
	routes map[bucketKey][]*group
}

// CompileDetection compiles a detection mapping (named searches and a
// condition, as in a rule's detection section) read from a YAML document
// of the file path; errors are *LoadError at n's positions in that file.
// The legacy aggregation ("| count() > 5") and timeframe are refused: an
// EventMatcher sees one event. Placeholders (the expand modifier) take
// opts.Placeholders; opts.Select is not used.
func CompileDetection(path string, n *yaml.Node, opts LoadOptions) (*EventMatcher, error) {
	if n == nil || n.Kind != yaml.MappingNode {
		at := Pos{}
		if n != nil {
			at = posOf(n)
		}
		return nil, errAtPos(path, at, ErrYAML, "a detection is a mapping of searches and a condition")
	}
	rt, err := loadRouting()
	if err != nil {
		return nil, &LoadError{Path: "(routing)", Err: err}
	}
	rs := &Ruleset{fields: newFieldTable(), buckets: map[bucketKey][]*group{}, byRule: map[*Rule]int{}}
	tree, det, _, lerr := compileTree(path, n, "", rs.fields, &opts, nil)
	if lerr != nil {
		if lerr.Path == "" {
			lerr.Path = path
		}
		return nil, lerr
	}
	if det.agg != nil {
		return nil, errAtPos(path, det.aggPos, ErrUnsupported, "an aggregation needs many events; an exclusion sees one")
	}
	if tree.Timeframe != "" {
		return nil, errAtPos(path, tree.Pos, ErrUnsupported, "timeframe needs many events; an exclusion sees one")
	}
	m := &EventMatcher{tree: tree, rs: rs, det: det, routes: map[bucketKey][]*group{}}
	for _, cat := range sortedKeys(rt.Categories) {
		for _, r := range expand(rt.Categories[cat]) {
			if r.mapping == "" {
				continue
			}
			key := bucketKey{r.channel, r.eventID}
			m.routes[key] = appendToGroup(m.routes[key], rs.mapping(r.mapping, rt.Mappings[r.mapping]), whereConds(r.where), nil)
		}
	}
	rs.finish()
	rs.maxSrch = max(rs.maxSrch, len(det.searches))
	return m, nil
}

// Detection returns the detection tree the matcher was compiled from. It
// must not be modified.
func (m *EventMatcher) Detection() *Detection { return m.tree }

// Match reports whether ev matches the detection. It never modifies ev.
func (m *EventMatcher) Match(ev *parsers.Event) bool {
	sc := m.rs.getScratch()
	sc.load(ev)
	mapped := false
	if len(m.routes) > 0 && ev.Channel != "" {
		ch := strings.ToLower(ev.Channel)
		for _, id := range []int64{int64(ev.EventID), anyEventID} {
			for _, g := range m.routes[bucketKey{ch, id}] {
				if !mapped && sc.where(g) {
					sc.applyMapping(g.mapping)
					mapped = true
				}
			}
		}
	}
	st := sc.state[:len(m.det.searches)]
	clear(st)
	c := &sc.ctx
	*c = evalCtx{sc: sc, det: m.det, state: st}
	ok := m.det.cond.eval(c)
	if mapped {
		sc.clearMapping()
	}
	sc.ev = nil
	m.rs.pool.Put(sc)
	return ok
}

// String describes the matcher by its condition.
func (m *EventMatcher) String() string {
	var conds []string
	for _, c := range m.tree.Conditions {
		conds = append(conds, c.Text)
	}
	return fmt.Sprintf("detection(%s)", strings.Join(conds, " or "))
}
