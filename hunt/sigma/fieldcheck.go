package sigma

import (
	"fmt"
	"sort"
	"strings"

	"github.com/loghunt/loghunt/parsers/winevent"
)

// The field check reports, at load time, the fields a rule's detection
// names that an event source its logsource routes to never has. A search on
// such a field cannot match there, and a filter on it never excludes: the
// rule still loads and runs unchanged, but the user is told rather than
// left to guess. The fields each source provides are data
// (winevent.SystemFields and winevent.Sources); a source that is not
// listed there has an unknown field set and is never reported. Names
// compare case-insensitively, as the matcher's fallback does. A route with
// a field mapping also provides the mapped names (Security 4688: Image,
// ParentImage, ProcessId, ...); they are added from the routing table.

// knownSource is the field set of one channel and event ID.
type knownSource struct {
	label  string          // "Sysmon 1", "Security 4688"
	fields map[string]bool // lower-case names
}

// sourceTable maps a channel (lower-case) and event ID to its field set.
type sourceTable map[bucketKey]*knownSource

// loadSourceFields builds the source field table from winevent. The data
// is ours, so an error is a build bug, returned rather than panicking.
func loadSourceFields() (sourceTable, error) {
	if len(winevent.SystemFields) == 0 {
		return nil, fmt.Errorf("winevent: no system fields")
	}
	t := sourceTable{}
	for _, s := range winevent.Sources {
		if s.Channel == "" || s.Label == "" || len(s.Events) == 0 {
			return nil, fmt.Errorf("winevent: source %q needs a channel, a label and events", s.Channel)
		}
		for _, ev := range s.Events {
			key := bucketKey{strings.ToLower(s.Channel), int64(ev.ID)}
			if t[key] != nil {
				return nil, fmt.Errorf("winevent: %s %d is listed twice", s.Channel, ev.ID)
			}
			ks := &knownSource{label: fmt.Sprintf("%s %d", s.Label, ev.ID), fields: map[string]bool{}}
			for _, f := range winevent.SystemFields {
				ks.fields[strings.ToLower(f.Name)] = true
			}
			for _, n := range ev.Fields {
				ks.fields[strings.ToLower(n)] = true
			}
			t[key] = ks
		}
	}
	return t, nil
}

// FieldEffect says what a missing field does to the rule on that source.
type FieldEffect uint8

const (
	// CannotMatch: a search needing a value (or presence) of the field is
	// part of the condition, so that search is false on this source.
	CannotMatch FieldEffect = iota
	// AlwaysHolds: the rule tests the field's absence (null, exists:
	// false), a test that is always true on this source.
	AlwaysHolds
	// NeverExcludes: the field is only used under "not" or in a Sigma
	// filter rule, so that filter never excludes an event on this source.
	NeverExcludes
	// ExcludesAll: the field's absence is tested under "not" (or in a
	// filter rule), so that filter excludes every event on this source.
	ExcludesAll
)

func (e FieldEffect) String() string {
	switch e {
	case CannotMatch:
		return "cannot match"
	case AlwaysHolds:
		return "always holds"
	case NeverExcludes:
		return "never excludes"
	case ExcludesAll:
		return "excludes all"
	}
	return fmt.Sprintf("FieldEffect(%d)", uint8(e))
}

// MissingField is one field a rule names that a source does not have.
type MissingField struct {
	Name   string // as the rule writes it
	Effect FieldEffect
}

// FieldGap is one event source a loaded rule routes to that lacks fields
// the rule's detection (or a Sigma filter rule attached to it) names.
type FieldGap struct {
	Rule *Rule
	// Source names the channel and event ID, e.g. "Security 4688".
	Source string
	// Missing lists the fields, sorted by lower-case name.
	Missing []MissingField
	// Dead is true when, with these fields absent, the rule's condition
	// is false for every event of this source: the rule cannot match
	// there at all (rather than through some of its searches only).
	Dead bool
	// Others lists the rule's other sources, in routing order, whose
	// field set is known and has every one of the Missing fields: there
	// the searches on them can still match.
	Others []string
}

