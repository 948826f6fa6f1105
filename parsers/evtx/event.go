package evtx

import (
	"strings"
	"time"
	"unsafe"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtx/internal/binxml"
)

// Field naming (see parsers.Field):
//   - System: an element's text is named after the element (EventID, Level,
//     Task, Opcode, Keywords, Version, EventRecordID, Channel, Computer);
//     its attributes are named Element_Attribute (Provider_Name,
//     Provider_Guid, TimeCreated_SystemTime, Security_UserID,
//     EventID_Qualifiers, Correlation_ActivityID), except the attributes of
//     Execution, which keep their own names (ProcessID, ThreadID).
//   - EventData: <Data Name="X"> gives field X; unnamed <Data> elements give
//     the repeated field Data; other elements (Binary) their element name;
//     attributes of <EventData> itself (Name) their attribute name.
//   - UserData and any other section: every leaf element gives a field named
//     after the element, and every attribute (but xmlns) a field named after
//     the attribute. RenderingInfo fields are prefixed RenderingInfo_.
//   - An array value gives one field per element, with the same name.

// Field values are written into a text block and turned into strings
// without a copy. The block is reused from chunk to chunk (resetText), so
// decoding allocates nothing per record once it has warmed up; this is why
// an emitted event's strings are only valid during the emit call
// (parsers.EmitFunc) and a consumer that keeps one copies it
// (parsers.Event.Clone). Within a chunk, text is never overwritten: the
// value cache hands out strings of earlier records of the same chunk.
const (
	textBlock   = 32 << 10  // the first block, and the least free space a record starts with
	maxKeptText = 512 << 10 // the largest block; a chunk with more text takes several
)

// resetText starts the text of a new chunk: the memory of the last chunk's
// strings is reused, and the value cache, which points into it, is cleared.
func (n *normalizer) resetText() {
	n.block = n.store[:0]
	n.vc = [len(n.vc)]cachedValue{}
}

// startArena points n.arena at the free end of the current block, starting
// a larger block when little is left.
func (n *normalizer) startArena() {
	if cap(n.block)-len(n.block) < textBlock/8 {
		// Twice the reused block: a chunk that did not fit in it will
		// fit in the next one.
		n.block = make([]byte, 0, min(max(textBlock, 2*cap(n.store)), maxKeptText))
		if cap(n.block) > cap(n.store) {
			n.store = n.block
		}
	}
	n.arena = n.block[len(n.block):len(n.block)]
}

// finishArena returns the record's text as a string sharing the arena's
// memory, and retires that memory until the next resetText.
func (n *normalizer) finishArena() string {
	if len(n.arena) == 0 {
		return ""
	}
	s := unsafe.String(&n.arena[0], len(n.arena))
	if cap(n.block)-len(n.block) >= len(n.arena) && &n.block[:len(n.block)+1][len(n.block)] == &n.arena[0] {
		n.block = n.block[:len(n.block)+len(n.arena)] // still in the block
	} else {
		n.block = nil // append moved the text out of the block: start a new one
	}
	n.arena = nil
	return s
}

type span struct {
	name       string
	start, end int32  // in the record's text, unless val is set
	val        string // a value reused from an earlier record
	slot       int8   // value cache slot to fill from this span, or -1
}

// System values mostly repeat from record to record (computer, channel,
// provider, keywords…): they are cached by field, raw bytes and type, and
// a repeated value reuses the string of the earlier record.
type cachedValue struct {
	typ uint8
	n   uint8
	raw [46]byte
	s   string
}

// valueSlot returns the cache slot of a field name, or -1.
func valueSlot(name string) int8 {
	switch name {
	case "Provider_Name":
		return 0
	case "Provider_Guid":
		return 1
	case "Channel":
		return 2
	case "Computer":
		return 3
	case "Keywords":
		return 4
	case "Version":
		return 5
	case "Level":
		return 6
	case "Task":
		return 7
	case "Opcode":
		return 8
	case "Security_UserID":
		return 9
	case "EventID":
		return 10
	case "ProcessID":
		return 11
	case "ThreadID":
		return 12
	case "Provider_EventSourceName":
		return 13
	}
	return -1
}

