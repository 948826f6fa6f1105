// Package binxml decodes the binary XML (BinXml) of EVTX event records into a
// small reusable document tree.
//
// A Decoder works on one 64 KiB chunk at a time: names and template
// definitions are read once per chunk and cached, so that a record that
// instantiates a known template only reads its substitution values. All
// offsets are relative to the start of the chunk, as in the file format.
//
// Decoding never panics and never allocates more than a bound derived from
// the chunk size: the tree of one record is limited to MaxNodes nodes and
// nesting (elements, templates, BinXml inside substitutions) is limited too.
package binxml

import (
	"encoding/binary"
	"fmt"

	"github.com/loghunt/loghunt/parsers"
)

// refOpaque in Node.Ref marks a substituted value whose index in the
// record's values does not fit.
const refOpaque = 0xffff

// Limits that keep a hostile chunk from amplifying work or memory.
const (
	// MaxNodes is the largest tree one record may expand to.
	MaxNodes = 1 << 16
	// maxNest bounds template and BinXml-in-substitution nesting.
	maxNest = 24
	// maxElemDepth bounds element nesting.
	maxElemDepth = 512
	// maxWork bounds instructions executed for one record.
	maxWork = 1 << 18
)

// BinXml tokens (MS-EVEN6 2.2.12). The 0x40 bit marks "more data" variants.
const (
	tokEOF          = 0x00
	tokOpenStart    = 0x01
	tokCloseStart   = 0x02
	tokCloseEmpty   = 0x03
	tokEnd          = 0x04
	tokValue        = 0x05
	tokAttr         = 0x06
	tokCDATA        = 0x07
	tokCharRef      = 0x08
	tokEntityRef    = 0x09
	tokPITarget     = 0x0a
	tokPIData       = 0x0b
	tokTemplate     = 0x0c
	tokSubst        = 0x0d
	tokOptSubst     = 0x0e
	tokFragment     = 0x0f
	tokHasMoreFlags = 0x40
)

type op uint8

const (
	opOpen op = iota + 1
	opCloseStart
	opCloseEmpty
	opEnd
	opAttr
	opText
	opSubst
	opCharRef
	opEntityRef
	opCDATA
	opPI
	opTemplate
)

// instr is one step of a compiled fragment: templates are compiled once per
// chunk and replayed for each record that uses them.
type instr struct {
	op    op
	typ   uint8  // value type (opText, opSubst)
	opt   bool   // optional substitution
	idx   uint16 // substitution index or character reference
	off   uint32 // text data (opText, opCDATA, opPI)
	size  uint32
	name  uint32 // index into Decoder.nameTab
	tmpl  int32  // index into Decoder.live (opTemplate); no pointer, so no write barrier
	vals  int32  // first value in Decoder.vals (opTemplate)
	nvals int32
}

// Value is one substitution value of a template instance: its type and the
// chunk range holding its bytes.
type Value struct {
	Type      uint8
	Off, Size uint32
}

// Template is a template definition cached for the current chunk.
type Template struct {
	index int32
	Off   uint32
	GUID  [16]byte
	code  []instr
	err   error
	busy  bool

	// The template's tree, built on first use, with a placeholder value
	// node per substitution: instantiating copies it and fills the
	// placeholders, instead of replaying code.
	img      []Node  // indices relative to img; top-level nodes have Parent -1
	imgSubst []int32 // placeholder nodes; Ref holds the substitution index
	imgFirst int32   // first and last top-level node, or -1
	imgLast  int32
	imgState uint8 // imgNone, imgReady or imgUnusable
}

const (
	imgNone = iota
	imgReady
	imgUnusable
)

// Decoder decodes records of one chunk at a time. It is not safe for
// concurrent use; give each goroutine its own.
type Decoder struct {
	chunk   []byte
	names   map[uint32]uint32 // name offset -> index into nameTab
	nameTab []string
	tmpls   map[uint32]*Template
	live    []*Template // templates of this chunk, by index
	intern  map[string]string
	free    []*Template

	scratch []instr
	top     int // instructions of the record in scratch (Parse)
	// The code and images of this chunk's templates are slices of these
	// arenas, emptied by Reset: the memory is that of the largest chunk's
	// templates, not of every template slot ever used. tcode holds the
	// code of templates being compiled, one buffer per nesting level.
	codes  []instr
	nodes  []Node
	substs []int32
	tcode  [][]instr
	vals   []Value
	// What Parse left, for Exec to start from again.
	topVals, topWork int
	// nested lists the templates of the BinXml values Exec grafted (or
	// Shape parsed), in order; opaque is set when Exec filled a value
	// that Doc.Subst cannot name (see Exec).
	nested []int32
	opaque bool
	utf    []byte
	work   int

	// Doc is the tree of the last decoded record.
	Doc Doc

	stack    []int32
	floor    int // end tags never pop the stack below this depth
	inAttr   bool
	attrName uint32
	attrNode int32

	imaging  bool // building a template image: substitutions become placeholders
	imgBad   bool // the template being imaged is unbalanced or nests templates
	imgDoc   Doc
	imgSubst []int32
	imgStack []int32
}

