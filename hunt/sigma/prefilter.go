package sigma

import (
	"slices"
	"strconv"
	"strings"
)

// The prefilter skips rules that cannot match an event. For each rule it
// derives a requirement in conjunctive normal form: a few clauses, all of
// which hold whenever the rule matches, each a set of needles of which at
// least one occurs. A needle is tied to the field it must occur in:
//
//   - an equality needle holds when some value of the field, lower-cased,
//     equals it (found with one hash lookup per value);
//   - a substring needle holds when it occurs in some lower-cased value of
//     the field (found with one Aho-Corasick pass per value).
//
// Keyword searches give needles of the pseudo-field -1: any event value.
// Rules with no requirement (a condition that can hold without any
// literal, e.g. "not filter", a regex or a numeric comparison) are always
// evaluated. A requirement only ever admits more events than the rule
// matches, never fewer: the differential test checks this over the corpus.

// minNeedle is the shortest substring needle worth a prefilter entry:
// shorter ones occur in nearly every event. maxNeedle caps a substring
// needle's length: any substring of a required literal is required too,
// and short needles keep the automata small. The end of a literal is kept,
// as it is usually the distinctive part (a file name, an argument).
// Equality needles are kept whole, whatever their length.
const (
	minNeedle = 2
	maxNeedle = 12
)

// maxClauses bounds the clauses kept per requirement.
const maxClauses = 4

// needle is one literal a rule field must contain (or equal, when eq).
type needle struct {
	field int    // rule field id, or -1 for any event value (keywords)
	lit   string // lower-case
	eq    bool
}

// clause holds when one of its needles does.
type clause []needle

// cnf holds when all its clauses do; an empty cnf always holds (the rule
// cannot be prefiltered).
type cnf []clause

// weight estimates how rarely a needle occurs: longer is rarer, and an
// equality needle is worth a few more characters than a substring.
func (n needle) weight() int {
	if n.eq {
		return len(n.lit) + 3
	}
	return len(n.lit)
}

// score ranks clauses by selectivity: the weakest needle decides, then
// fewer needles win.
func (c clause) score() int {
	s := 1 << 20
	for _, n := range c {
		s = min(s, n.weight())
	}
	return s*1000 - min(len(c), 999)
}

// best returns the most selective clause of x (x must not be empty).
func (x cnf) best() clause {
	b := x[0]
	for _, c := range x[1:] {
		if c.score() > b.score() {
			b = c
		}
	}
	return b
}

// andOf joins requirements that all hold: every clause of each, the most
// selective maxClauses of them.
func andOf(xs []cnf) cnf {
	var out cnf
	for _, x := range xs {
		for _, c := range x {
			if !slices.ContainsFunc(out, func(o clause) bool { return sameClause(o, c) }) {
				out = append(out, c)
			}
		}
	}
	if len(out) > maxClauses {
		slices.SortStableFunc(out, func(a, b clause) int { return b.score() - a.score() })
		out = out[:maxClauses]
	}
	return out
}

// orOf joins requirements of which one holds. Any unrestricted branch
// makes the result unrestricted. Otherwise the result is the distributed
// product of the branches while it stays small, else the single clause
// made of each branch's best clause.
func orOf(xs []cnf) cnf {
	if len(xs) == 0 {
		return nil
	}
	for _, x := range xs {
		if len(x) == 0 {
			return nil
		}
	}
	size := 1
	for _, x := range xs {
		size *= len(x)
		if size > maxClauses {
			break
		}
	}
	if size <= maxClauses {
		// Every clause of out is a slice of its own, grown in place: a
		// field with thousands of values is thousands of one-clause
		// branches.
		out := []needleSet{{}}
		for _, x := range xs {
			if len(x) == 1 {
				for j := range out {
					out[j].add(x[0])
				}
				continue
			}
			next := make([]needleSet, 0, len(out)*len(x))
			for _, o := range out {
				for _, c := range x {
					n := o.clone()
					n.add(c)
					next = append(next, n)
				}
			}
			out = next
		}
		res := make(cnf, len(out))
		for j := range out {
			res[j] = out[j].c
		}
		return res
	}
	var one needleSet
	for _, x := range xs {
		one.add(x.best())
	}
	return cnf{one.c}
}

// needleSet is a clause built by adding needles, without duplicates, in
// the order first added (union's order), in linear time.
type needleSet struct {
	c    clause
	seen map[needle]struct{} // once c is long
}