// FieldGaps returns the field gaps of every loaded detection rule, in rule
// load order and then routing order; the same gaps are in the load
// Report's Warnings as notes (see IsFieldGap). Only sources whose field set
// is known are checked; keyword searches name no field and are not
// checked.
func (rs *Ruleset) FieldGaps() []FieldGap {
	rt, err := loadRouting()
	if err != nil {
		return nil
	}
	st, err := loadSourceFields()
	if err != nil {
		return nil
	}
	return rs.fieldGaps(rt, st)
}

// fieldNotes is the load-time hook: the field gaps as Report warnings. A
// broken embedded table becomes one note rather than a panic.
func (rs *Ruleset) fieldNotes(rt *routingTable) []Note {
	st, err := loadSourceFields()
	if err != nil {
		return []Note{{Path: "(sourcefields)", Text: err.Error()}}
	}
	var out []Note
	for _, g := range rs.fieldGaps(rt, st) {
		out = append(out, Note{Path: g.Rule.Path, RuleID: g.Rule.ID, Title: g.Rule.Title, Text: g.Text()})
	}
	return out
}

func (rs *Ruleset) fieldGaps(rt *routingTable, st sourceTable) []FieldGap {
	var out []FieldGap
	for _, cr := range rs.rules {
		routes, kind, _ := rt.resolve(cr.rule.Logsource)
		if kind != routed {
			continue
		}
		uses := cr.fieldUses()
		if len(uses) == 0 {
			continue
		}
		done := map[*knownSource]bool{}
		for i, r := range routes {
			ks := st[bucketKey{r.channel, r.eventID}]
			if ks == nil || done[ks] {
				continue // unknown field set: never guess
			}
			done[ks] = true
			provided := routeFields(r, ks, rt)
			var missing []MissingField
			for _, u := range uses {
				if !provided[u.lower] {
					missing = append(missing, MissingField{Name: u.name, Effect: u.effect()})
				}
			}
			if len(missing) == 0 {
				continue
			}
			// The rule's other known sources that have every one of
			// these fields.
			var others []string
			for j, o := range routes {
				oks := st[bucketKey{o.channel, o.eventID}]
				if j == i || oks == nil || oks == ks || containsString(others, oks.label) {
					continue
				}
				of := routeFields(o, oks, rt)
				all := true
				for _, m := range missing {
					all = all && of[strings.ToLower(m.Name)]
				}
				if all {
					others = append(others, oks.label)
				}
			}
			dead := cr.det.cond != nil && constCond(cr.det.cond, cr.det, provided) == triFalse
			out = append(out, FieldGap{Rule: cr.rule, Source: ks.label, Missing: missing, Dead: dead, Others: others})
		}
		if g, ok := cr.shapeGap(uses); ok {
			out = append(out, g)
		}
	}
	return out
}

// shapeGap is the gap of a rule on flat JSON exports, whatever the
// channel: the System fields it names that those exports do not provide
// (winevent.SystemField.Flat), e.g. Keywords, which NXLog writes as a
// decimal number rather than EVTX's mask.
func (cr *compiledRule) shapeGap(uses []*fieldUse) (FieldGap, bool) {
	var missing []MissingField
	provided := map[string]bool{}
	for _, u := range uses {
		if f, ok := systemFieldFold(u.lower); ok && !f.Flat {
			missing = append(missing, MissingField{Name: u.name, Effect: u.effect()})
			continue
		}
		provided[u.lower] = true
	}
	if len(missing) == 0 {
		return FieldGap{}, false
	}
	dead := cr.det.cond != nil && constCond(cr.det.cond, cr.det, provided) == triFalse
	return FieldGap{Rule: cr.rule, Source: winevent.FlatShape, Missing: missing, Dead: dead, Others: []string{"EVTX"}}, true
}

