package sigma

import (
	"strings"
	"sync"
	"unsafe"

	"github.com/loghunt/loghunt/parsers"
)

// compiledRule is a detection rule ready to evaluate.
type compiledRule struct {
	rule    *Rule
	det     *detection
	filters []*detection // Sigma filter rules that suppress matches
	req     cnf          // prefilter requirement; empty: always evaluate
}

// compiledMapping computes rule fields from other event fields for one
// route (Security 4688 for process_creation rules, say).
type compiledMapping struct {
	name   string
	fields []mappedTarget
}

type mappedTarget struct {
	id  int // rule field id it overrides
	src []string
	m   *mappedField
}

// whereCond restricts a route to events whose field has one of the values.
type whereCond struct {
	field  string
	values []string // lower-case
}

// group is a set of rules that share a route: same channel and event ID,
// same extra conditions, same field mapping.
type group struct {
	mapping *compiledMapping
	where   []whereCond
	rules   []*compiledRule
}

type bucketKey struct {
	channel string // lower-case
	eventID int64
}

// Ruleset is a compiled set of Sigma rules. It is immutable and safe for
// concurrent use by many goroutines.
type Ruleset struct {
	fields  *fieldTable
	foldIdx map[string][]int // lower-case field name -> ids
	buckets map[bucketKey][]*group
	windows []*group // rules for any Windows channel (product only)
	noChan  []*group // every rule: for events without a channel
	rules   []*compiledRule
	maxSrch int
	corrs   []*correlation
	byRule  map[*Rule]int // rule -> index in rules
	pool    sync.Pool
	maps    map[string]*compiledMapping

	plans          map[bucketKey]*plan // by channel and event ID (anyEventID: other IDs)
	winPlan        *plan               // channels no rule routes to
	noChanPlan     *plan               // events without a channel
	maxPlanRules   int
	maxPlanNeedles int
	noPrefilter    bool // evaluate every routed rule (differential tests)
	threads        int  // goroutines that build it (LoadOptions.Threads)
}

// Rules returns every loaded rule (detection, then correlation), in load
// order.
func (rs *Ruleset) Rules() []*Rule {
	out := make([]*Rule, 0, len(rs.rules)+len(rs.corrs))
	for _, r := range rs.rules {
		out = append(out, r.rule)
	}
	for _, c := range rs.corrs {
		out = append(out, c.rule)
	}
	return out
}

// fval is one event value in the scratch, lower-cased lazily.
type fval struct {
	raw, low string
	hasLow   bool
	ascii    uint8 // 0 unknown, 1 ASCII, 2 not
	hasMask  bool
	bmask    uint64 // byteMask of the scanned text, once hasMask
	name     string
}

// entry links one value to one field id.
type entry struct {
	val  int32
	next int32
}

type nameRes struct {
	exact int
	fold  []int
}

// scratch is the per-goroutine state for evaluating one event.
type scratch struct {
	rs      *Ruleset
	ev      *parsers.Event
	nEvVals int
	vals    []fval
	entries []entry

	// per field id: exact-name values, case-folded-name values, mapped
	// values; each valid only when its stamp equals the current epoch.
	exHead, exTail, foHead, foTail, ovHead []int32
	exStamp, foStamp, ovStamp              []uint32
	epoch, ovEpoch                         uint32

	names map[string]nameRes
	// posNames[i] is the name last seen at field position i, resolved
	// as posRes[i].
	posNames []string
	posRes   []nameRes
	state    []uint8
	fstate   []uint8
	// alt[i] is the first alternative of the rule's search i that
	// matched, once state[i] says it did: explain lists that one's
	// values without evaluating the search again.
	alt   []int32
	match Match
	// memo holds regular expression results for this event (entries
	// whose stamp is the epoch), so that explain, or a rule sharing a
	// value, does not run an expression on a value twice.
	memo [memoSize]reMemo
	ctx  evalCtx // the rule being evaluated
	fctx evalCtx // the filter being evaluated

	// prefilter: hits[needle] == epoch when it occurred; found lists
	// them; rstamp[rule] == epoch when the rule is a candidate; cands
	// lists candidates (plan rule indexes).
	hits   []uint32
	found  []int32
	rstamp []uint32
	cands  []int32
	// gates are the pattern gates of the rule being evaluated (nil when
	// none or while a filter is evaluated), in the plan's gateData.
	gates    []int32
	gateData []int32

	// lowBuf holds the lower-cased copies of this event's values.
	lowBuf []byte

	chRaw, chLow string
}

