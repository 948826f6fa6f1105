package sigma

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// A plan is everything Match does for one kind of event: the route groups
// an event of that channel and event ID is checked against, and the
// prefilter over exactly their rules. Plans are built once, when the
// Ruleset is compiled; events of the same channel and event ID share one.
//
// Matching an event with a plan:
//  1. scan: each scan unit (a rule field as one route computes it, or
//     every event value for keyword searches) looks its lower-cased values
//     up in a hash set of equality needles and runs them through an
//     Aho-Corasick automaton of substring needles, marking the needles
//     that occur;
//  2. trigger: each rule is indexed under the needles of one of its
//     clauses (the most selective), so the needles found name the
//     candidate rules directly, without a loop over every rule;
//  3. evaluate: candidates, plus the rules that cannot be prefiltered,
//     are taken in plan order (route group order, then load order); a
//     candidate whose other clauses do not all hold is skipped, the rest
//     are evaluated in full.
type plan struct {
	groups   []*group
	rules    []planRule
	always   []int32 // rules without a requirement: always evaluated
	units    []scanUnit
	trigger  [][]int32 // plan needle id -> rules indexed under it
	nNeedles int
	// gateData holds the gates of planRule.gates: at a gate's offset,
	// the number of clauses, then per clause its length and needle ids.
	gateData []int32
}

// planRule is one rule of a plan with its requirement in plan needle ids.
type planRule struct {
	cr      *compiledRule
	group   int32
	clauses [][]int32 // all must hold; nil: always evaluated
	// gates[pattern idx] is the offset in plan.gateData of a requirement
	// of that value pattern alone, or -1 (nil: no pattern has one). A
	// pattern whose gate fails cannot match any value of its field, so
	// evaluation skips it: this spares long values most of a rule's
	// patterns, e.g. the hundred "CommandLine|contains" of one rule.
	gates []int32
}

// scanUnit is one source of values the prefilter scans.
type scanUnit struct {
	field   int              // rule field id; -1: every event value
	mapping *compiledMapping // set when the route's mapping computes field
	eq      map[string]int32 // lower-case value -> plan needle id
	// eqLens has bit n set when some equality needle is n bytes long
	// (bit 63: 63 or more); eqFirst has bit b set when one starts with
	// byte b. They spare most values a lookup.
	eqLens  uint64
	eqFirst [4]uint64
	ac      *acAutomaton // substring needles shorter than gramLen, or nil
	gid     []int32      // automaton needle index -> plan needle id
	minLen  int          // shortest needle of ac
	grams   *gramSet     // substring needles of gramLen bytes or more, or nil
	ggid    []int32      // gram needle index -> plan needle id
	// masks are the byte masks (see byteMask) of the substring needles,
	// without supersets, or nil when there are too many to be worth
	// checking: a value whose mask includes none of them contains no
	// needle and is not scanned.
	masks []uint64
}

type unitKey struct {
	field   int
	mapping *compiledMapping
}

type unitNeedle struct {
	unit int
	lit  string
	eq   bool
}

// maps reports whether the mapping computes rule field id.
func (m *compiledMapping) maps(id int) bool {
	for _, t := range m.fields {
		if t.id == id {
			return true
		}
	}
	return false
}

// planBuilder shares automata between plans with the same needles.
type planBuilder struct {
	mu    sync.Mutex // guards acs and grams while plans build in parallel
	plans map[string]*plan
	acs   map[string]*acAutomaton
	grams map[string]*gramSet
}