// Initial capacities of the template arenas: what the templates of a
// typical chunk take, so that most decoders never grow them.
const (
	initCodes = 3072
	initNodes = 1536
)

// NewDecoder returns a Decoder with empty caches.
func NewDecoder() *Decoder {
	return &Decoder{
		names:  make(map[uint32]uint32),
		tmpls:  make(map[uint32]*Template),
		intern: make(map[string]string),
		codes:  make([]instr, 0, initCodes),
		nodes:  make([]Node, 0, initNodes),
	}
}

// Reset starts a new chunk. chunk must stay unchanged until the next Reset;
// the decoder keeps references to it. Interned names survive a Reset.
func (d *Decoder) Reset(chunk []byte) {
	d.chunk = chunk
	clear(d.names)
	d.nameTab = d.nameTab[:0]
	for _, t := range d.live {
		*t = Template{}
		d.free = append(d.free, t)
	}
	d.codes, d.nodes, d.substs = d.codes[:0], d.nodes[:0], d.substs[:0]
	clear(d.tmpls)
	clear(d.live)
	d.live = d.live[:0]
	if len(d.intern) > 1<<16 {
		clear(d.intern)
	}
	d.Doc.Data = chunk
	d.Doc.Names = d.nameTab
	d.Doc.Gen++
}

// Chunk returns the chunk set by the last Reset.
func (d *Decoder) Chunk() []byte { return d.chunk }

// Work returns the decoding steps the last Decode took (bounded by an
// internal limit per record).
func (d *Decoder) Work() int { return d.work }

// Templates returns how many template definitions are cached for the chunk.
func (d *Decoder) Templates() int { return len(d.tmpls) }

func errAt(off int, sentinel error, format string, args ...any) error {
	return fmt.Errorf("binxml at chunk offset 0x%x: %s: %w", off, fmt.Sprintf(format, args...), sentinel)
}

// Decode decodes the BinXml in chunk[off:end] (the event data of a record)
// into d.Doc: Parse, then Exec. On error, d.Doc holds what was decoded
// before the damage.
func (d *Decoder) Decode(off, end int) error {
	if err := d.Parse(off, end); err != nil {
		return err
	}
	return d.Exec()
}

// Parse reads the BinXml in chunk[off:end] (the event data of a record):
// its tokens, the template definitions it uses (compiled and cached on
// first use) and its substitution values, without building the tree. Exec
// builds it; Instance tells whether the record is one template instance.
// d.Doc is empty until Exec.
func (d *Decoder) Parse(off, end int) error {
	d.resetTree()
	d.top, d.topVals, d.topWork = 0, 0, 0
	d.rewindParse()
	if off < 0 || end > len(d.chunk) || off > end {
		return errAt(off, parsers.ErrTruncated, "record data outside chunk")
	}
	if off == end {
		return nil
	}
	// The record ends with the end-of-stream token of its fragment; what
	// follows (sometimes the start of a stale fragment) is slack, so one
	// fragment is parsed and executed.
	var err error
	d.scratch, _, err = d.parse(off, end, d.scratch, 0)
	d.top, d.topVals, d.topWork = len(d.scratch), len(d.vals), d.work
	return err
}

// Exec builds d.Doc from the record the last Parse read (which succeeded),
// undoing what Shape parsed. Afterwards Opaque and Nested describe how the
// tree was built.
func (d *Decoder) Exec() error {
	d.rewindParse()
	d.resetTree()
	return d.exec(d.scratch[:d.top], nil, 0)
}

// rewindParse drops what was parsed or learnt after Parse (by Shape or
// Exec): the record's code, values and work are what Parse left.
func (d *Decoder) rewindParse() {
	d.scratch, d.vals, d.work = d.scratch[:d.top], d.vals[:d.topVals], d.topWork
	d.nested, d.opaque = d.nested[:0], false
}

