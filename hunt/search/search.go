// Package search finds the events that hold keywords or match regular
// expressions, among those with given event IDs, channels and field values:
// loghunt's "search" command, a quick look over everything without rules.
//
// New validates Options once and returns a Searcher, which is a
// hunt.Matcher: hunt.Run runs it on the same workers and with the same
// accounting as the rule engines, and each matching event is a hunt.Hit of
// the Searcher's Rule whose Matched lists, for every term it holds, the
// first field that holds it. So the hunt output writers write search
// results as they write hits, in the same canonical order.
//
// Semantics, chosen as Chainsaw's and Hayabusa's users expect:
//
//   - A term is a keyword (a substring) or a regular expression (RE2
//     syntax, linear time). A term is found in an event when one of its
//     values holds it: a value of any field, or the computer, channel or
//     provider. Field names are not searched. A regular expression is
//     matched against each value on its own, so ^ and $ anchor to a value.
//   - An event matches when it holds every term (AND), or with Any at least
//     one (OR).
//   - Case is ignored (Unicode simple case folding, as strings.EqualFold),
//     in keywords, regular expressions and --field values, unless
//     CaseSensitive is set.
//   - Filters always restrict: the event's ID must be one of EventIDs, its
//     channel one of Channels, and every FieldFilter must hold. A search
//     with filters and no term lists every event that passes them.
package search

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/winevent"
)

// MaxPattern bounds the length in bytes of a keyword, a regular expression
// and a --field filter. RE2 matches in time linear in the input, but
// compiling a pattern, and the matching's constant, grow with its length.
const MaxPattern = 1024

// ErrBadPattern is wrapped by New's errors about a keyword or a regular
// expression.
var ErrBadPattern = errors.New("bad search pattern")

// ErrNothing is New's error when Options hold no term and no filter: a
// search must say what it looks for.
var ErrNothing = errors.New("nothing to search for: give a keyword, a regular expression, an event ID, a channel or a field")

// Options say what to search for. The zero value is not a search (New
// returns ErrNothing).
type Options struct {
	// Keywords are substrings to find in the event's values.
	Keywords []string
	// Regexps are regular expressions (Go RE2 syntax) to find in the
	// event's values.
	Regexps []string
	// Any makes an event match when it holds at least one term, instead
	// of all of them.
	Any bool
	// CaseSensitive compares keywords, regular expressions and field
	// values with their case; by default case is ignored.
	CaseSensitive bool
	// EventIDs, when not empty, keep only events with one of these IDs.
	EventIDs []uint32
	// Channels, when not empty, keep only events of one of these
	// channels, compared case-insensitively. A Sigma logsource service
	// name ("sysmon", "security", "powershell") stands for its channels.
	Channels []string
	// Fields must all hold (see FieldFilter).
	Fields []FieldFilter
}

// Searcher is a compiled search. It is safe for concurrent use.
type Searcher struct {
	opts     Options
	rule     *hunt.Rule
	terms    []term
	channels []string // every channel name that passes, services resolved
	fields   []fieldFilter
}

type term struct {
	label string // Matched.Search: the keyword, or /regexp/
	kw    string
	re    *regexp.Regexp
	// needles: a value the regexp can match holds one of them (nil: no
	// such literal is known).
	needles []folded
	minLen  int // the fewest bytes a match of re spans
	fold    bool
	folded  folded // kw, prepared for a case-insensitive search
}

type fieldFilter struct {
	name string
	g    glob
}

// Rule is the rule of every search hit: its ID, title and engine are
// "search".
func (s *Searcher) Rule() *hunt.Rule { return s.rule }

// New checks the options and compiles the search. Errors wrap ErrBadPattern,
// ErrBadField or ErrNothing.
func New(opts Options) (*Searcher, error) {
	s := &Searcher{opts: opts, rule: &hunt.Rule{ID: "search", Title: "search", Engine: "search"}}
	caseless := !opts.CaseSensitive
	for _, k := range opts.Keywords {
		switch {
		case k == "":
			return nil, fmt.Errorf("%w: empty keyword", ErrBadPattern)
		case len(k) > MaxPattern:
			return nil, fmt.Errorf("%w: keyword of %d bytes, longer than %d", ErrBadPattern, len(k), MaxPattern)
		}
		s.terms = append(s.terms, term{label: k, kw: k, fold: caseless, folded: fold(k)})
	}
	for _, r := range opts.Regexps {
		if len(r) > MaxPattern {
			return nil, fmt.Errorf("%w: regular expression of %d bytes, longer than %d", ErrBadPattern, len(r), MaxPattern)
		}
		src := r
		if caseless {
			src = "(?i)" + r
		}
		re, err := regexp.Compile(src)
		if err != nil {
			return nil, fmt.Errorf("%w: regular expression %q: %v", ErrBadPattern, r, err)
		}
		s.terms = append(s.terms, term{label: "/" + r + "/", re: re, needles: foldAll(needles(src, syntax.Perl)), minLen: minLen(src, syntax.Perl)})
	}
	for _, c := range opts.Channels {
		if c == "" {
			continue
		}
		s.channels = append(s.channels, c)
		s.channels = append(s.channels, winevent.ChannelsOfService(strings.ToLower(c))...)
	}
	for _, f := range opts.Fields {
		if f.Name == "" {
			return nil, fmt.Errorf("%w %q: the field name is empty", ErrBadField, f.String())
		}
		if len(f.Name)+len(f.Value) >= MaxPattern {
			return nil, fmt.Errorf("%w: %d bytes, longer than %d", ErrBadField, len(f.Name)+len(f.Value)+1, MaxPattern)
		}
		s.fields = append(s.fields, fieldFilter{name: f.Name, g: newGlob(f.Value, caseless)})
	}
	if len(s.terms) == 0 && len(opts.EventIDs) == 0 && len(s.channels) == 0 && len(s.fields) == 0 {
		return nil, ErrNothing
	}
	return s, nil
}