// systemFieldFold returns the System field of that lower-case name.
func systemFieldFold(lower string) (winevent.SystemField, bool) {
	for _, f := range winevent.SystemFields {
		if strings.ToLower(f.Name) == lower {
			return f, true
		}
	}
	return winevent.SystemField{}, false
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// routeFields is the field set of route r, whose source is ks: the
// source's own fields plus those its mapping computes.
func routeFields(r route, ks *knownSource, rt *routingTable) map[string]bool {
	if r.mapping == "" {
		return ks.fields
	}
	return withMapped(ks.fields, rt.Mappings[r.mapping])
}

// withMapped returns fields plus the names a route's mapping computes.
func withMapped(fields map[string]bool, m map[string]*mappedField) map[string]bool {
	if len(m) == 0 {
		return fields
	}
	out := make(map[string]bool, len(fields)+len(m))
	for k := range fields {
		out[k] = true
	}
	for k := range m {
		out[strings.ToLower(k)] = true
	}
	return out
}

// fieldUse is how a rule uses one field (case-insensitively), summed over
// every place it appears.
type fieldUse struct {
	name  string // first spelling in the rule
	lower string
	// Which constant outcome the field's tests have when it is missing,
	// and where: pos* outside any "not", neg* only under "not" or in a
	// filter rule; *Val value/presence tests (false when missing), *Abs
	// absence tests (true when missing).
	posVal, posAbs, negVal, negAbs bool
}

// effect picks the outcome that matters most: a positive use decides
// whether the rule can match; a value test is the common case.
func (u *fieldUse) effect() FieldEffect {
	switch {
	case u.posVal:
		return CannotMatch
	case u.posAbs:
		return AlwaysHolds
	case u.negVal:
		return NeverExcludes
	}
	return ExcludesAll
}

// fieldUses lists the fields cr's detection and attached filter rules
// name, in lower-case name order. It only reads the compiled searches:
// fieldref targets count as used with the field's polarity; keyword
// searches and always-false matchers (an empty placeholder list) name no
// field that matters.
func (cr *compiledRule) fieldUses() []*fieldUse {
	byName := map[string]*fieldUse{}
	add := func(name string, neg, absence bool) {
		k := strings.ToLower(name)
		u := byName[k]
		if u == nil {
			u = &fieldUse{name: name, lower: k}
			byName[k] = u
		}
		switch {
		case !neg && !absence:
			u.posVal = true
		case !neg:
			u.posAbs = true
		case !absence:
			u.negVal = true
		default:
			u.negAbs = true
		}
	}
	walk := func(d *detection, negated bool) {
		for i, s := range d.searches {
			// A search only used under "not" is a filter; in a filter
			// rule the polarity flips once more.
			neg := negated
			if i < len(d.positive) && !d.positive[i] {
				neg = !neg
			}
			for _, alt := range s.alts {
				for _, fm := range alt {
					if fm.field < 0 || fm.name == "" || fm.kind == fmNever {
						continue
					}
					add(fm.name, neg, fm.kind == fmNull || fm.kind == fmAbsent)
					for j := range fm.pats {
						if fm.pats[j].kind == vmFieldRef && fm.pats[j].text != "" {
							add(fm.pats[j].text, neg, false)
						}
					}
				}
			}
		}
	}
	walk(cr.det, false)
	for _, f := range cr.filters {
		walk(f, true)
	}
	out := make([]*fieldUse, 0, len(byName))
	for _, u := range byName {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].lower < out[j].lower })
	return out
}

// Text renders the gap as the note in Report.Warnings, e.g. "field
// OriginalFileName is not in Security 4688 events: searches on it cannot
// match there, so the rule never matches Security 4688 events (Sysmon 1
// has it)".
func (g *FieldGap) Text() string {
	var names []string
	for _, m := range g.Missing {
		names = append(names, m.Name)
	}
	var b strings.Builder
	if len(names) == 1 {
		fmt.Fprintf(&b, "field %s is not in %s events: ", names[0], g.Source)
	} else {
		fmt.Fprintf(&b, "fields %s are not in %s events: ", strings.Join(names, ", "), g.Source)
	}
	var clauses []string
	for _, e := range []FieldEffect{CannotMatch, AlwaysHolds, NeverExcludes, ExcludesAll} {
		var in []string
		for _, m := range g.Missing {
			if m.Effect == e {
				in = append(in, m.Name)
			}
		}
		if len(in) == 0 {
			continue
		}
		// With one kind of effect the names were just given.
		subj := "it"
		if len(in) > 1 {
			subj = "them"
		}
		if len(in) != len(names) {
			subj = strings.Join(in, ", ")
		}
		switch e {
		case CannotMatch:
			clauses = append(clauses, "searches on "+subj+" cannot match there")
		case AlwaysHolds:
			clauses = append(clauses, "null or exists: false tests on "+subj+" always hold there")
		case NeverExcludes:
			clauses = append(clauses, "filters on "+subj+" (under not, or in a filter rule) never exclude anything there")
		case ExcludesAll:
			clauses = append(clauses, "filters on the absence of "+subj+" (under not, or in a filter rule) exclude every event there")
		}
	}
	b.WriteString(strings.Join(clauses, "; "))
	if g.Dead {
		fmt.Fprintf(&b, ", so the rule never matches %s events", g.Source)
	}
	if len(g.Others) > 0 {
		pron := "it"
		if len(names) > 1 {
			pron = "them"
		}
		verb := "has"
		if len(g.Others) > 1 {
			verb = "have"
		}
		fmt.Fprintf(&b, " (%s %s %s)", strings.Join(g.Others, ", "), verb, pron)
	}
	return b.String()
}