// buildPlans makes the plan of every routed channel and event ID, of every
// routed channel's other event IDs, of unknown channels and of events
// without a channel.
func (rs *Ruleset) buildPlans() {
	// Each rule's requirements, made once, on every thread: a rule's
	// patterns belong to it alone.
	parallel(len(rs.rules), rs.threads, func() func(i int) {
		return func(i int) {
			cr := rs.rules[i]
			for _, s := range cr.det.searches {
				for _, alt := range s.alts {
					for _, fm := range alt {
						if fm.kind == fmValues {
							for j := range fm.pats {
								fm.pats[j].requirement(fm)
							}
						}
					}
				}
			}
			cr.req = condReq(cr.det.cond, cr.det)
		}
	})
	// The plans' group sequences, then the distinct ones built in
	// parallel (a plan depends only on its groups).
	type want struct {
		key    bucketKey
		groups []*group
	}
	var wants []want
	for key, gs := range rs.buckets {
		var all []*group
		all = append(all, gs...)
		if key.eventID != anyEventID {
			all = append(all, rs.buckets[bucketKey{key.channel, anyEventID}]...)
		}
		all = append(all, rs.windows...)
		wants = append(wants, want{key, all})
		// Other event IDs of a routed channel.
		if _, ok := rs.buckets[bucketKey{key.channel, anyEventID}]; !ok || key.eventID == anyEventID {
			var other []*group
			other = append(other, rs.buckets[bucketKey{key.channel, anyEventID}]...)
			other = append(other, rs.windows...)
			wants = append(wants, want{bucketKey{key.channel, anyEventID}, other})
		}
	}
	pb := &planBuilder{plans: map[string]*plan{}, acs: map[string]*acAutomaton{}, grams: map[string]*gramSet{}}
	var distinct [][]*group
	keys := make([]string, len(wants)+2)
	seqs := append(wants, want{groups: rs.windows}, want{groups: rs.noChan})
	for i, w := range seqs {
		keys[i] = planKey(w.groups)
		if _, ok := pb.plans[keys[i]]; !ok {
			pb.plans[keys[i]] = nil
			distinct = append(distinct, w.groups)
		}
	}
	built := make([]*plan, len(distinct))
	parallel(len(distinct), rs.threads, func() func(i int) {
		return func(i int) { built[i] = pb.build(distinct[i]) }
	})
	for _, p := range built {
		pb.plans[planKey(p.groups)] = p
	}
	rs.plans = map[bucketKey]*plan{}
	for i, w := range wants {
		rs.plans[w.key] = pb.plans[keys[i]]
	}
	rs.winPlan = pb.plans[keys[len(wants)]]
	rs.noChanPlan = pb.plans[keys[len(wants)+1]]
	for _, p := range pb.plans {
		rs.maxPlanRules = max(rs.maxPlanRules, len(p.rules))
		rs.maxPlanNeedles = max(rs.maxPlanNeedles, p.nNeedles)
	}
}

// planKey names a group sequence: plans of the same sequence are one.
func planKey(groups []*group) string {
	var kb strings.Builder
	for _, g := range groups {
		fmt.Fprintf(&kb, "%p,", g)
	}
	return kb.String()
}