// Match implements hunt.Matcher: it emits the search's Rule once for an
// event that passes the filters and holds the terms, with one Matched per
// term found (Search: the term; Field and Value: the first value that
// holds it). A search without terms emits no Matched.
func (s *Searcher) Match(ev *parsers.Event, emit func(*hunt.Rule, []hunt.Matched)) {
	if !s.passes(ev) {
		return
	}
	// Decide, stopping at the first term that settles it; the terms
	// found on the way are kept, so that a match looks only for the
	// terms after those (each is found once: an expression with no
	// selective literal costs most of a search).
	var matched []hunt.Matched
	decided := 0 // s.terms[:decided] were looked for
	if len(s.terms) > 0 {
		settled := false
		for i := range s.terms {
			name, value, ok := s.terms[i].find(ev)
			decided = i + 1
			if ok {
				matched = append(matched, hunt.Matched{Search: s.terms[i].label, Field: name, Value: value})
			}
			if ok == s.opts.Any {
				settled = true
				break
			}
		}
		if settled != s.opts.Any {
			return
		}
	}
	// The event matches: say which value held each term.
	for i := decided; i < len(s.terms); i++ {
		if name, value, ok := s.terms[i].find(ev); ok {
			matched = append(matched, hunt.Matched{Search: s.terms[i].label, Field: name, Value: value})
		}
	}
	emit(s.rule, matched)
}

// passes applies the filters.
func (s *Searcher) passes(ev *parsers.Event) bool {
	if len(s.opts.EventIDs) > 0 && !slices.Contains(s.opts.EventIDs, ev.EventID) {
		return false
	}
	if len(s.channels) > 0 && !slices.ContainsFunc(s.channels, func(c string) bool { return strings.EqualFold(c, ev.Channel) }) {
		return false
	}
	for i := range s.fields {
		if !s.fields[i].holds(ev) {
			return false
		}
	}
	return true
}

// core lists the event's core values that are searched besides its
// fields, under the names the parsers give the same values as fields.
var core = [...]struct {
	name  string
	value func(*parsers.Event) string
}{
	{"Computer", func(ev *parsers.Event) string { return ev.Computer }},
	{"Channel", func(ev *parsers.Event) string { return ev.Channel }},
	{"Provider_Name", func(ev *parsers.Event) string { return ev.Provider }},
}

// find returns the first value of ev that holds t: the fields in order,
// then the core values.
func (t *term) find(ev *parsers.Event) (name, value string, ok bool) {
	for i := range ev.Fields {
		if t.holds(ev.Fields[i].Value) {
			return ev.Fields[i].Name, ev.Fields[i].Value, true
		}
	}
	for _, c := range core {
		v := c.value(ev)
		if v == "" {
			continue
		}
		if t.re != nil {
			// EVTX events have these values as fields too: a regexp,
			// unlike a keyword's scan, costs more than looking.
			if fv, ok := ev.Get(c.name); ok && fv == v {
				continue
			}
		}
		if t.holds(v) {
			return c.name, v, true
		}
	}
	return "", "", false
}

func (t *term) holds(v string) bool {
	switch {
	case t.re != nil:
		if len(v) < t.minLen || t.needles != nil && !holdsAny(v, t.needles) {
			return false
		}
		return t.re.MatchString(v)
	case t.fold:
		return t.folded.contains(v)
	}
	return strings.Contains(v, t.kw)
}

// holds reports whether a value of the named field matches; an event
// without such a field falls back to its core value of that name.
func (f *fieldFilter) holds(ev *parsers.Event) bool {
	present := false
	for i := range ev.Fields {
		if strings.EqualFold(ev.Fields[i].Name, f.name) {
			present = true
			if f.g.match(ev.Fields[i].Value) {
				return true
			}
		}
	}
	if present {
		return false
	}
	for _, c := range core {
		if strings.EqualFold(c.name, f.name) {
			if v := c.value(ev); v != "" {
				return f.g.match(v)
			}
		}
	}
	return false
}

// String describes the search for a summary: the terms and how they
// combine, then the filters.
func (s *Searcher) String() string {
	var parts []string
	if len(s.terms) > 0 {
		var ts []string
		for _, t := range s.terms {
			if t.re != nil {
				ts = append(ts, t.label)
			} else {
				ts = append(ts, strconv.Quote(t.label))
			}
		}
		how := "all of"
		if s.opts.Any {
			how = "any of"
		}
		parts = append(parts, how+" "+strings.Join(ts, ", "))
	}
	if len(s.opts.EventIDs) > 0 {
		var ids []string
		for _, id := range s.opts.EventIDs {
			ids = append(ids, strconv.FormatUint(uint64(id), 10))
		}
		parts = append(parts, "event ID "+strings.Join(ids, " or "))
	}
	if len(s.opts.Channels) > 0 {
		parts = append(parts, "channel "+strings.Join(s.opts.Channels, " or "))
	}
	for _, f := range s.opts.Fields {
		parts = append(parts, "field "+f.String())
	}
	c := "case-insensitive"
	if s.opts.CaseSensitive {
		c = "case-sensitive"
	}
	return strings.Join(parts, "; ") + " (" + c + ")"
}