func (rs *Ruleset) getScratch() *scratch {
	if sc, ok := rs.pool.Get().(*scratch); ok {
		return sc
	}
	n := len(rs.fields.names)
	sc := &scratch{
		rs:      rs,
		exHead:  make([]int32, n),
		exTail:  make([]int32, n),
		foHead:  make([]int32, n),
		foTail:  make([]int32, n),
		ovHead:  make([]int32, n),
		exStamp: make([]uint32, n),
		foStamp: make([]uint32, n),
		ovStamp: make([]uint32, n),
		names:   map[string]nameRes{},
		state:   make([]uint8, rs.maxSrch),
		fstate:  make([]uint8, rs.maxSrch),
		alt:     make([]int32, rs.maxSrch),
		hits:    make([]uint32, rs.maxPlanNeedles),
		rstamp:  make([]uint32, rs.maxPlanRules),
	}
	return sc
}

// load indexes the event's fields by rule field id.
func (sc *scratch) load(ev *parsers.Event) {
	sc.ev = ev
	sc.epoch++
	sc.ovEpoch++
	if sc.epoch == 0 { // wrapped: clear stamps
		clear(sc.exStamp)
		clear(sc.foStamp)
		clear(sc.hits)
		clear(sc.rstamp)
		sc.memo = [memoSize]reMemo{}
		sc.epoch = 1
	}
	if sc.ovEpoch == 0 {
		clear(sc.ovStamp)
		sc.ovEpoch = 1
	}
	sc.vals = sc.vals[:0]
	sc.lowBuf = sc.lowBuf[:0]
	sc.entries = sc.entries[:0]
	if len(sc.names) > 8192 {
		clear(sc.names)
	}
	for i := range ev.Fields {
		f := &ev.Fields[i]
		sc.vals = append(sc.vals, fval{raw: f.Value, name: f.Name})
		// Events of one kind list the same names in the same order, so
		// the name at this position last time is checked first.
		var res nameRes
		if i < len(sc.posNames) && sc.posNames[i] == f.Name {
			res = sc.posRes[i]
		} else {
			var ok bool
			res, ok = sc.names[f.Name]
			if !ok {
				res = sc.rs.resolveName(f.Name)
				sc.names[f.Name] = res
			}
			for len(sc.posNames) <= i {
				sc.posNames = append(sc.posNames, "")
				sc.posRes = append(sc.posRes, nameRes{})
			}
			sc.posNames[i], sc.posRes[i] = f.Name, res
		}
		v := int32(i)
		if res.exact >= 0 {
			sc.link(res.exact, v, sc.exHead, sc.exTail, sc.exStamp)
		}
		for _, id := range res.fold {
			sc.link(id, v, sc.foHead, sc.foTail, sc.foStamp)
		}
	}
	sc.nEvVals = len(sc.vals)
}

func (sc *scratch) link(id int, v int32, head, tail []int32, stamp []uint32) {
	e := int32(len(sc.entries))
	sc.entries = append(sc.entries, entry{val: v, next: -1})
	if stamp[id] != sc.epoch {
		stamp[id] = sc.epoch
		head[id] = e
	} else {
		sc.entries[tail[id]].next = e
	}
	tail[id] = e
}

// resolveName finds the rule field ids an event field name feeds: the
// exact name, and (as a fallback used only when the event has no field of
// the exact name) rule fields whose names differ only in case.
func (rs *Ruleset) resolveName(name string) nameRes {
	res := nameRes{exact: -1}
	if id, ok := rs.fields.ids[name]; ok {
		res.exact = id
	}
	for _, id := range rs.foldIdx[strings.ToLower(name)] {
		if id != res.exact {
			res.fold = append(res.fold, id)
		}
	}
	return res
}

// first returns the first entry of field id's values, or -1.
func (sc *scratch) first(id int) int32 {
	if sc.ovStamp[id] == sc.ovEpoch {
		return sc.ovHead[id]
	}
	if sc.exStamp[id] == sc.epoch {
		return sc.exHead[id]
	}
	if sc.foStamp[id] == sc.epoch {
		return sc.foHead[id]
	}
	return -1
}

// lower returns value v lower-cased, computing it at most once per
// event. ASCII values are lower-cased into the scratch's buffer, so the
// result is valid only until the next event: it must not outlive the
// Match call (matches report raw values).
func (sc *scratch) lower(v int32) string {
	f := &sc.vals[v]
	if !f.hasLow {
		f.low = sc.lowerInto(f.raw)
		f.hasLow = true
	}
	return f.low
}