func (s *needleSet) add(c clause) {
	for _, n := range c {
		if s.seen == nil && len(s.c) < 16 {
			if !slices.Contains(s.c, n) {
				s.c = append(s.c, n)
			}
			continue
		}
		if s.seen == nil {
			s.seen = make(map[needle]struct{}, 2*len(s.c))
			for _, o := range s.c {
				s.seen[o] = struct{}{}
			}
		}
		if _, dup := s.seen[n]; !dup {
			s.seen[n] = struct{}{}
			s.c = append(s.c, n)
		}
	}
}

func (s needleSet) clone() needleSet {
	n := needleSet{c: slices.Clone(s.c)}
	if s.seen != nil {
		n.seen = make(map[needle]struct{}, len(s.seen))
		for k := range s.seen {
			n.seen[k] = struct{}{}
		}
	}
	return n
}

func sameClause(a, b clause) bool {
	if len(a) != len(b) {
		return false
	}
	for _, n := range a {
		if !slices.Contains(b, n) {
			return false
		}
	}
	return true
}

// requirement is patReq, made once (see valueMatcher.req). The result is
// shared: callers must not modify it.
func (p *valueMatcher) requirement(fm *fieldMatcher) cnf {
	if !p.hasReq {
		p.req, p.hasReq = patReq(fm, p), true
	}
	return p.req
}

// patReq returns the requirement of one value pattern of fm, or nil.
func patReq(fm *fieldMatcher, p *valueMatcher) cnf {
	switch p.kind {
	case vmRegexp:
		r := regexReq(p.re.String())
		for _, c := range r {
			for i := range c {
				c[i].field = fm.field
			}
		}
		return r
	case vmStr:
	default:
		return nil
	}
	if p.str.op == opEqual {
		// Exact: lower(value) == lit when folding; value == lit (so
		// lower(value) == lower(lit)) when cased.
		return cnf{clause{{field: fm.field, lit: toLower(p.str.lit), eq: true}}}
	}
	n := toLower(p.str.needle())
	if len(n) > maxNeedle {
		n = n[len(n)-maxNeedle:]
	}
	if len(n) < minNeedle {
		return nil
	}
	return cnf{clause{{field: fm.field, lit: n}}}
}

func fieldReq(fm *fieldMatcher) cnf {
	if fm.kind != fmValues || fm.neq || len(fm.pats) == 0 {
		return nil
	}
	rs := make([]cnf, len(fm.pats))
	for i := range fm.pats {
		rs[i] = fm.pats[i].requirement(fm)
	}
	if fm.all {
		return andOf(rs) // every pattern must match
	}
	return orOf(rs)
}

func searchReq(s *search) cnf {
	alts := make([]cnf, 0, len(s.alts))
	for _, alt := range s.alts {
		fr := make([]cnf, 0, len(alt))
		for _, fm := range alt {
			fr = append(fr, fieldReq(fm))
		}
		alts = append(alts, andOf(fr))
	}
	return orOf(alts)
}

func condReq(n condNode, d *detection) cnf {
	switch x := n.(type) {
	case condRef:
		return searchReq(d.searches[int(x)])
	case condAnd:
		rs := make([]cnf, len(x))
		for i, c := range x {
			rs[i] = condReq(c, d)
		}
		return andOf(rs)
	case condOr:
		rs := make([]cnf, len(x))
		for i, c := range x {
			rs[i] = condReq(c, d)
		}
		return orOf(rs)
	case condAllOf:
		rs := make([]cnf, len(x))
		for i, c := range x {
			rs[i] = searchReq(d.searches[c])
		}
		return andOf(rs)
	case condOneOf:
		rs := make([]cnf, len(x))
		for i, c := range x {
			rs[i] = searchReq(d.searches[c])
		}
		return orOf(rs)
	}
	return nil // condNot and anything else: unrestricted
}

// String renders a requirement for debugging and test messages.
func (x cnf) String() string {
	var b strings.Builder
	for i, c := range x {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteByte('(')
		for j, n := range c {
			if j > 0 {
				b.WriteString(" | ")
			}
			op := "~"
			if n.eq {
				op = "="
			}
			if n.field < 0 {
				b.WriteString("*")
			} else {
				b.WriteString(strconv.Itoa(n.field))
			}
			b.WriteString(op + n.lit)
		}
		b.WriteByte(')')
	}
	return b.String()
}