// scalarAt adds the field name = the scalar value node vi and returns its
// span index.
func (n *normalizer) scalarAt(name string, doc *binxml.Doc, vi int32) int {
	v := &doc.Nodes[vi]
	slot := valueSlot(name)
	i := n.scalar(name, slot, v.Type, doc.Bytes(v))
	if n.rec != nil {
		if k := doc.Subst(vi); k >= 0 {
			n.addOp(planOp{kind: opField, name: name, slot: slot, subst: int32(k)})
		} else {
			n.recordLiteral()
		}
	}
	return i
}

// scalar adds the field name = the scalar value (t, b), using value cache
// slot (-1: none), and returns its span index.
func (n *normalizer) scalar(name string, slot int8, t uint8, b []byte) int {
	if slot >= 0 && len(b) <= len(n.vc[0].raw) {
		c := &n.vc[slot]
		if c.s != "" && c.typ == t && int(c.n) == len(b) && string(c.raw[:c.n]) == string(b) {
			n.spans = append(n.spans, span{name: name, val: c.s, slot: -1})
			return len(n.spans) - 1
		}
		c.typ, c.n, c.s = t, uint8(len(b)), ""
		copy(c.raw[:], b)
	} else {
		slot = -1
	}
	start := len(n.arena)
	n.arena = binxml.AppendScalar(n.arena, t, b)
	n.spans = append(n.spans, span{name: name, start: int32(start), end: int32(len(n.arena)), slot: slot})
	return len(n.spans) - 1
}

// normalizer turns a decoded record tree into a parsers.Event. Its buffers
// are reused from record to record.
type normalizer struct {
	arena []byte // this record's text; never reused once handed out
	block []byte // the text block arena was cut from
	store []byte // the block reused by the next chunk
	spans []span
	keep  map[string]bool
	names map[string]string    // interned field names from attribute text
	pairs map[[2]string]string // interned Element_Attribute names

	computer, channel, provider int // span indices, or -1

	rec   *plan     // the plan being recorded from this record, or nil
	plans planCache // plans of this chunk's templates
	lits  []int32   // ops of rec whose literal text is the span's

	textLen   int           // text bytes of the last record
	nameCache [256]nameSlot // Data Name texts by chunk offset
	vc        [14]cachedValue
}

func (n *normalizer) intern(b []byte) string {
	if n.names == nil {
		n.names = make(map[string]string)
	}
	if s, ok := n.names[string(b)]; ok {
		return s
	}
	if len(n.names) > 1<<16 {
		clear(n.names)
	}
	s := string(b)
	n.names[s] = s
	return s
}

// dataName returns the text of the Name attribute a of a <Data> element.
// The name is nearly always a literal of the template, so it is cached by
// its chunk offset.
func (n *normalizer) dataName(doc *binxml.Doc, a int32) string {
	v := doc.Nodes[a].Child
	if n.rec != nil && n.substIn(doc, v) {
		n.rec.bad = true // a field name that changes from record to record
	}
	if v < 0 || doc.Nodes[v].Next >= 0 || doc.Nodes[v].Kind != binxml.KindValue || doc.Nodes[v].Type != binxml.TypeString {
		var buf [128]byte
		return n.intern(doc.AppendText(buf[:0], a))
	}
	off := doc.Nodes[v].Off
	slot := &n.nameCache[(off>>1)%uint32(len(n.nameCache))]
	if slot.gen == doc.Gen && slot.off == off && slot.s != "" {
		return slot.s
	}
	var buf [128]byte
	s := n.intern(doc.AppendText(buf[:0], a))
	*slot = nameSlot{gen: doc.Gen, off: off, s: s}
	return s
}

type nameSlot struct {
	gen uint64
	off uint32
	s   string
}

func (n *normalizer) pair(a, b string) string {
	switch a {
	case "Provider":
		switch b {
		case "Name":
			return "Provider_Name"
		case "Guid":
			return "Provider_Guid"
		}
	case "TimeCreated":
		if b == "SystemTime" {
			return "TimeCreated_SystemTime"
		}
	case "Security":
		if b == "UserID" {
			return "Security_UserID"
		}
	case "Correlation":
		if b == "ActivityID" {
			return "Correlation_ActivityID"
		}
	case "EventID":
		if b == "Qualifiers" {
			return "EventID_Qualifiers"
		}
	}
	if n.pairs == nil {
		n.pairs = make(map[[2]string]string)
	}
	k := [2]string{a, b}
	if s, ok := n.pairs[k]; ok {
		return s
	}
	if len(n.pairs) > 1<<16 {
		clear(n.pairs)
	}
	s := a + "_" + b
	n.pairs[k] = s
	return s
}

