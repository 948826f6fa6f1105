package binxml

import (
	"encoding/binary"
	"strconv"
)

// Kind says what a Node is.
type Kind uint8

// Node kinds. Attributes and content are both children of an element;
// attributes come first.
const (
	KindRoot      Kind = iota // the document node, index 0
	KindElement               // Name
	KindAttr                  // Name; its children are the value parts
	KindValue                 // a typed value: Type, bytes at Off/Size
	KindCharRef               // &#Ref;
	KindEntityRef             // &Name;
	KindCDATA                 // UTF-16 text at Off/Size
	KindPI                    // processing instruction: target Name, UTF-16 data
)

// Node is one node of a decoded record. Links are indices into Doc.Nodes;
// -1 means none.
type Node struct {
	NameID                    uint32 // element, attribute, entity or PI target name: Doc.Names[NameID]
	Off, Size                 uint32
	Parent, Child, Last, Next int32
	Kind                      Kind
	Type                      uint8
	// Ref is the character of a KindCharRef node; for a value filled
	// from a substitution of a template image, its index in the record's
	// values plus one (see Doc.Subst); otherwise 0.
	Ref uint16
}

// Doc is the tree of one record. Node 0 is the document node; its element
// children are the record's root elements (normally one <Event>). Values
// refer to bytes of the chunk and are rendered on demand. A Doc is reused by
// the Decoder for the next record.
type Doc struct {
	Nodes []Node
	// Names holds the names of the chunk; nodes refer to them by index so
	// that a Node holds no pointer.
	Names []string
	// Data is the chunk the value offsets refer to.
	Data []byte
	// Gen changes whenever Data does (a new chunk): offsets into Data may
	// key caches while Gen stays the same.
	Gen uint64
}

func (d *Doc) reset(data []byte) {
	d.Data = data
	d.Nodes = append(d.Nodes[:0], Node{Kind: KindRoot, Parent: -1, Child: -1, Last: -1, Next: -1})
}

func (d *Doc) appendChild(parent int32, n Node) int32 {
	i := int32(len(d.Nodes))
	n.Parent, n.Child, n.Last, n.Next = parent, -1, -1, -1
	d.Nodes = append(d.Nodes, n)
	p := &d.Nodes[parent]
	if p.Last < 0 {
		p.Child = i
	} else {
		d.Nodes[p.Last].Next = i
	}
	p.Last = i
	return i
}

// NameOf returns the name of an element, attribute, entity reference or
// PI node.
func (d *Doc) NameOf(n *Node) string {
	if int(n.NameID) < len(d.Names) {
		return d.Names[n.NameID]
	}
	return ""
}

// Subst returns the index in Decoder.Values of the substitution value node
// i was filled from when its template was instantiated from an image; -1
// for a value written in the template or record itself and for nodes that
// are not values; -2 for a substituted value it cannot name (Opaque).
func (d *Doc) Subst(i int32) int {
	if n := &d.Nodes[i]; n.Kind == KindValue {
		if n.Ref == refOpaque {
			return -2
		}
		return int(n.Ref) - 1
	}
	return -1
}

// Root returns the first root element, or -1 when the record has none.
func (d *Doc) Root() int32 {
	if len(d.Nodes) == 0 {
		return -1
	}
	for c := d.Nodes[0].Child; c >= 0; c = d.Nodes[c].Next {
		if d.Nodes[c].Kind == KindElement {
			return c
		}
	}
	return -1
}

// Items returns how many items an array value node holds (0 for a scalar).
func (d *Doc) Items(n *Node) int {
	if n.Kind != KindValue || n.Type&TypeArray == 0 {
		return 0
	}
	k := 0
	Elems(n.Type, d.Bytes(n), func(uint8, []byte) bool { k++; return true })
	return k
}

// Bytes returns the raw bytes of a value, CDATA or PI node.
func (d *Doc) Bytes(n *Node) []byte {
	end := uint64(n.Off) + uint64(n.Size)
	if end > uint64(len(d.Data)) {
		return nil
	}
	return d.Data[n.Off:end]
}

// Child returns the first element child of node i named name, or -1.
func (d *Doc) Child(i int32, name string) int32 {
	for c := d.Nodes[i].Child; c >= 0; c = d.Nodes[c].Next {
		if n := &d.Nodes[c]; n.Kind == KindElement && d.Names[n.NameID] == name {
			return c
		}
	}
	return -1
}

