package sigma

// The prefilter skips rules that cannot match an event: for each rule it
// derives a set of lower-case literals ("needles") such that, if the rule
// matches, at least one of them occurs in some value of the event. One
// multi-pattern pass (Aho-Corasick) over the event's lower-cased values
// finds which needles occur; a rule none of whose needles occurred is not
// evaluated. Rules with no such set (a condition that can hold without any
// literal, e.g. "not filter", a regex or a numeric comparison) are always
// evaluated.

// minNeedle is the shortest literal worth a prefilter entry: shorter ones
// occur in nearly every event. maxNeedle caps a needle's length: any
// substring of a required literal is required too, and short needles keep
// the automaton small. The end of a literal is kept, as it is usually the
// distinctive part (a file name, an argument).
const (
	minNeedle = 3
	maxNeedle = 12
)

// req is a requirement: one of the needles must occur (nil: unrestricted).
type req []string

// bestOf picks the most selective of several requirements that all hold
// (an AND): the one whose shortest needle is longest, then fewest needles.
func bestOf(rs []req) req {
	var best req
	bestScore := -1
	for _, r := range rs {
		if r == nil {
			continue
		}
		s := 1 << 20
		for _, n := range r {
			s = min(s, len(n))
		}
		s = s*1000 - min(len(r), 999)
		if s > bestScore {
			best, bestScore = r, s
		}
	}
	return best
}

// unionOf joins requirements of which one holds (an OR); any
// unrestricted branch makes the union unrestricted.
func unionOf(rs []req) req {
	var out req
	for _, r := range rs {
		if r == nil {
			return nil
		}
		out = append(out, r...)
	}
	return out
}

func fieldReq(fm *fieldMatcher) req {
	// Keyword searches look at every field; the scan only covers fields
	// some rule names, so they stay unrestricted.
	if fm.kind != fmValues || fm.neq || len(fm.pats) == 0 || fm.field < 0 {
		return nil
	}
	var needles []string
	for i := range fm.pats {
		p := &fm.pats[i]
		if p.kind != vmStr {
			if fm.all {
				continue
			}
			return nil
		}
		n := p.str.needle()
		if !fm.fold {
			n = toLower(n)
		}
		if len(n) > maxNeedle {
			n = n[len(n)-maxNeedle:]
		}
		if len(n) < minNeedle {
			if fm.all {
				continue
			}
			return nil
		}
		if fm.all {
			// Every pattern must match: one needle suffices.
			if len(needles) == 0 || len(n) > len(needles[0]) {
				needles = []string{n}
			}
			continue
		}
		needles = append(needles, n)
	}
	if len(needles) == 0 {
		return nil
	}
	return needles
}

func searchReq(s *search) req {
	alts := make([]req, 0, len(s.alts))
	for _, alt := range s.alts {
		fr := make([]req, 0, len(alt))
		for _, fm := range alt {
			fr = append(fr, fieldReq(fm))
		}
		alts = append(alts, bestOf(fr))
	}
	return unionOf(alts)
}

func condReq(n condNode, d *detection) req {
	switch x := n.(type) {
	case condRef:
		return searchReq(d.searches[int(x)])
	case condAnd:
		rs := make([]req, len(x))
		for i, c := range x {
			rs[i] = condReq(c, d)
		}
		return bestOf(rs)
	case condOr:
		rs := make([]req, len(x))
		for i, c := range x {
			rs[i] = condReq(c, d)
		}
		return unionOf(rs)
	case condAllOf:
		rs := make([]req, len(x))
		for i, c := range x {
			rs[i] = searchReq(d.searches[c])
		}
		return bestOf(rs)
	case condOneOf:
		rs := make([]req, len(x))
		for i, c := range x {
			rs[i] = searchReq(d.searches[c])
		}
		return unionOf(rs)
	}
	return nil // condNot and anything else: unrestricted
}

// prefilter is one rule's needle set, as indexes into the automaton's
// needle table.
type prefilter struct {
	needles []int32
}

func (p *prefilter) pass(sc *scratch) bool {
	for _, n := range p.needles {
		if sc.hits[n] == sc.epoch {
			return true
		}
	}
	return false
}

// prefilterSet is the automaton over every needle of the ruleset.
type prefilterSet struct {
	ac *acAutomaton
}

func (rs *Ruleset) buildPrefilter() {
	index := map[string]int32{}
	var needles []string
	for _, cr := range rs.rules {
		r := condReq(cr.det.cond, cr.det)
		if r == nil {
			cr.pre = nil
			continue
		}
		p := &prefilter{}
		seen := map[int32]bool{}
		for _, n := range r {
			id, ok := index[n]
			if !ok {
				id = int32(len(needles))
				index[n] = id
				needles = append(needles, n)
			}
			if !seen[id] {
				seen[id] = true
				p.needles = append(p.needles, id)
			}
		}
		cr.pre = p
	}
	if len(needles) == 0 {
		return
	}
	rs.pf = &prefilterSet{ac: newAC(needles)}
	rs.nNeedles = len(needles)
}

// scan marks the needles occurring in values vals[from:] of the scratch.
func (p *prefilterSet) scan(sc *scratch, from int) {
	if len(sc.hits) < p.ac.nNeedles {
		sc.hits = make([]uint32, p.ac.nNeedles)
	}
	for v := from; v < len(sc.vals); v++ {
		if v < sc.nEvVals && !sc.used[v] {
			continue // no rule names this field
		}
		p.ac.scan(sc.lower(int32(v)), sc.hits, sc.epoch)
	}
}