// resetTree empties d.Doc and the element stack for a new tree.
func (d *Decoder) resetTree() {
	d.Doc.reset(d.chunk)
	d.stack = append(d.stack[:0], 0)
	d.floor = 1
	d.inAttr = false
}

// Opaque reports whether the last Exec filled a value from a substitution
// that Doc.Subst cannot name: a template replayed from its code instead of
// its image, or a substitution beyond the index Node.Ref can hold.
func (d *Decoder) Opaque() bool { return d.opaque }

// Nested returns the templates of the BinXml substitution values the last
// Exec grafted (each held exactly one template instance), in the order it
// grafted them; with Opaque false, Values are the record's instance values
// followed by those of these nested instances.
func (d *Decoder) Nested() []int32 { return d.nested }

// Values returns every substitution value read for the record: the
// instance's, then (after Exec or Shape) those of the nested instances.
// Doc.Subst indexes it.
func (d *Decoder) Values() []Value { return d.vals }

// Shape parses, without building the tree, the BinXml substitution values
// that Exec would graft into the record's template instance, in the order
// it would, so that Values and Nested are what Exec would leave. ok is false
// unless the record is one instance of an imaged template whose grafted
// BinXml values each hold exactly one instance of an imaged template with no
// BinXml value of its own. Exec may follow either way.
func (d *Decoder) Shape() (ok bool) {
	id, _, ok := d.Instance()
	if !ok || !d.Imaged(id) {
		return false
	}
	d.rewindParse()
	t := d.live[id]
	n := d.topVals // the instance's values are vals[0:n]
	for _, si := range t.imgSubst {
		ph := &t.img[si]
		idx := int(ph.Ref)
		if idx >= n || d.vals[idx].Type != TypeBinXML {
			continue // unlinked (missing, null) or filled in place
		}
		if ph.Parent >= 0 && t.img[ph.Parent].Kind == KindAttr {
			continue // graftNested drops markup in an attribute
		}
		first := len(d.vals)
		tmpl, ok := d.parseNested(d.vals[idx], 1)
		if !ok || !d.Imaged(tmpl) {
			return false
		}
		for _, v := range d.vals[first:] {
			if v.Type == TypeBinXML {
				return false
			}
		}
		d.nested = append(d.nested, tmpl)
	}
	return true
}

// parseNested parses the BinXml value v as execNested does and returns
// the template of its instance when the value holds exactly one.
func (d *Decoder) parseNested(v Value, nest int) (int32, bool) {
	code, err := d.parseValue(v, nest)
	if err != nil {
		return 0, false
	}
	return singleInstance(code)
}

// parseValue compiles the BinXml fragments held in value v (one, or several
// back to back) and returns their code, appended to d.scratch.
func (d *Decoder) parseValue(v Value, nest int) ([]instr, error) {
	start := len(d.scratch)
	end := int(v.Off + v.Size)
	pos := int(v.Off)
	var err error
	for pos < end {
		d.scratch, pos, err = d.parse(pos, end, d.scratch, nest+1)
		if err != nil {
			return nil, err
		}
		if pos >= end || d.chunk[pos] != tokFragment {
			break
		}
	}
	return d.scratch[start:], nil
}

// singleInstance returns the template of code that is exactly one template
// instance.
func singleInstance(code []instr) (int32, bool) {
	if len(code) != 1 || code[0].op != opTemplate {
		return 0, false
	}
	return code[0].tmpl, true
}

// Instance reports whether the record the last Parse read is exactly one
// template instance, and returns its template's id in this chunk and its
// substitution values (valid until the next Parse).
func (d *Decoder) Instance() (tmpl int32, vals []Value, ok bool) {
	if _, ok := singleInstance(d.scratch[:d.top]); !ok {
		return 0, nil, false
	}
	in := &d.scratch[0]
	return in.tmpl, d.vals[in.vals : in.vals+in.nvals], true
}

// Imaged reports whether template tmpl of this chunk was instantiated from
// its image: every value in its tree that came from a substitution then
// names it (Doc.Subst), and the template holds no other template.
func (d *Decoder) Imaged(tmpl int32) bool {
	return tmpl >= 0 && int(tmpl) < len(d.live) && d.live[tmpl].imgState == imgReady
}