// maxRendered bounds the text of one record. A record is at most 64 KiB,
// but a template may repeat a substitution, so its text could otherwise
// grow far beyond that.
const maxRendered = 1 << 20

// full reports whether the record's text reached maxRendered.
func (n *normalizer) full() bool { return len(n.arena) > maxRendered }

func (n *normalizer) wanted(name string) bool {
	return n.keep == nil || n.keep[name]
}

// text renders the text of node i as one field value and returns its span
// index, or -1 when the field is not wanted and force is false.
func (n *normalizer) text(doc *binxml.Doc, name string, i int32, force bool) int {
	if (!force && !n.wanted(name)) || n.full() {
		return -1
	}
	if c := doc.Nodes[i].Child; c >= 0 && doc.Nodes[c].Next < 0 && doc.Nodes[c].Kind == binxml.KindValue && doc.Nodes[c].Type&binxml.TypeArray == 0 {
		return n.scalarAt(name, doc, c) // the common case: one scalar value
	}
	start := len(n.arena)
	n.arena = doc.AppendText(n.arena, i)
	n.spans = append(n.spans, span{name: name, start: int32(start), end: int32(len(n.arena)), slot: -1})
	n.recordText(doc, doc.Nodes[i].Child)
	return len(n.spans) - 1
}

// elem adds the text of element i as field name; an element holding a
// single array value adds one field per array element.
func (n *normalizer) elem(doc *binxml.Doc, name string, i int32) {
	if !n.wanted(name) || n.full() {
		return
	}
	c := firstContent(doc, i)
	if c >= 0 && doc.Nodes[c].Next < 0 {
		if v := &doc.Nodes[c]; v.Kind == binxml.KindValue && v.Type&binxml.TypeArray == 0 {
			n.scalarAt(name, doc, c) // the common case: one scalar value
			return
		}
		if v := &doc.Nodes[c]; v.Kind == binxml.KindValue && v.Type&binxml.TypeArray != 0 {
			// MS-EVEN6 3.1.4.7.5: an array repeats its element once per
			// item. An empty array still leaves the element, empty.
			// A substituted array's length varies from record to
			// record: a plan cannot replay it.
			if n.rec != nil && doc.Subst(c) >= 0 {
				n.rec.bad = true
			}
			items := 0
			binxml.Elems(v.Type, doc.Bytes(v), func(t uint8, e []byte) bool {
				start := len(n.arena)
				n.arena = binxml.AppendScalar(n.arena, t, e)
				n.spans = append(n.spans, span{name: name, start: int32(start), end: int32(len(n.arena)), slot: -1})
				n.recordLiteral()
				items++
				return !n.full()
			})
			if items == 0 {
				n.spans = append(n.spans, span{name: name, start: int32(len(n.arena)), end: int32(len(n.arena)), slot: -1})
				n.recordLiteral()
			}
			return
		}
	}
	start := len(n.arena)
	first := c
	for ; c >= 0 && !n.full(); c = doc.Nodes[c].Next {
		n.arena = doc.AppendNodeText(n.arena, c)
	}
	n.spans = append(n.spans, span{name: name, start: int32(start), end: int32(len(n.arena)), slot: -1})
	n.recordText(doc, first)
}

func hasText(doc *binxml.Doc, i int32) bool {
	for c := doc.Nodes[i].Child; c >= 0; c = doc.Nodes[c].Next {
		switch doc.Nodes[c].Kind {
		case binxml.KindValue, binxml.KindCharRef, binxml.KindEntityRef, binxml.KindCDATA:
			return true
		}
	}
	return false
}