// Attr returns the attribute of element i named name, or -1.
func (d *Doc) Attr(i int32, name string) int32 {
	for c := d.Nodes[i].Child; c >= 0; c = d.Nodes[c].Next {
		n := &d.Nodes[c]
		if n.Kind == KindAttr && d.Names[n.NameID] == name {
			return c
		}
		if n.Kind != KindAttr {
			break
		}
	}
	return -1
}

// HasElements reports whether node i has element children.
func (d *Doc) HasElements(i int32) bool {
	for c := d.Nodes[i].Child; c >= 0; c = d.Nodes[c].Next {
		if d.Nodes[c].Kind == KindElement {
			return true
		}
	}
	return false
}

// MaxText bounds what AppendText appends (a template can repeat one large
// substitution many times); past it the text is cut.
const MaxText = 1 << 20

// AppendText appends the text content of element or attribute i: its value,
// reference and CDATA children, concatenated, with entity references
// resolved. Array values are joined with commas. It stops once it appended
// more than MaxText bytes.
func (d *Doc) AppendText(dst []byte, i int32) []byte {
	start := len(dst)
	for c := d.Nodes[i].Child; c >= 0 && len(dst)-start <= MaxText; c = d.Nodes[c].Next {
		dst = d.AppendNodeText(dst, c)
	}
	return dst
}

// AppendNodeText appends the text of one value-like node (value, character
// or entity reference, CDATA); other kinds append nothing.
func (d *Doc) AppendNodeText(dst []byte, c int32) []byte {
	n := &d.Nodes[c]
	switch n.Kind {
	case KindValue:
		return d.AppendValue(dst, n, ",")
	case KindCharRef:
		return appendRune(dst, rune(n.Ref))
	case KindEntityRef:
		return AppendEntity(dst, d.NameOf(n))
	case KindCDATA:
		return AppendUTF16(dst, d.Bytes(n))
	}
	return dst
}

// AppendValue appends the text of a value node; the elements of an array
// are separated by sep.
func (d *Doc) AppendValue(dst []byte, n *Node, sep string) []byte {
	b := d.Bytes(n)
	if n.Type&TypeArray == 0 {
		return AppendScalar(dst, n.Type, b)
	}
	first := true
	Elems(n.Type, b, func(t uint8, e []byte) bool {
		if !first {
			dst = append(dst, sep...)
		}
		first = false
		dst = AppendScalar(dst, t, e)
		return true
	})
	return dst
}

// AppendEntity appends the character a predefined XML entity stands for, or
// &name; for any other entity.
func AppendEntity(dst []byte, name string) []byte {
	switch name {
	case "amp":
		return append(dst, '&')
	case "lt":
		return append(dst, '<')
	case "gt":
		return append(dst, '>')
	case "quot":
		return append(dst, '"')
	case "apos":
		return append(dst, '\'')
	}
	dst = append(dst, '&')
	dst = append(dst, name...)
	return append(dst, ';')
}

func appendRune(dst []byte, r rune) []byte {
	if r < 0x80 {
		return append(dst, byte(r))
	}
	return append(dst, string(r)...)
}

// Uint returns the value of an integer value node as a uint64 and whether
// it is an integer. Strings holding decimal digits also count.
func (d *Doc) Uint(n *Node) (uint64, bool) {
	return UintOf(n.Type, d.Bytes(n))
}

// UintOf returns the value of type t held in b as a uint64 and whether it
// is an integer (see Doc.Uint).
func UintOf(t uint8, b []byte) (uint64, bool) {
	le := binary.LittleEndian
	switch t {
	case TypeUInt8, TypeInt8:
		if len(b) == 1 {
			return uint64(b[0]), true
		}
	case TypeUInt16, TypeInt16:
		if len(b) == 2 {
			return uint64(le.Uint16(b)), true
		}
	case TypeUInt32, TypeInt32, TypeHexInt32:
		if len(b) == 4 {
			return uint64(le.Uint32(b)), true
		}
	case TypeUInt64, TypeInt64, TypeHexInt64, TypeSizeT:
		if len(b) == 8 {
			return le.Uint64(b), true
		}
		if len(b) == 4 {
			return uint64(le.Uint32(b)), true
		}
	case TypeString, TypeAnsiString:
		var buf [64]byte
		s := AppendScalar(buf[:0], t, b)
		v, err := strconv.ParseUint(string(s), 0, 64)
		return v, err == nil
	}
	return 0, false
}