func (d *Decoder) u16(pos int) uint16 { return binary.LittleEndian.Uint16(d.chunk[pos:]) }
func (d *Decoder) u32(pos int) uint32 { return binary.LittleEndian.Uint32(d.chunk[pos:]) }

// name returns the name structure at chunk offset off as an index into
// nameTab, and its size.
func (d *Decoder) name(off uint32) (uint32, int, error) {
	o := int(off)
	if o < 0 || o+8 > len(d.chunk) {
		return 0, 0, errAt(o, parsers.ErrTruncated, "name outside chunk")
	}
	n := int(d.u16(o + 6))
	size := 8 + 2*n + 2
	if o+8+2*n > len(d.chunk) {
		return 0, 0, errAt(o, parsers.ErrTruncated, "name of %d characters", n)
	}
	if id, ok := d.names[off]; ok {
		return id, size, nil
	}
	d.utf = AppendUTF16(d.utf[:0], d.chunk[o+8:o+8+2*n])
	s, ok := d.intern[string(d.utf)]
	if !ok {
		s = string(d.utf)
		d.intern[s] = s
	}
	id := uint32(len(d.nameTab))
	d.nameTab = append(d.nameTab, s)
	d.Doc.Names = d.nameTab
	d.names[off] = id
	return id, size, nil
}

// nameRef reads a 4-byte name offset at pos. When the name is stored inline
// right after the offset, it is skipped. It returns the position after it.
func (d *Decoder) nameRef(pos, end int) (uint32, int, error) {
	if pos+4 > end {
		return 0, 0, errAt(pos, parsers.ErrTruncated, "name offset")
	}
	off := d.u32(pos)
	pos += 4
	id, size, err := d.name(off)
	if err != nil {
		return 0, 0, err
	}
	if int(off) == pos {
		pos += size
		if pos > end {
			return 0, 0, errAt(pos, parsers.ErrTruncated, "inline name")
		}
	}
	return id, pos, nil
}

// openStartLayout decides whether the open-start-element token at pos has
// the 2-byte dependency identifier. Some writers leave it out; then the name
// offset sits two bytes earlier. The name is normally inline (its offset
// points just past the field) or earlier in the chunk.
func (d *Decoder) openStartLayout(pos, end int) (withDep bool) {
	if pos+11 > end {
		return true // truncated either way; the caller reports it
	}
	plausible := func(fieldEnd int, off uint32) bool {
		_, known := d.names[off]
		return int(off) == fieldEnd || (int(off) < pos && int(off) >= 512) || known
	}
	if plausible(pos+11, d.u32(pos+7)) {
		return true
	}
	if plausible(pos+9, d.u32(pos+5)) {
		return false
	}
	return true
}