// scanText returns value v as an automaton scans it: raw when it is
// ASCII (the automata fold ASCII case), else lower-cased.
func (sc *scratch) scanText(v int32) string {
	if f := &sc.vals[v]; f.isASCII() {
		return f.raw
	}
	return sc.lower(v)
}

// isASCII reports whether the raw value is ASCII, computing it once.
func (f *fval) isASCII() bool {
	if f.ascii == 0 {
		f.ascii = 1
		for i := 0; i < len(f.raw); i++ {
			if f.raw[i] >= 0x80 {
				f.ascii = 2
				break
			}
		}
	}
	return f.ascii == 1
}

func (sc *scratch) lowerInto(s string) string {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return strings.ToLower(s)
		}
		if c >= 'A' && c <= 'Z' {
			break
		}
	}
	if i == len(s) {
		return s // already lower-case ASCII
	}
	for j := i; j < len(s); j++ {
		if s[j] >= 0x80 {
			return strings.ToLower(s)
		}
	}
	start := len(sc.lowBuf)
	sc.lowBuf = append(sc.lowBuf, s...)
	b := sc.lowBuf[start:]
	for j := i; j < len(b); j++ {
		if c := b[j]; c >= 'A' && c <= 'Z' {
			b[j] = c + ('a' - 'A')
		}
	}
	// The bytes are never written again during this event: lowBuf only
	// grows until load resets it, and a reallocation leaves them in the
	// old array.
	return unsafe.String(&b[0], len(b))
}