// build builds the plan of a group sequence. It is safe for concurrent
// use: the automata it shares between plans are made under a lock.
func (pb *planBuilder) build(groups []*group) *plan {
	p := &plan{groups: groups}

	units := map[unitKey]int{}
	ids := map[unitNeedle]int32{}
	var unitNeedles [][]unitNeedle // per unit, in id order
	for gi, g := range groups {
		for _, cr := range g.rules {
			ri := int32(len(p.rules))
			pr := planRule{cr: cr, group: int32(gi)}
			if len(cr.req) == 0 {
				p.always = append(p.always, ri)
				p.rules = append(p.rules, pr)
				continue
			}
			best, bestScore := 0, -1
			for ci, c := range cr.req {
				if s := c.score(); s > bestScore {
					best, bestScore = ci, s
				}
				var cl []int32
				for _, n := range c {
					uk := unitKey{field: n.field}
					if g.mapping != nil && n.field >= 0 && g.mapping.maps(n.field) {
						uk.mapping = g.mapping
					}
					ui, ok := units[uk]
					if !ok {
						ui = len(p.units)
						units[uk] = ui
						p.units = append(p.units, scanUnit{field: uk.field, mapping: uk.mapping})
						unitNeedles = append(unitNeedles, nil)
					}
					un := unitNeedle{unit: ui, lit: n.lit, eq: n.eq}
					id, ok := ids[un]
					if !ok {
						id = int32(p.nNeedles)
						p.nNeedles++
						ids[un] = id
						unitNeedles[ui] = append(unitNeedles[ui], un)
						p.trigger = append(p.trigger, nil)
					}
					if !slices.Contains(cl, id) {
						cl = append(cl, id)
					}
				}
				pr.clauses = append(pr.clauses, cl)
			}
			for _, id := range pr.clauses[best] {
				p.trigger[id] = append(p.trigger[id], ri)
			}
			p.rules = append(p.rules, pr)
		}
	}

	for ri := range p.rules {
		pr := &p.rules[ri]
		if !pr.cr.det.hasPats() {
			continue
		}
		pr.gates = p.gatesOf(pr.cr.det, p.groups[pr.group].mapping, units, ids)
	}

	// Needles per unit: equality ones into a hash set, short substring
	// ones into an automaton, long ones into a gram set.
	subs := make([][]string, len(p.units))
	grams := make([][]uint64, len(p.units))
	for ui := range p.units {
		u := &p.units[ui]
		for _, un := range unitNeedles[ui] {
			id := ids[un]
			if un.eq {
				if u.eq == nil {
					u.eq = map[string]int32{}
				}
				u.eq[un.lit] = id
				u.eqLens |= 1 << min(len(un.lit), 63)
				if un.lit != "" {
					u.eqFirst[un.lit[0]>>6] |= 1 << (un.lit[0] & 63)
				}
				continue
			}
			if len(un.lit) >= gramLen {
				grams[ui] = append(grams[ui], gramOf(un.lit))
				u.ggid = append(u.ggid, id)
				continue
			}
			subs[ui] = append(subs[ui], un.lit)
			u.gid = append(u.gid, id)
		}
		u.masks = needleMasks(unitNeedles[ui])
	}
	for ui := range p.units {
		if len(grams[ui]) > 0 {
			k := fmt.Sprint(grams[ui])
			pb.mu.Lock()
			g, ok := pb.grams[k]
			pb.mu.Unlock()
			if !ok {
				// Built outside the lock; of two equal sets built at
				// once, the first stored is shared.
				g = newGramSet(grams[ui])
				pb.mu.Lock()
				if prev, ok := pb.grams[k]; ok {
					g = prev
				} else {
					pb.grams[k] = g
				}
				pb.mu.Unlock()
			}
			p.units[ui].grams = g
		}
		if len(subs[ui]) == 0 {
			continue
		}
		p.units[ui].minLen = len(subs[ui][0])
		for _, n := range subs[ui] {
			p.units[ui].minLen = min(p.units[ui].minLen, len(n))
		}
		k := strings.Join(subs[ui], "\x00")
		pb.mu.Lock()
		a, ok := pb.acs[k]
		pb.mu.Unlock()
		if !ok {
			a = newAC(subs[ui])
			pb.mu.Lock()
			if prev, ok := pb.acs[k]; ok {
				a = prev
			} else {
				pb.acs[k] = a
			}
			pb.mu.Unlock()
		}
		p.units[ui].ac = a
	}
	// Units computed by a mapping go last, grouped by mapping, so the scan
	// applies each mapping once.
	slices.SortStableFunc(p.units, func(a, b scanUnit) int {
		switch {
		case a.mapping == b.mapping:
			return 0
		case a.mapping == nil:
			return -1
		case b.mapping == nil:
			return 1
		}
		return strings.Compare(a.mapping.name, b.mapping.name)
	})
	return p
}

// hasPats reports whether the detection has value patterns.
func (d *detection) hasPats() bool { return d.nPats > 0 }