// parse compiles tokens from chunk[pos:end] into code until the end of the
// fragment. It returns the extended code and the position after the fragment.
func (d *Decoder) parse(pos, end int, code []instr, nest int) ([]instr, int, error) {
	if nest > maxNest {
		return code, pos, errAt(pos, parsers.ErrCorrupt, "nesting deeper than %d", maxNest)
	}
	depth := 0
	for pos < end {
		d.work++
		if d.work > maxWork {
			return code, pos, errAt(pos, parsers.ErrCorrupt, "record expands beyond %d steps", maxWork)
		}
		tok := d.chunk[pos]
		switch tok &^ tokHasMoreFlags {
		case tokEOF:
			return code, pos + 1, nil
		case tokFragment:
			if tok != tokFragment {
				return code, pos, errAt(pos, parsers.ErrCorrupt, "bad token 0x%02x", tok)
			}
			pos += 4
		case tokOpenStart:
			withDep := d.openStartLayout(pos, end)
			p := pos + 1 + 4
			if withDep {
				p += 2
			}
			name, p2, err := d.nameRef(p, end)
			if err != nil {
				return code, pos, err
			}
			p = p2
			if tok&tokHasMoreFlags != 0 {
				p += 4 // attribute list size
			}
			if p > end {
				return code, pos, errAt(pos, parsers.ErrTruncated, "element header")
			}
			depth++
			if depth > maxElemDepth {
				return code, pos, errAt(pos, parsers.ErrCorrupt, "elements nested deeper than %d", maxElemDepth)
			}
			code = append(code, instr{op: opOpen, name: name})
			pos = p
		case tokCloseStart:
			code = append(code, instr{op: opCloseStart})
			pos++
		case tokCloseEmpty:
			code = append(code, instr{op: opCloseEmpty})
			depth--
			pos++
		case tokEnd:
			code = append(code, instr{op: opEnd})
			depth--
			pos++
		case tokValue:
			if pos+4 > end {
				return code, pos, errAt(pos, parsers.ErrTruncated, "value token")
			}
			t := d.chunk[pos+1]
			var size int
			switch t {
			case TypeString:
				size = 2 * int(d.u16(pos+2))
			case TypeAnsiString:
				size = int(d.u16(pos + 2))
			default:
				return code, pos, errAt(pos, parsers.ErrCorrupt, "value token of type 0x%02x", t)
			}
			if pos+4+size > end {
				return code, pos, errAt(pos, parsers.ErrTruncated, "value of %d bytes", size)
			}
			code = append(code, instr{op: opText, typ: t, off: uint32(pos + 4), size: uint32(size)})
			pos += 4 + size
		case tokAttr:
			name, p, err := d.nameRef(pos+1, end)
			if err != nil {
				return code, pos, err
			}
			code = append(code, instr{op: opAttr, name: name})
			pos = p
		case tokCDATA, tokPIData:
			if pos+3 > end {
				return code, pos, errAt(pos, parsers.ErrTruncated, "text token")
			}
			size := 2 * int(d.u16(pos+1))
			if pos+3+size > end {
				return code, pos, errAt(pos, parsers.ErrTruncated, "text of %d bytes", size)
			}
			if tok&^tokHasMoreFlags == tokCDATA {
				code = append(code, instr{op: opCDATA, off: uint32(pos + 3), size: uint32(size)})
			} else {
				// PI data completes the preceding PI target.
				if n := len(code); n > 0 && code[n-1].op == opPI && code[n-1].size == 0 {
					code[n-1].off, code[n-1].size = uint32(pos+3), uint32(size)
				}
			}
			pos += 3 + size
		case tokCharRef:
			if pos+3 > end {
				return code, pos, errAt(pos, parsers.ErrTruncated, "character reference")
			}
			code = append(code, instr{op: opCharRef, idx: d.u16(pos + 1)})
			pos += 3
		case tokEntityRef, tokPITarget:
			name, p, err := d.nameRef(pos+1, end)
			if err != nil {
				return code, pos, err
			}
			if tok&^tokHasMoreFlags == tokEntityRef {
				code = append(code, instr{op: opEntityRef, name: name})
			} else {
				code = append(code, instr{op: opPI, name: name})
			}
			pos = p
		case tokSubst, tokOptSubst:
			if pos+4 > end {
				return code, pos, errAt(pos, parsers.ErrTruncated, "substitution")
			}
			code = append(code, instr{op: opSubst, idx: d.u16(pos + 1), typ: d.chunk[pos+3], opt: tok == tokOptSubst})
			pos += 4
		case tokTemplate:
			var err error
			code, pos, err = d.parseInstance(pos, end, code, nest)
			if err != nil {
				return code, pos, err
			}
		default:
			return code, pos, errAt(pos, parsers.ErrCorrupt, "unknown token 0x%02x", tok)
		}
	}
	return code, pos, nil
}

// parseInstance reads a template instance token at pos: the template
// definition (inline or by reference) and the substitution values.
func (d *Decoder) parseInstance(pos, end int, code []instr, nest int) ([]instr, int, error) {
	if pos+10 > end {
		return code, pos, errAt(pos, parsers.ErrTruncated, "template instance")
	}
	defOff := d.u32(pos + 6)
	p := pos + 10
	t, err := d.template(defOff, nest)
	if err != nil {
		return code, pos, err
	}
	if int(defOff) == p {
		// Inline definition: skip it.
		size := int(d.u32(p + 20))
		p += 24 + size
		if p > end {
			return code, pos, errAt(pos, parsers.ErrTruncated, "inline template definition of %d bytes", size)
		}
	}
	if p+4 > end {
		return code, pos, errAt(p, parsers.ErrTruncated, "substitution count")
	}
	n := int(d.u32(p))
	p += 4
	if n > (end-p)/4 {
		return code, pos, errAt(p, parsers.ErrTruncated, "%d substitution descriptors", n)
	}
	desc := p
	p += 4 * n
	first := len(d.vals)
	for i := 0; i < n; i++ {
		size := int(d.u16(desc + 4*i))
		typ := d.chunk[desc+4*i+2]
		if p+size > end {
			return code, pos, errAt(p, parsers.ErrTruncated, "substitution %d of %d bytes", i, size)
		}
		d.vals = append(d.vals, Value{Type: typ, Off: uint32(p), Size: uint32(size)})
		p += size
	}
	code = append(code, instr{op: opTemplate, tmpl: t.index, vals: int32(first), nvals: int32(n)})
	return code, p, nil
}