// toLower is strings.ToLower without an allocation for ASCII strings that
// are already lower-case.
func toLower(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// applyMapping overrides rule fields with mapped values for one group.
// The event itself is not touched.
func (sc *scratch) applyMapping(m *compiledMapping) {
	sc.ovEpoch++
	if sc.ovEpoch == 0 {
		clear(sc.ovStamp)
		sc.ovEpoch = 1
	}
	var src [maxMappedSources]string
	for _, t := range m.fields {
		n := 0
		present := false
		for _, name := range t.src {
			v, ok := sc.eventValue(name)
			present = present || ok
			if n < len(src) {
				src[n] = v
				n++
			}
		}
		if !present {
			continue // keep whatever the event itself has
		}
		out, ok := t.m.convert(src[:n])
		if !ok {
			continue
		}
		v := int32(len(sc.vals))
		sc.vals = append(sc.vals, fval{raw: out, name: sc.rs.fields.names[t.id]})
		e := int32(len(sc.entries))
		sc.entries = append(sc.entries, entry{val: v, next: -1})
		sc.ovHead[t.id] = e
		sc.ovStamp[t.id] = sc.ovEpoch
	}
}

// clearMapping drops the overrides of applyMapping.
func (sc *scratch) clearMapping() {
	sc.ovEpoch++
	if sc.ovEpoch == 0 {
		clear(sc.ovStamp)
		sc.ovEpoch = 1
	}
}

// eventValue returns the first value of a named event field (exact name,
// then case-insensitive).
func (sc *scratch) eventValue(name string) (string, bool) {
	if v, ok := sc.ev.Get(name); ok {
		return v, true
	}
	for i := range sc.ev.Fields {
		if strings.EqualFold(sc.ev.Fields[i].Name, name) {
			return sc.ev.Fields[i].Value, true
		}
	}
	return "", false
}

// channelKey returns the event's channel in lower case, cached across
// events of the same channel.
func (sc *scratch) channelKey(ch string) string {
	if ch != sc.chRaw {
		sc.chRaw, sc.chLow = ch, strings.ToLower(ch)
	}
	return sc.chLow
}

// Match evaluates every rule whose logsource can match ev and calls fn for
// each rule that matches, in load order within each route group. The Match
// is valid only during the call. Match never modifies ev and is safe for
// concurrent use; fn is called on the calling goroutine.
//
// Rules with Generate == false are evaluated too (correlations need their
// matches); callers decide whether to print them.
//
// Routing: an event with a channel is checked against rules routed to its
// channel and event ID (see logsources.yml), plus rules whose logsource
// names only "product: windows". An event without a channel (a JSON log of
// unknown shape) is checked against every rule, without field mappings.
// Of those, only rules the prefilter cannot rule out are evaluated (see
// plan).
func (rs *Ruleset) Match(ev *parsers.Event, fn func(*Match)) {
	sc := rs.getScratch()
	sc.load(ev)
	if p := rs.planFor(sc); p != nil {
		sc.run(p, fn)
	}
	sc.ev = nil
	rs.pool.Put(sc)
}

// evalCtx evaluates one detection against the scratch's event.
type evalCtx struct {
	sc    *scratch
	det   *detection
	state []uint8 // per search: 0 unknown, 1 false, 2 true
	alt   []int32 // per search that matched: its first matching alternative; nil: not kept
}

func (c *evalCtx) search(i int) bool {
	switch c.state[i] {
	case 1:
		return false
	case 2:
		return true
	}
	alt := c.sc.matchingAlt(c.det.searches[i])
	if alt < 0 {
		c.state[i] = 1
		return false
	}
	c.state[i] = 2
	if c.alt != nil {
		c.alt[i] = int32(alt)
	}
	return true
}

// evalRule evaluates a rule with its gates in the current plan (nil: none;
// with the prefilter off there are none) and calls fn if it matches.
func (sc *scratch) evalRule(cr *compiledRule, gates []int32, fn func(*Match)) {
	if sc.rs.noPrefilter {
		gates = nil
	}
	sc.gates = gates
	st := sc.state[:len(cr.det.searches)]
	clear(st)
	// The contexts live in the scratch: condition nodes are interfaces,
	// so a local one would escape to the heap on every rule.
	c := &sc.ctx
	*c = evalCtx{sc: sc, det: cr.det, state: st, alt: sc.alt[:len(st)]}
	if !cr.det.cond.eval(c) {
		sc.gates = nil
		return
	}
	// Filters number their patterns apart: no gates.
	sc.gates = nil
	for _, f := range cr.filters {
		fst := sc.fstate[:len(f.searches)]
		clear(fst)
		fc := &sc.fctx
		*fc = evalCtx{sc: sc, det: f, state: fst}
		if f.cond.eval(fc) {
			return
		}
	}
	sc.gates = gates // explain looks at the matching values again
	m := &sc.match
	m.Rule = cr.rule
	m.Searches = m.Searches[:0]
	m.Values = m.Values[:0]
	for i, s := range cr.det.searches {
		if st[i] == 2 && cr.det.positive[i] {
			m.Searches = append(m.Searches, s.name)
			for _, fm := range s.alts[sc.alt[i]] {
				m.Values = sc.explainField(fm, m.Values)
			}
		}
	}
	sc.gates = nil
	fn(m)
}

// matchingAlt returns the index of the first alternative of s that
// matches, or -1.
func (sc *scratch) matchingAlt(s *search) int {
	for a, alt := range s.alts {
		ok := true
		for _, fm := range alt {
			if !sc.evalField(fm) {
				ok = false
				break
			}
		}
		if ok {
			return a
		}
	}
	return -1
}

func (sc *scratch) evalField(fm *fieldMatcher) bool {
	switch fm.kind {
	case fmNever:
		return false
	case fmNull, fmAbsent:
		return sc.first(fm.field) < 0
	case fmExists:
		return sc.first(fm.field) >= 0
	}
	if fm.field < 0 {
		return sc.evalKeywords(fm)
	}
	head := sc.first(fm.field)
	if head < 0 {
		return false
	}
	switch {
	case fm.neq:
		for i := range fm.pats {
			if !sc.patMay(&fm.pats[i]) {
				continue
			}
			for e := head; e >= 0; e = sc.entries[e].next {
				if sc.matchValue(fm, &fm.pats[i], sc.entries[e].val) {
					return false
				}
			}
		}
		return true
	case fm.all:
		for i := range fm.pats {
			if !sc.patMay(&fm.pats[i]) {
				return false
			}
			found := false
			for e := head; e >= 0 && !found; e = sc.entries[e].next {
				found = sc.matchValue(fm, &fm.pats[i], sc.entries[e].val)
			}
			if !found {
				return false
			}
		}
		return true
	}
	for i := range fm.pats {
		if !sc.patMay(&fm.pats[i]) {
			continue
		}
		for e := head; e >= 0; e = sc.entries[e].next {
			if sc.matchValue(fm, &fm.pats[i], sc.entries[e].val) {
				return true
			}
		}
	}
	return false
}

// evalKeywords matches keyword patterns against every value of the event.
func (sc *scratch) evalKeywords(fm *fieldMatcher) bool {
	if fm.all {
		for i := range fm.pats {
			if !sc.patMay(&fm.pats[i]) {
				return false
			}
			found := false
			for v := 0; v < sc.nEvVals && !found; v++ {
				found = sc.matchValue(fm, &fm.pats[i], int32(v))
			}
			if !found {
				return false
			}
		}
		return true
	}
	for i := range fm.pats {
		if !sc.patMay(&fm.pats[i]) {
			continue
		}
		for v := 0; v < sc.nEvVals; v++ {
			if sc.matchValue(fm, &fm.pats[i], int32(v)) {
				return true
			}
		}
	}
	return false
}

func (sc *scratch) matchValue(fm *fieldMatcher, p *valueMatcher, v int32) bool {
	switch p.kind {
	case vmStr:
		if fm.fold {
			return p.str.match(sc.lower(v))
		}
		return p.str.match(sc.vals[v].raw)
	case vmRegexp:
		raw := sc.vals[v].raw
		if len(raw) < p.reMin || p.reMax >= 0 && len(raw) > p.reMax {
			return false
		}
		if r := p.run; r != nil {
			return r.match(raw)
		}
		if p.affix != nil && !p.affix.may(raw) {
			return false
		}
		// The expression's result for this value may be known.
		e := &sc.memo[memoSlot(p, v)]
		if e.stamp == sc.epoch && e.p == p && e.v == v {
			return e.res
		}
		var ok bool
		if f := p.fast; f != nil && (!f.fold || sc.vals[v].isASCII()) {
			if f.fold {
				ok = f.match(sc.lower(v))
			} else {
				ok = f.match(raw)
			}
		} else {
			ok = p.re.MatchString(raw)
		}
		*e = reMemo{p: p, v: v, stamp: sc.epoch, res: ok}
		return ok
	case vmCIDR:
		a, ok := parseIP(sc.vals[v].raw)
		return ok && p.net.Contains(a)
	case vmNum:
		n, ok := parseNumber(sc.vals[v].raw)
		return ok && p.op.test(n, p.num)
	case vmTime:
		n, ok := timeValue(sc.vals[v].raw, p.tp)
		return ok && p.op.test(n, p.num)
	case vmFieldRef:
		for e := sc.first(p.ref); e >= 0; e = sc.entries[e].next {
			rv := sc.entries[e].val
			a, b := sc.vals[v].raw, sc.vals[rv].raw
			if fm.fold {
				a, b = sc.lower(v), sc.lower(rv)
			}
			pat := strPattern{op: p.str.op, lit: b}
			if pat.match(a) {
				return true
			}
		}
	}
	return false
}

// memoSize is the number of regular expression results a scratch keeps
// per event; two results that hash alike replace each other (the
// expression then runs again, with the same answer).
const memoSize = 256

// reMemo is one regular expression result: pattern p on value v.
type reMemo struct {
	p     *valueMatcher
	v     int32
	stamp uint32 // the event's epoch
	res   bool
}

// memoSlot hashes a pattern and a value to a slot of scratch.memo.
func memoSlot(p *valueMatcher, v int32) uint {
	h := uint64(uintptr(unsafe.Pointer(p))>>3) ^ uint64(uint32(v))*0x9E3779B97F4A7C15
	return uint((h ^ h>>29) % memoSize)
}

// explainField appends the values that made fm hold: for the matchers of
// the first alternative of a search that matched (evalRule; the search is
// not evaluated again, and expressions already run are in the memo).
func (sc *scratch) explainField(fm *fieldMatcher, out []FieldValue) []FieldValue {
	switch fm.kind {
	case fmNull, fmAbsent, fmNever:
		return out
	case fmExists:
		if e := sc.first(fm.field); e >= 0 {
			return append(out, FieldValue{fm.name, sc.vals[sc.entries[e].val].raw})
		}
		return out
	}
	if fm.field < 0 {
		for v := 0; v < sc.nEvVals; v++ {
			for i := range fm.pats {
				if sc.matchValue(fm, &fm.pats[i], int32(v)) {
					return append(out, FieldValue{sc.vals[v].name, sc.vals[v].raw})
				}
			}
		}
		return out
	}
	for e := sc.first(fm.field); e >= 0; e = sc.entries[e].next {
		v := sc.entries[e].val
		if fm.neq {
			return append(out, FieldValue{fm.name, sc.vals[v].raw})
		}
		for i := range fm.pats {
			if sc.matchValue(fm, &fm.pats[i], v) {
				out = append(out, FieldValue{fm.name, sc.vals[v].raw})
				if !fm.all {
					return out
				}
				break
			}
		}
	}
	return out
}