// gatesOf returns the gates of a rule's patterns in a group with the given
// mapping, from needles the plan already scans for, or nil when no
// pattern has one. A gate is a pattern's own requirement (patReq), less
// the clauses whose needles the plan does not scan for.
func (p *plan) gatesOf(d *detection, m *compiledMapping, units map[unitKey]int, ids map[unitNeedle]int32) []int32 {
	var gates []int32
	for _, s := range d.searches {
		for _, alt := range s.alts {
			for _, fm := range alt {
				if fm.kind != fmValues {
					continue
				}
				for i := range fm.pats {
					pat := &fm.pats[i]
					var cls [][]int32
					for _, c := range pat.requirement(fm) {
						cl := make([]int32, 0, len(c))
						for _, n := range c {
							uk := unitKey{field: n.field}
							if m != nil && n.field >= 0 && m.maps(n.field) {
								uk.mapping = m
							}
							ui, ok := units[uk]
							if !ok {
								break
							}
							id, ok := ids[unitNeedle{unit: ui, lit: n.lit, eq: n.eq}]
							if !ok {
								break
							}
							cl = append(cl, id)
						}
						if len(cl) == len(c) {
							cls = append(cls, cl)
						}
					}
					if len(cls) == 0 {
						continue
					}
					if gates == nil {
						gates = make([]int32, d.nPats)
						for j := range gates {
							gates[j] = -1
						}
					}
					gates[pat.idx] = int32(len(p.gateData))
					p.gateData = append(p.gateData, int32(len(cls)))
					for _, cl := range cls {
						p.gateData = append(p.gateData, int32(len(cl)))
						p.gateData = append(p.gateData, cl...)
					}
				}
			}
		}
	}
	return gates
}