// template returns the template definition at chunk offset off, compiling
// and caching it on first use.
func (d *Decoder) template(off uint32, nest int) (*Template, error) {
	if t, ok := d.tmpls[off]; ok {
		if t.busy {
			return nil, errAt(int(off), parsers.ErrCorrupt, "template refers to itself")
		}
		return t, t.err
	}
	o := int(off)
	if o < 0 || o+24 > len(d.chunk) {
		return nil, errAt(o, parsers.ErrTruncated, "template definition outside chunk")
	}
	var t *Template
	if n := len(d.free); n > 0 {
		t = d.free[n-1]
		d.free = d.free[:n-1]
	} else {
		t = new(Template)
	}
	t.Off = off
	copy(t.GUID[:], d.chunk[o+4:o+20])
	t.index = int32(len(d.live))
	d.live = append(d.live, t)
	d.tmpls[off] = t
	size := int(d.u32(o + 20))
	body := o + 24
	if size > len(d.chunk)-body {
		t.err = errAt(o, parsers.ErrTruncated, "template definition of %d bytes", size)
		return nil, t.err
	}
	for len(d.tcode) <= nest {
		d.tcode = append(d.tcode, nil)
	}
	t.busy = true
	code, _, err := d.parse(body, body+size, d.tcode[nest][:0], nest+1)
	t.busy = false
	d.tcode[nest] = code[:0]
	if err != nil {
		t.err = err
		return nil, err
	}
	t.code = keep(&d.codes, code)
	return t, nil
}

// keep appends s to the arena *a and returns the copy, capped so that
// appending to it cannot write over the arena.
func keep[T any](a *[]T, s []T) []T {
	start := len(*a)
	*a = append(*a, s...)
	return (*a)[start:len(*a):len(*a)]
}

