package evtx

import (
	"slices"
	"time"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtx/internal/binxml"
)

// Plans. Most records of a chunk are instances of a few templates, and the
// normalization of an instance depends only on its template and on the
// types of its substitution values: which fields it has, in which order,
// under which names, and which substitution or literal text each field
// holds. So the first instance of a template in a chunk is normalized from
// its tree (fill), which records a plan; the next instances whose values
// have the same types skip building the tree and replay the plan: they
// only render their values.
//
// Most records are an instance of a System template whose EventData or
// UserData is a BinXml value holding an instance of a second template: a
// plan is for the outer template, the templates of its nested instances
// (binxml.Decoder.Shape parses those without building a tree), and the
// types of all their values.
//
// A plan is recorded only where replaying it is exact: every template was
// instantiated from its image (so every substituted value names its
// substitution, binxml.Doc.Subst; Decoder.Opaque is false), and no field
// name or array length comes from a substitution. Anything else marks the
// plan unusable and those records keep the tree path. Plans live for one
// chunk: their literal texts are strings of the chunk's text memory.

// opKind says what a plan step does.
type opKind uint8

const (
	opField    opKind = iota // add a field
	opEventID                // set Event.EventID
	opLevel                  // set Event.Level
	opRecordID               // set Event.RecordID
	opTime                   // set Event.Time
)

// planOp is one step of a plan. The value is substitution subst, or when
// subst is -1 the literal lit (fields), num/numOK (integers) or the time
// num seconds and nsec nanoseconds after the Unix epoch (times are UTC).
type planOp struct {
	kind  opKind
	slot  int8 // value cache slot of a field, or -1
	numOK bool
	subst int32
	nsec  int32
	name  string
	lit   string
	num   uint64
}

// plan replays the normalization of one template's instances.
type plan struct {
	nested []int32  // templates of the nested instances (Decoder.Nested)
	types  []uint8  // types of all the record's values (Decoder.Values)
	ops    []planOp // a slice of planCache.ops from index start
	start  int
	// span indices of the core strings
	computer, channel, provider int
	// bad marks a template whose instances cannot be replayed; the
	// plan is kept so that it is not recorded again.
	bad bool
}

// planCache holds the plans of one chunk, by outer template id: a few per
// template, as one System template carries many kinds of event data. The
// steps of all of them are in ops, emptied with the cache: a plan is
// recorded at a time, so its steps are always the last ones.
type planCache struct {
	gen   uint64
	byID  [][]*plan
	spare []*plan
	ops   []planOp
}

// initOps is the initial capacity of planCache.ops: what the plans of a
// typical chunk take.
const initOps = 1024

// plansPerTemplate bounds the plans kept for one outer template; a new one
// replaces the oldest.
const plansPerTemplate = 32

// lookup returns the plans of template id for the chunk of generation gen,
// clearing the cache when the chunk changed.
func (pc *planCache) lookup(gen uint64, id int32) *[]*plan {
	if pc.gen != gen {
		for i, ps := range pc.byID {
			pc.spare = append(pc.spare, ps...)
			pc.byID[i] = ps[:0]
		}
		pc.gen = gen
		if pc.ops == nil {
			pc.ops = make([]planOp, 0, initOps)
		}
		pc.ops = pc.ops[:0]
	}
	for int(id) >= len(pc.byID) {
		pc.byID = append(pc.byID, nil)
	}
	return &pc.byID[id]
}

func (pc *planCache) newPlan() *plan {
	if n := len(pc.spare); n > 0 {
		p := pc.spare[n-1]
		pc.spare = pc.spare[:n-1]
		*p = plan{nested: p.nested[:0], types: p.types[:0]}
		return p
	}
	return &plan{}
}

// find returns the plan of ps recorded for these nested templates and
// value types, or nil.
func find(ps []*plan, nested []int32, vals []binxml.Value) *plan {
	for _, p := range ps {
		if slices.Equal(p.nested, nested) && sameTypes(p.types, vals) {
			return p
		}
	}
	return nil
}

// sameTypes reports whether vals have the types a plan was recorded with.
func sameTypes(types []uint8, vals []binxml.Value) bool {
	if len(types) != len(vals) {
		return false
	}
	for i := range vals {
		if vals[i].Type != types[i] {
			return false
		}
	}
	return true
}

// maxPlanTemplates bounds the plans of one chunk (template ids are
// bounded by the chunk anyway; this keeps the cache small).
const maxPlanTemplates = 4096

// startPlan begins recording a plan from the record dec decoded (Exec),
// when every value it substituted can be named (not Opaque) and no plan
// for its templates and value types exists.
func (n *normalizer) startPlan(dec *binxml.Decoder) {
	id, _, ok := dec.Instance()
	if !ok || id >= maxPlanTemplates || !dec.Imaged(id) || dec.Opaque() {
		return
	}
	ps := n.plans.lookup(dec.Doc.Gen, id)
	vals, nested := dec.Values(), dec.Nested()
	if find(*ps, nested, vals) != nil {
		return // recorded already (perhaps as unusable)
	}
	p := n.plans.newPlan()
	p.nested = append(p.nested, nested...)
	for _, v := range vals {
		p.types = append(p.types, v.Type)
	}
	if len(*ps) >= plansPerTemplate {
		n.plans.spare = append(n.plans.spare, (*ps)[0])
		*ps = append((*ps)[:0], (*ps)[1:]...)
	}
	*ps = append(*ps, p)
	p.start = len(n.plans.ops)
	n.rec = p
	n.lits = n.lits[:0]
}