// patMay reports whether pattern p of the rule being evaluated may match
// some value of its field: false only when its gate fails.
func (sc *scratch) patMay(p *valueMatcher) bool {
	if sc.gates == nil {
		return true
	}
	off := sc.gates[p.idx]
	if off < 0 {
		return true
	}
	d := sc.gateData
	nc := d[off]
	off++
	for ; nc > 0; nc-- {
		n := d[off]
		off++
		ok := false
		for _, id := range d[off : off+n] {
			if sc.hits[id] == sc.epoch {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
		off += n
	}
	return true
}

// planFor returns the plan for the scratch's event.
func (rs *Ruleset) planFor(sc *scratch) *plan {
	ch := sc.ev.Channel
	if ch == "" {
		return rs.noChanPlan
	}
	lc := sc.channelKey(ch)
	if p, ok := rs.plans[bucketKey{lc, int64(sc.ev.EventID)}]; ok {
		return p
	}
	if p, ok := rs.plans[bucketKey{lc, anyEventID}]; ok {
		return p
	}
	return rs.winPlan
}

// scan marks the needles occurring in the event and collects the
// candidate rules in sc.cands, in plan order.
func (sc *scratch) scan(p *plan) {
	sc.found = sc.found[:0]
	var cur *compiledMapping
	for ui := range p.units {
		u := &p.units[ui]
		if u.mapping != cur {
			if cur != nil {
				sc.clearMapping()
			}
			cur = u.mapping
			if cur != nil {
				sc.applyMapping(cur)
			}
		}
		if u.field < 0 {
			for v := int32(0); v < int32(sc.nEvVals); v++ {
				sc.scanValue(u, v)
			}
			continue
		}
		for e := sc.first(u.field); e >= 0; e = sc.entries[e].next {
			sc.scanValue(u, sc.entries[e].val)
		}
	}
	if cur != nil {
		sc.clearMapping()
	}
	sc.cands = append(sc.cands[:0], p.always...)
	for _, id := range sc.found {
		for _, r := range p.trigger[id] {
			if sc.rstamp[r] != sc.epoch {
				sc.rstamp[r] = sc.epoch
				sc.cands = append(sc.cands, r)
			}
		}
	}
	slices.Sort(sc.cands)
}

// scanValue looks value v up in the unit's equality needles and runs it
// through the unit's automaton and gram set, skipping those whose needles
// are all longer than the value.
func (sc *scratch) scanValue(u *scanUnit, v int32) {
	if u.eq != nil && u.eqMay(&sc.vals[v]) {
		if id, ok := u.eq[sc.lower(v)]; ok && sc.hits[id] != sc.epoch {
			sc.hits[id] = sc.epoch
			sc.found = append(sc.found, id)
		}
	}
	if u.ac == nil && u.grams == nil {
		return
	}
	if u.masks != nil && !maskMay(u.masks, sc.mask(v)) {
		return
	}
	t := sc.scanText(v)
	if u.ac != nil && len(t) >= u.minLen {
		sc.found = u.ac.scan(t, u.gid, sc.hits, sc.epoch, sc.found)
	}
	if u.grams != nil && len(t) >= gramLen {
		sc.found = u.grams.scan(t, sc.vals[v].ascii == 1, u.ggid, sc.hits, sc.epoch, sc.found)
	}
}

// maxMasks bounds the needle masks a unit checks per value: a unit with
// more needles than that (CommandLine's thousands) nearly always has one
// whose bytes a long value includes.
const maxMasks = 24

// needleMasks returns the minimal byte masks of a unit's substring
// needles, or nil when there are more than maxMasks.
func needleMasks(ns []unitNeedle) []uint64 {
	var ms []uint64
	for _, n := range ns {
		if n.eq {
			continue
		}
		m := byteMask(n.lit)
		if maskMay(ms, m) {
			continue // a needle with a subset of m's bytes stands for it
		}
		out := ms[:0]
		for _, o := range ms {
			if m&^o != 0 { // keep o unless m ⊆ o
				out = append(out, o)
			}
		}
		ms = append(out, m)
		if len(ms) > maxMasks {
			return nil
		}
	}
	return ms
}

// maskMay reports whether a value of byte mask vm may contain a needle of
// one of the masks.
func maskMay(masks []uint64, vm uint64) bool {
	for _, m := range masks {
		if m&^vm == 0 {
			return true
		}
	}
	return false
}

// eqMay reports whether value f may equal an equality needle of u. The
// length and first byte of an ASCII value are those of its lower-case
// form (with the letter folded); other values are always looked up.
func (u *scanUnit) eqMay(f *fval) bool {
	r := f.raw
	if f.hasLow {
		r = f.low
	} else if !f.isASCII() {
		return true
	}
	if u.eqLens&(1<<min(len(r), 63)) == 0 {
		return false
	}
	if r == "" {
		return true
	}
	c := r[0]
	if c >= 'A' && c <= 'Z' {
		c += 'a' - 'A'
	}
	return u.eqFirst[c>>6]&(1<<(c&63)) != 0
}

// holds reports whether every clause of a candidate has a needle found.
func (sc *scratch) holds(pr *planRule) bool {
	for _, cl := range pr.clauses {
		ok := false
		for _, id := range cl {
			if sc.hits[id] == sc.epoch {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// run evaluates the plan's candidate rules (every rule when the prefilter
// is off) and calls fn for each match.
func (sc *scratch) run(p *plan, fn func(*Match)) {
	if sc.rs.noPrefilter {
		sc.cands = sc.cands[:0]
		for i := range p.rules {
			sc.cands = append(sc.cands, int32(i))
		}
	} else {
		sc.scan(p)
	}
	sc.gateData = p.gateData
	gi := int32(-1)
	skip, mapped := false, false
	for _, r := range sc.cands {
		pr := &p.rules[r]
		if pr.group != gi {
			if mapped {
				sc.clearMapping()
				mapped = false
			}
			gi = pr.group
			g := p.groups[gi]
			skip = !sc.where(g)
			if !skip && g.mapping != nil {
				sc.applyMapping(g.mapping)
				mapped = true
			}
		}
		if skip || !sc.rs.noPrefilter && !sc.holds(pr) {
			continue
		}
		sc.evalRule(pr.cr, pr.gates, fn)
	}
	if mapped {
		sc.clearMapping()
	}
}

// where reports whether the event meets a group's extra conditions.
func (sc *scratch) where(g *group) bool {
	for _, w := range g.where {
		v, ok := sc.eventValue(w.field)
		if !ok {
			return false
		}
		found := false
		for _, a := range w.values {
			if strings.EqualFold(a, v) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