// exec replays code into d.Doc with the substitution values vals.
func (d *Decoder) exec(code []instr, vals []Value, nest int) error {
	if nest > maxNest {
		return errAt(0, parsers.ErrCorrupt, "nesting deeper than %d", maxNest)
	}
	for i := range code {
		in := &code[i]
		d.work++
		if d.work > maxWork {
			return errAt(0, parsers.ErrCorrupt, "record expands beyond %d steps", maxWork)
		}
		switch in.op {
		case opOpen:
			d.inAttr = false
			if len(d.stack) > maxElemDepth {
				return errAt(0, parsers.ErrCorrupt, "elements nested deeper than %d", maxElemDepth)
			}
			n, err := d.add(Node{Kind: KindElement, NameID: in.name})
			if err != nil {
				return err
			}
			d.stack = append(d.stack, n)
		case opAttr:
			d.inAttr = true
			d.attrName = in.name
			d.attrNode = -1
		case opCloseStart:
			d.inAttr = false
		case opCloseEmpty, opEnd:
			d.inAttr = false
			if len(d.stack) > d.floor {
				d.stack = d.stack[:len(d.stack)-1]
			} else if d.imaging {
				d.imgBad = true
			}
		case opText:
			if err := d.addValue(Node{Kind: KindValue, Type: in.typ, Off: in.off, Size: in.size}); err != nil {
				return err
			}
		case opSubst:
			if d.imaging {
				var opt uint32
				if in.opt {
					opt = 1
				}
				if err := d.addValue(Node{Kind: KindValue, Type: in.typ, Ref: in.idx, Size: opt}); err != nil {
					return err
				}
				d.imgSubst = append(d.imgSubst, int32(len(d.Doc.Nodes)-1))
				continue
			}
			if int(in.idx) >= len(vals) {
				continue
			}
			d.opaque = true // a value Doc.Subst cannot name
			v := vals[in.idx]
			switch v.Type {
			case TypeNull:
				continue
			case TypeBinXML:
				if err := d.execNested(v, nest); err != nil {
					return err
				}
				continue
			}
			if err := d.addValue(Node{Kind: KindValue, Type: v.Type, Off: v.Off, Size: v.Size}); err != nil {
				return err
			}
		case opCharRef:
			if err := d.addValue(Node{Kind: KindCharRef, Ref: in.idx}); err != nil {
				return err
			}
		case opEntityRef:
			if err := d.addValue(Node{Kind: KindEntityRef, NameID: in.name}); err != nil {
				return err
			}
		case opCDATA:
			if err := d.addValue(Node{Kind: KindCDATA, Off: in.off, Size: in.size}); err != nil {
				return err
			}
		case opPI:
			d.inAttr = false
			if _, err := d.add(Node{Kind: KindPI, NameID: in.name, Off: in.off, Size: in.size}); err != nil {
				return err
			}
		case opTemplate:
			if d.imaging {
				d.imgBad = true
				return nil
			}
			if err := d.instantiate(d.live[in.tmpl], d.vals[in.vals:in.vals+in.nvals], in.vals, nest+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// execNested decodes a substitution value that holds a BinXml fragment and
// grafts it at the current position.
func (d *Decoder) execNested(v Value, nest int) error {
	code, err := d.parseValue(v, nest)
	if err != nil {
		return err
	}
	if tmpl, ok := singleInstance(code); ok {
		d.nested = append(d.nested, tmpl)
	} else {
		d.opaque = true
	}
	saved := d.inAttr
	d.inAttr = false
	err = d.exec(code, nil, nest+1)
	d.inAttr = saved
	return err
}

func (d *Decoder) add(n Node) (int32, error) {
	if len(d.Doc.Nodes) >= MaxNodes {
		return 0, errAt(0, parsers.ErrCorrupt, "record expands beyond %d nodes", MaxNodes)
	}
	parent := d.stack[len(d.stack)-1]
	return d.Doc.appendChild(parent, n), nil
}

func (d *Decoder) addValue(n Node) error {
	if !d.inAttr {
		_, err := d.add(n)
		return err
	}
	if d.attrNode < 0 {
		a, err := d.add(Node{Kind: KindAttr, NameID: d.attrName})
		if err != nil {
			return err
		}
		d.attrNode = a
	}
	if len(d.Doc.Nodes) >= MaxNodes {
		return errAt(0, parsers.ErrCorrupt, "record expands beyond %d nodes", MaxNodes)
	}
	d.Doc.appendChild(d.attrNode, n)
	return nil
}

// image builds the tree image of t, or marks t unusable for images.
func (d *Decoder) image(t *Template, nest int) error {
	saved, savedStack, savedAttr, savedFloor := d.Doc, d.stack, d.inAttr, d.floor
	d.floor = 1
	d.imgDoc.reset(d.chunk)
	d.imgDoc.Names = d.Doc.Names
	d.Doc = d.imgDoc
	d.imgStack = append(d.imgStack[:0], 0)
	d.stack = d.imgStack
	d.inAttr = false
	d.imaging, d.imgBad = true, false
	d.imgSubst = d.imgSubst[:0]
	err := d.exec(t.code, nil, nest)
	bad := d.imgBad || len(d.stack) != 1 || d.inAttr
	img := d.Doc
	d.imgStack = d.stack
	d.imaging = false
	d.imgDoc = img
	d.Doc, d.stack, d.inAttr, d.floor = saved, savedStack, savedAttr, savedFloor
	if err != nil {
		return err
	}
	if bad {
		t.imgState = imgUnusable
		return nil
	}
	// Copy nodes 1.. with indices shifted down by one; the root becomes -1.
	t.img = keep(&d.nodes, img.Nodes[1:])
	shift := func(i int32) int32 {
		if i <= 0 {
			return -1
		}
		return i - 1
	}
	for i := range t.img {
		n := &t.img[i]
		n.Parent, n.Child, n.Last, n.Next = shift(n.Parent), shift(n.Child), shift(n.Last), shift(n.Next)
	}
	t.imgFirst, t.imgLast = shift(img.Nodes[0].Child), shift(img.Nodes[0].Last)
	for i := range d.imgSubst {
		d.imgSubst[i]--
	}
	t.imgSubst = keep(&d.substs, d.imgSubst)
	t.imgState = imgReady
	return nil
}

// instantiate adds an instance of template t with values vals (which
// start at index base of d.vals) at the current position: a copy of its
// image with the placeholders filled. Templates without a usable image are
// replayed instead.
func (d *Decoder) instantiate(t *Template, vals []Value, base int32, nest int) error {
	if nest > maxNest {
		return errAt(0, parsers.ErrCorrupt, "nesting deeper than %d", maxNest)
	}
	if t.imgState == imgNone {
		if err := d.image(t, nest); err != nil {
			return err
		}
	}
	if t.imgState != imgReady || d.inAttr {
		d.opaque = true
		return d.exec(t.code, vals, nest)
	}
	if len(d.Doc.Nodes)+len(t.img) > MaxNodes {
		return errAt(0, parsers.ErrCorrupt, "record expands beyond %d nodes", MaxNodes)
	}
	d.work += len(t.img)
	if d.work > maxWork {
		return errAt(0, parsers.ErrCorrupt, "record expands beyond %d steps", maxWork)
	}
	if t.imgFirst < 0 {
		return nil
	}
	parent := d.stack[len(d.stack)-1]
	vbase := base
	base = int32(len(d.Doc.Nodes))
	d.Doc.Nodes = append(d.Doc.Nodes, t.img...)
	nodes := d.Doc.Nodes[base:]
	for i := range nodes {
		n := &nodes[i]
		if n.Parent < 0 {
			n.Parent = parent
		} else {
			n.Parent += base
		}
		if n.Child >= 0 {
			n.Child += base
			n.Last += base
		}
		if n.Next >= 0 {
			n.Next += base
		}
	}
	p := &d.Doc.Nodes[parent]
	if p.Last < 0 {
		p.Child = base + t.imgFirst
	} else {
		d.Doc.Nodes[p.Last].Next = base + t.imgFirst
	}
	p.Last = base + t.imgLast
	for _, si := range t.imgSubst {
		x := base + si
		n := &d.Doc.Nodes[x]
		idx := int(n.Ref)
		if idx >= len(vals) || vals[idx].Type == TypeNull {
			d.unlink(x)
			continue
		}
		v := vals[idx]
		if v.Type == TypeBinXML {
			if err := d.graftNested(x, v, nest); err != nil {
				return err
			}
			continue
		}
		// Ref names the value in d.vals (Doc.Subst).
		ref := int(vbase) + idx + 1
		if ref >= refOpaque {
			ref = refOpaque
			d.opaque = true
		}
		n.Type, n.Off, n.Size, n.Ref = v.Type, v.Off, v.Size, uint16(ref)
	}
	return nil
}

// unlink removes node x from its parent's children. An attribute left
// without value is removed too, as if it had never been written.
func (d *Decoder) unlink(x int32) {
	nodes := d.Doc.Nodes
	p := nodes[x].Parent
	if p < 0 {
		return
	}
	prev := int32(-1)
	for c := nodes[p].Child; c >= 0 && c != x; c = nodes[c].Next {
		prev = c
	}
	next := nodes[x].Next
	if prev < 0 {
		nodes[p].Child = next
	} else {
		nodes[prev].Next = next
	}
	if nodes[p].Last == x {
		nodes[p].Last = prev
	}
	if nodes[p].Kind == KindAttr && nodes[p].Child < 0 {
		d.unlink(p)
	}
}

// graftNested decodes the BinXml value v under placeholder x and puts the
// result in x's place among its siblings.
func (d *Decoder) graftNested(x int32, v Value, nest int) error {
	if d.Doc.Nodes[d.Doc.Nodes[x].Parent].Kind == KindAttr {
		d.unlink(x) // markup cannot live in an attribute value
		return nil
	}
	n := &d.Doc.Nodes[x]
	n.Kind, n.Child, n.Last = KindElement, -1, -1
	savedFloor := d.floor
	d.stack = append(d.stack, x)
	d.floor = len(d.stack) // the nested fragment cannot close what encloses it
	err := d.execNested(v, nest)
	d.stack = d.stack[:d.floor-1]
	d.floor = savedFloor
	if err != nil {
		return err
	}
	nodes := d.Doc.Nodes
	first, last := nodes[x].Child, nodes[x].Last
	if first < 0 {
		d.unlink(x)
		return nil
	}
	p := nodes[x].Parent
	for c := first; c >= 0; c = nodes[c].Next {
		nodes[c].Parent = p
	}
	prev := int32(-1)
	for c := nodes[p].Child; c >= 0 && c != x; c = nodes[c].Next {
		prev = c
	}
	if prev < 0 {
		nodes[p].Child = first
	} else {
		nodes[prev].Next = first
	}
	nodes[last].Next = nodes[x].Next
	if nodes[p].Last == x {
		nodes[p].Last = last
	}
	return nil
}