// fill resets ev and fills it from doc. keep limits the fields (nil: all).
// It returns false when the record's text exceeds maxRendered; ev then
// holds what fitted. With planFrom set (the decoder doc is from), and a
// record that is one instance of an imaged template, it also records the
// plan that replays this normalization for the chunk's next instances of
// the template (replay).
func (n *normalizer) fill(ev *parsers.Event, doc *binxml.Doc, keep map[string]bool, planFrom *binxml.Decoder) bool {
	fields := n.begin(ev, keep)
	n.rec = nil
	if planFrom != nil {
		n.startPlan(planFrom)
	}
	if root := doc.Root(); root >= 0 {
		for c := doc.Nodes[root].Child; c >= 0; c = doc.Nodes[c].Next {
			nd := &doc.Nodes[c]
			if nd.Kind != binxml.KindElement {
				continue
			}
			switch doc.NameOf(nd) {
			case "System":
				n.system(ev, doc, c)
			case "EventData":
				n.eventData(doc, c)
			case "RenderingInfo":
				n.leaves(doc, c, "RenderingInfo")
			default:
				n.leaves(doc, c, "")
			}
		}
	}
	ok := n.end(ev, fields)
	if n.rec != nil {
		n.finishPlan(ok)
	}
	return ok
}

// begin resets ev and the normalizer for a record and returns ev's Fields
// emptied, to be refilled.
func (n *normalizer) begin(ev *parsers.Event, keep map[string]bool) []parsers.Field {
	n.startArena()
	n.spans = n.spans[:0]
	n.keep = keep
	n.computer, n.channel, n.provider = -1, -1, -1
	fields := ev.Fields[:0]
	*ev = parsers.Event{}
	return fields
}

// end turns the spans into ev's fields and core strings. It returns false
// when the record's text exceeded maxRendered.
func (n *normalizer) end(ev *parsers.Event, fields []parsers.Field) bool {
	ok := !n.full()
	n.textLen = len(n.arena)
	s := n.finishArena()
	for i := range n.spans {
		sp := &n.spans[i]
		if sp.val == "" {
			sp.val = s[sp.start:sp.end]
			if sp.slot >= 0 {
				n.vc[sp.slot].s = sp.val
			}
		}
		if n.keep == nil || n.keep[sp.name] {
			fields = append(fields, parsers.Field{Name: sp.name, Value: sp.val})
		}
	}
	ev.Fields = fields
	get := func(i int) string {
		if i < 0 {
			return ""
		}
		return n.spans[i].val
	}
	ev.Computer, ev.Channel, ev.Provider = get(n.computer), get(n.channel), get(n.provider)
	return ok
}

func (n *normalizer) system(ev *parsers.Event, doc *binxml.Doc, sys int32) {
	for c := doc.Nodes[sys].Child; c >= 0; c = doc.Nodes[c].Next {
		nd := &doc.Nodes[c]
		if nd.Kind != binxml.KindElement {
			continue
		}
		name := doc.NameOf(nd)
		for a := nd.Child; a >= 0 && doc.Nodes[a].Kind == binxml.KindAttr; a = doc.Nodes[a].Next {
			an := doc.NameOf(&doc.Nodes[a])
			fname := an
			if name != "Execution" {
				fname = n.pair(name, an)
			}
			switch {
			case name == "Provider" && an == "Name":
				n.provider = n.text(doc, fname, a, true)
			case name == "TimeCreated" && an == "SystemTime":
				ev.Time = n.timeAt(doc, a)
				n.text(doc, fname, a, false)
			default:
				n.text(doc, fname, a, false)
			}
		}
		if !hasText(doc, c) {
			continue
		}
		switch name {
		case "EventID":
			if v, ok := n.uintAt(doc, c, opEventID); ok {
				ev.EventID = uint32(v)
			}
		case "Level":
			if v, ok := n.uintAt(doc, c, opLevel); ok {
				ev.Level = uint8(v)
			}
		case "EventRecordID":
			// The System value is the record id Windows shows; it can
			// differ from the record header's when a log was exported
			// or filtered into a new file.
			if v, ok := n.uintAt(doc, c, opRecordID); ok {
				ev.RecordID = v
			}
		case "Channel":
			n.channel = n.text(doc, name, c, true)
			continue
		case "Computer":
			n.computer = n.text(doc, name, c, true)
			continue
		}
		n.elem(doc, name, c)
	}
}