// IsFieldGap reports whether a Report warning was made by the field check
// (see FieldGap.Text); the CLI uses it to count and group them.
func IsFieldGap(n Note) bool {
	t := n.Text
	if !strings.HasPrefix(t, "field ") && !strings.HasPrefix(t, "fields ") {
		return false
	}
	head, _, ok := strings.Cut(t, " events: ")
	return ok && (strings.Contains(head, " is not in ") || strings.Contains(head, " are not in "))
}

// tri is a three-valued truth: what a test is on every event of a source
// that lacks some fields.
type tri uint8

const (
	triUnknown tri = iota // depends on the event
	triFalse
	triTrue
)

// constSearch is search s on events whose field set is provided: false
// when every alternative tests a missing field's value, true when some
// alternative only tests missing fields' absence.
func constSearch(s *search, provided map[string]bool) tri {
	anyTrue, allFalse := false, len(s.alts) > 0
	for _, alt := range s.alts {
		altFalse, altTrue := false, len(alt) > 0
		for _, fm := range alt {
			v := triUnknown
			switch {
			case fm.kind == fmNever:
				v = triFalse
			case fm.field < 0 || fm.name == "":
			case provided[strings.ToLower(fm.name)]:
				for j := range fm.pats {
					if fm.pats[j].kind == vmFieldRef && !provided[strings.ToLower(fm.pats[j].text)] {
						v = triFalse
					}
				}
			case fm.kind == fmNull || fm.kind == fmAbsent:
				v = triTrue
			default:
				v = triFalse
			}
			altFalse = altFalse || v == triFalse
			altTrue = altTrue && v == triTrue
		}
		allFalse = allFalse && altFalse
		anyTrue = anyTrue || altTrue && !altFalse
	}
	switch {
	case allFalse:
		return triFalse
	case anyTrue:
		return triTrue
	}
	return triUnknown
}

// constCond folds a compiled condition over constSearch. Node kinds it
// does not know give triUnknown, so the fold never claims too much.
func constCond(n condNode, d *detection, provided map[string]bool) tri {
	search := func(i int) tri {
		if i < 0 || i >= len(d.searches) {
			return triUnknown
		}
		return constSearch(d.searches[i], provided)
	}
	and := func(n int, at func(int) tri) tri {
		out := triTrue
		for i := 0; i < n; i++ {
			switch at(i) {
			case triFalse:
				return triFalse
			case triUnknown:
				out = triUnknown
			}
		}
		return out
	}
	or := func(n int, at func(int) tri) tri {
		out := triFalse
		for i := 0; i < n; i++ {
			switch at(i) {
			case triTrue:
				return triTrue
			case triUnknown:
				out = triUnknown
			}
		}
		return out
	}
	switch x := n.(type) {
	case condAnd:
		return and(len(x), func(i int) tri { return constCond(x[i], d, provided) })
	case condOr:
		return or(len(x), func(i int) tri { return constCond(x[i], d, provided) })
	case condNot:
		switch constCond(x.x, d, provided) {
		case triTrue:
			return triFalse
		case triFalse:
			return triTrue
		}
		return triUnknown
	case condRef:
		return search(int(x))
	case condAllOf:
		return and(len(x), func(i int) tri { return search(x[i]) })
	case condOneOf:
		return or(len(x), func(i int) tri { return search(x[i]) })
	}
	return triUnknown
}