// addOp appends a step to the plan being recorded.
func (n *normalizer) addOp(op planOp) {
	pc, p := &n.plans, n.rec
	pc.ops = append(pc.ops, op)
	p.ops = pc.ops[p.start:len(pc.ops):len(pc.ops)]
}

// finishPlan completes the recorded plan: literal fields take their text
// from this record's spans (strings of the chunk's text memory).
func (n *normalizer) finishPlan(ok bool) {
	p := n.rec
	n.rec = nil
	if !ok || len(p.ops) == 0 {
		p.bad = true
	}
	if p.bad {
		p.ops = nil
		n.plans.ops = n.plans.ops[:p.start]
		return
	}
	for _, i := range n.lits {
		op := &p.ops[i]
		op.lit = n.spans[op.num].val
		op.num = 0
	}
	p.computer, p.channel, p.provider = n.computer, n.channel, n.provider
}

// recordLiteral notes that the last span holds text that is the same in
// every instance of the template.
func (n *normalizer) recordLiteral() {
	if n.rec == nil {
		return
	}
	sp := &n.spans[len(n.spans)-1]
	n.lits = append(n.lits, int32(len(n.rec.ops)))
	// num holds the span index until finishPlan reads the span's text.
	n.addOp(planOp{kind: opField, name: sp.name, slot: -1, subst: -1, num: uint64(len(n.spans) - 1)})
}

// recordText notes the last span, made of the text of node c and its
// siblings: literal, unless a substitution contributed to it.
func (n *normalizer) recordText(doc *binxml.Doc, c int32) {
	if n.rec == nil {
		return
	}
	if n.substIn(doc, c) {
		n.rec.bad = true
		return
	}
	n.recordLiteral()
}

// substIn reports whether node c or one of its following siblings is a
// value filled from a substitution.
func (n *normalizer) substIn(doc *binxml.Doc, c int32) bool {
	for ; c >= 0; c = doc.Nodes[c].Next {
		if doc.Subst(c) >= 0 {
			return true
		}
	}
	return false
}

// uintAt returns the integer value of element or attribute i (uintOf) and
// records where it came from.
func (n *normalizer) uintAt(doc *binxml.Doc, i int32, kind opKind) (uint64, bool) {
	v, ok := uintOf(doc, i)
	if n.rec != nil {
		op := planOp{kind: kind, subst: -1, num: v, numOK: ok}
		if c := firstContent(doc, i); c >= 0 {
			if k := doc.Subst(c); k >= 0 {
				op.subst = int32(k)
			}
		}
		n.addOp(op)
	}
	return v, ok
}

// timeAt returns the time held by attribute or element i (timeOf) and
// records where it came from: only a substituted FILETIME, or a literal,
// can be replayed.
func (n *normalizer) timeAt(doc *binxml.Doc, i int32) time.Time {
	t := timeOf(doc, i)
	if n.rec != nil {
		op := planOp{kind: opTime, subst: -1, num: uint64(t.Unix()), nsec: int32(t.Nanosecond())}
		if c := doc.Nodes[i].Child; c >= 0 {
			if k := doc.Subst(c); k >= 0 && doc.Nodes[c].Type == binxml.TypeFileTime && doc.Nodes[c].Next < 0 {
				op.subst = int32(k)
			} else if n.substIn(doc, c) {
				n.rec.bad = true
			}
		}
		n.addOp(op)
	}
	return t
}

// replay normalizes the record dec parsed (without Exec) into ev by the
// plan of its templates, and reports whether it could: false when the
// record is not one template instance, no usable plan has its templates and
// value types, or a value is not what the plan expects (then ev must be
// refilled from the tree, after Exec). keep limits the fields as for fill.
func (n *normalizer) replay(ev *parsers.Event, dec *binxml.Decoder, keep map[string]bool) bool {
	id, _, ok := dec.Instance()
	if !ok || id >= maxPlanTemplates {
		return false
	}
	ps := *n.plans.lookup(dec.Doc.Gen, id)
	if len(ps) == 0 || !dec.Shape() {
		return false
	}
	vals := dec.Values()
	p := find(ps, dec.Nested(), vals)
	if p == nil || p.bad {
		return false
	}
	chunk := dec.Chunk()
	bytesOf := func(k int32) []byte {
		v := vals[k]
		return chunk[v.Off : v.Off+v.Size]
	}
	fields := n.begin(ev, keep)
	for i := range p.ops {
		op := &p.ops[i]
		switch op.kind {
		case opField:
			if op.subst < 0 {
				n.spans = append(n.spans, span{name: op.name, val: op.lit, slot: -1})
				continue
			}
			n.scalar(op.name, op.slot, vals[op.subst].Type, bytesOf(op.subst))
		case opEventID, opLevel, opRecordID:
			v, ok := op.num, op.numOK
			if op.subst >= 0 {
				v, ok = binxml.UintOf(vals[op.subst].Type, bytesOf(op.subst))
			}
			if !ok {
				continue
			}
			switch op.kind {
			case opEventID:
				ev.EventID = uint32(v)
			case opLevel:
				ev.Level = uint8(v)
			default:
				ev.RecordID = v
			}
		case opTime:
			if op.subst < 0 {
				ev.Time = time.Unix(int64(op.num), int64(op.nsec)).UTC()
				continue
			}
			b := bytesOf(op.subst)
			if len(b) != 8 {
				return false // timeOf would parse the value's text
			}
			ev.Time = fileTime(b)
		}
	}
	if n.full() {
		return false // fill cuts the text where it overflows
	}
	n.computer, n.channel, n.provider = p.computer, p.channel, p.provider
	n.end(ev, fields)
	return true
}