// uintOf returns the integer value of element or attribute i.
func uintOf(doc *binxml.Doc, i int32) (uint64, bool) {
	c := firstContent(doc, i)
	if c < 0 || doc.Nodes[c].Kind != binxml.KindValue {
		return 0, false
	}
	return doc.Uint(&doc.Nodes[c])
}

// firstContent returns the first child of node i that is not an
// attribute, or -1.
func firstContent(doc *binxml.Doc, i int32) int32 {
	c := doc.Nodes[i].Child
	for c >= 0 && doc.Nodes[c].Kind == binxml.KindAttr {
		c = doc.Nodes[c].Next
	}
	return c
}

// fileTime returns the time of the 8-byte FILETIME b (zero for 0).
func fileTime(b []byte) time.Time {
	ft := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
	if ft == 0 {
		return time.Time{}
	}
	sec, nsec := binxml.FileTimeUnix(ft)
	return time.Unix(sec, nsec).UTC()
}

// timeOf returns the time held by attribute or element i: a FILETIME or
// SYSTEMTIME value, or text in RFC 3339.
func timeOf(doc *binxml.Doc, i int32) time.Time {
	c := doc.Nodes[i].Child
	if c < 0 {
		return time.Time{}
	}
	v := &doc.Nodes[c]
	if v.Kind == binxml.KindValue && v.Type == binxml.TypeFileTime {
		if b := doc.Bytes(v); len(b) == 8 {
			return fileTime(b)
		}
	}
	var buf [64]byte
	s := doc.AppendText(buf[:0], i)
	t, err := time.Parse(time.RFC3339Nano, string(s))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

func (n *normalizer) eventData(doc *binxml.Doc, ed int32) {
	for c := doc.Nodes[ed].Child; c >= 0; c = doc.Nodes[c].Next {
		nd := &doc.Nodes[c]
		if nd.Kind == binxml.KindAttr {
			// <EventData Name="SAMMSG_..."> names the event in classic logs.
			n.text(doc, doc.NameOf(nd), c, false)
			continue
		}
		if nd.Kind != binxml.KindElement {
			continue
		}
		switch {
		case doc.NameOf(nd) == "Data":
			name := "Data"
			if a := doc.Attr(c, "Name"); a >= 0 {
				if s := n.dataName(doc, a); s != "" {
					name = s
				}
			}
			n.elem(doc, name, c)
		case doc.HasElements(c):
			n.leaves(doc, c, "")
		default:
			n.elem(doc, doc.NameOf(nd), c)
		}
	}
}

// leaves adds every leaf element below i and every attribute, named after
// themselves (with prefix_ when prefix is set).
func (n *normalizer) leaves(doc *binxml.Doc, i int32, prefix string) {
	for c := doc.Nodes[i].Child; c >= 0; c = doc.Nodes[c].Next {
		nd := &doc.Nodes[c]
		switch nd.Kind {
		case binxml.KindAttr:
			if doc.NameOf(nd) == "xmlns" || strings.HasPrefix(doc.NameOf(nd), "xmlns:") {
				continue
			}
			name := doc.NameOf(nd)
			if prefix != "" {
				name = n.pair(prefix, name)
			}
			n.text(doc, name, c, false)
		case binxml.KindElement:
			if doc.HasElements(c) {
				n.leaves(doc, c, prefix) // also adds c's attributes
				continue
			}
			name := doc.NameOf(nd)
			if prefix != "" {
				name = n.pair(prefix, name)
			}
			hasAttr := nd.Child >= 0 && doc.Nodes[nd.Child].Kind == binxml.KindAttr
			if hasAttr {
				for a := nd.Child; a >= 0 && doc.Nodes[a].Kind == binxml.KindAttr; a = doc.Nodes[a].Next {
					an := doc.NameOf(&doc.Nodes[a])
					if an == "xmlns" || strings.HasPrefix(an, "xmlns:") {
						continue
					}
					if prefix != "" {
						an = n.pair(prefix, an)
					}
					n.text(doc, an, a, false)
				}
				if !hasText(doc, c) {
					continue
				}
			}
			n.elem(doc, name, c)
		}
	}
}
