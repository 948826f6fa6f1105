package binxml

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/loghunt/loghunt/parsers"
)

// builder writes BinXml into a fake chunk; offsets are chunk offsets.
type builder struct{ b []byte }

func newBuilder() *builder { return &builder{b: make([]byte, 512)} }

func (x *builder) pos() int      { return len(x.b) }
func (x *builder) u8(v byte)     { x.b = append(x.b, v) }
func (x *builder) u16(v uint16)  { x.b = binary.LittleEndian.AppendUint16(x.b, v) }
func (x *builder) u32(v uint32)  { x.b = binary.LittleEndian.AppendUint32(x.b, v) }
func (x *builder) raw(b ...byte) { x.b = append(x.b, b...) }
func (x *builder) utf16(s string) []byte {
	var out []byte
	for _, r := range utf16.Encode([]rune(s)) {
		out = binary.LittleEndian.AppendUint16(out, r)
	}
	return out
}

// nameRef writes a name offset pointing just past itself and the name.
func (x *builder) nameRef(s string) {
	x.u32(uint32(x.pos() + 4))
	x.u32(0) // next
	x.u16(0) // hash
	x.u16(uint16(len([]rune(s))))
	x.raw(x.utf16(s)...)
	x.u16(0)
}

func (x *builder) fragment() { x.raw(0x0f, 1, 1, 0) }
func (x *builder) open(name string, attrs bool) {
	if attrs {
		x.u8(0x41)
	} else {
		x.u8(0x01)
	}
	x.u16(0xffff)
	x.u32(0)
	x.nameRef(name)
	if attrs {
		x.u32(0)
	}
}
func (x *builder) attr(name string) { x.u8(0x06); x.nameRef(name) }
func (x *builder) closeStart()      { x.u8(0x02) }
func (x *builder) closeEmpty()      { x.u8(0x03) }
func (x *builder) end()             { x.u8(0x04) }
func (x *builder) eof()             { x.u8(0x00) }
func (x *builder) text(s string) {
	x.raw(0x05, TypeString)
	x.u16(uint16(len(utf16.Encode([]rune(s)))))
	x.raw(x.utf16(s)...)
}
func (x *builder) subst(idx uint16, t byte, optional bool) {
	if optional {
		x.u8(0x0e)
	} else {
		x.u8(0x0d)
	}
	x.u16(idx)
	x.u8(t)
}

type val struct {
	t byte
	b []byte
}

// instance writes a template instance with an inline definition whose
// body is written by body, then the values.
func (x *builder) instance(body func(), vals []val) {
	x.u8(0x0c)
	x.u8(1)
	x.u32(7)
	x.u32(uint32(x.pos() + 4))
	x.u32(0)                   // next template
	x.raw(make([]byte, 16)...) // GUID
	sizeAt := x.pos()
	x.u32(0)
	start := x.pos()
	body()
	binary.LittleEndian.PutUint32(x.b[sizeAt:], uint32(x.pos()-start))
	x.u32(uint32(len(vals)))
	for _, v := range vals {
		x.u16(uint16(len(v.b)))
		x.u8(v.t)
		x.u8(0)
	}
	for _, v := range vals {
		x.raw(v.b...)
	}
}

func decode(t *testing.T, x *builder, start int) (*Decoder, error) {
	t.Helper()
	d := NewDecoder()
	d.Reset(x.b)
	return d, d.Decode(start, len(x.b))
}

// texts renders the tree as name[attr=value](text) lines, for comparison.
func texts(d *Doc) string {
	var sb strings.Builder
	var walk func(i int32, depth int)
	walk = func(i int32, depth int) {
		for c := d.Nodes[i].Child; c >= 0; c = d.Nodes[c].Next {
			n := &d.Nodes[c]
			switch n.Kind {
			case KindElement:
				sb.WriteString(strings.Repeat(" ", depth) + d.NameOf(n))
				for a := n.Child; a >= 0 && d.Nodes[a].Kind == KindAttr; a = d.Nodes[a].Next {
					sb.WriteString(" " + d.NameOf(&d.Nodes[a]) + "=" + string(d.AppendText(nil, a)))
				}
				if txt := string(d.AppendText(nil, c)); txt != "" {
					sb.WriteString(" (" + txt + ")")
				}
				sb.WriteString("\n")
				walk(c, depth+1)
			case KindPI:
				sb.WriteString(strings.Repeat(" ", depth) + "?" + d.NameOf(n) + " " + string(AppendUTF16(nil, d.Bytes(n))) + "\n")
			}
		}
	}
	walk(0, 0)
	return sb.String()
}

func TestDecodeRawFragment(t *testing.T) {
	x := newBuilder()
	x.fragment()
	x.open("Event", false)
	x.closeStart()
	x.open("Data", true)
	x.attr("Name")
	x.text("X")
	x.closeStart()
	x.text("a")
	x.u8(0x09) // &amp;
	x.nameRef("amp")
	x.text("b")
	x.u8(0x08) // &#65;
	x.u16(65)
	x.u8(0x07) // CDATA
	x.u16(2)
	x.raw(x.utf16("<>")...)
	x.end()
	x.u8(0x0a) // PI
	x.nameRef("pi")
	x.u8(0x0b)
	x.u16(3)
	x.raw(x.utf16("d=1")...)
	x.open("Empty", false)
	x.closeEmpty()
	x.end()
	x.eof()
	d, err := decode(t, x, 512)
	if err != nil {
		t.Fatal(err)
	}
	want := "Event\n Data Name=X (a&bA<>)\n ?pi d=1\n Empty\n"
	if got := texts(&d.Doc); got != want {
		t.Errorf("tree:\n%s\nwant:\n%s", got, want)
	}
}

func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }

func TestTemplateSubstitutions(t *testing.T) {
	sid := []byte{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 0xd2, 0x04, 0, 0, 0x2e, 0x16, 0, 0, 0x39, 0x30, 0, 0, 0xf4, 0x01, 0, 0}
	guid := []byte{0x25, 0x96, 0x84, 0x54, 0x78, 0x54, 0x94, 0x49, 0xa5, 0xba, 0x3e, 0x3b, 0x03, 0x28, 0xc3, 0x0d}
	x := newBuilder()
	x.fragment()
	x.instance(func() {
		x.fragment()
		x.open("Event", false)
		x.closeStart()
		names := []string{"u16", "ft", "sid", "guid", "hex", "arr", "bin", "bool", "sizet", "i8", "real"}
		for i, n := range names {
			x.open(n, false)
			x.closeStart()
			x.subst(uint16(i), 0, false)
			x.end()
		}
		x.open("Opt", true)
		x.attr("Gone")
		x.subst(11, TypeGUID, true)
		x.attr("Kept")
		x.subst(0, TypeUInt16, true)
		x.closeEmpty()
		x.end()
		x.eof()
	}, []val{
		{TypeUInt16, le16(4624)},
		{TypeFileTime, le64(131124751716816408)},
		{TypeSID, sid},
		{TypeGUID, guid},
		{TypeHexInt64, le64(0x8020000000000000)},
		{TypeString | TypeArray, append(append(x.utf16("a"), 0, 0), x.utf16("bc")...)},
		{TypeBinary, []byte{0xde, 0xad}},
		{TypeBool, le32(2)},
		{TypeSizeT, le32(0x858)},
		{TypeInt8, []byte{0xff}},
		{TypeReal64, le64(0x3ff8000000000000)},
		{TypeNull, nil},
	})
	x.eof()
	d, err := decode(t, x, 512)
	if err != nil {
		t.Fatal(err)
	}
	want := `Event
 u16 (4624)
 ft (2016-07-08T18:12:51.6816408Z)
 sid (S-1-5-21-1234-5678-12345-500)
 guid ({54849625-5478-4994-A5BA-3E3B0328C30D})
 hex (0x8020000000000000)
 arr (a,bc)
 bin (DEAD)
 bool (true)
 sizet (0x858)
 i8 (-1)
 real (1.5)
 Opt Kept=4624
`
	if got := texts(&d.Doc); got != want {
		t.Errorf("tree:\n%s\nwant:\n%s", got, want)
	}
	if d.Templates() != 1 {
		t.Errorf("%d templates cached, want 1", d.Templates())
	}
}

func TestNestedBinXMLSubstitution(t *testing.T) {
	x := newBuilder()
	inner := newBuilder()
	inner.b = inner.b[:0]
	// The nested fragment is position-independent: a raw element whose
	// name offset points inside the value, so build it in place below.
	x.fragment()
	x.instance(func() {
		x.open("Event", false)
		x.closeStart()
		x.open("UserData", false)
		x.closeStart()
		x.subst(0, TypeBinXML, false)
		x.end()
		x.end()
		x.eof()
	}, nil)
	// Patch: value count 1 with a BinXml value written at the end.
	x.b = x.b[:len(x.b)-4]
	x.u32(1)
	descAt := x.pos()
	x.u32(0)
	valStart := x.pos()
	x.fragment()
	x.open("Leaf", false)
	x.closeStart()
	x.text("v")
	x.end()
	x.eof()
	binary.LittleEndian.PutUint16(x.b[descAt:], uint16(x.pos()-valStart))
	x.b[descAt+2] = TypeBinXML
	x.eof()
	d, err := decode(t, x, 512)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := texts(&d.Doc), "Event\n UserData\n  Leaf (v)\n"; got != want {
		t.Errorf("tree:\n%s\nwant:\n%s", got, want)
	}
}

func TestSelfReferencingTemplate(t *testing.T) {
	x := newBuilder()
	x.fragment()
	start := x.pos()
	// A template whose body instantiates the template itself.
	x.u8(0x0c)
	x.u8(1)
	x.u32(7)
	x.u32(uint32(x.pos() + 4))
	defAt := x.pos()
	x.u32(0)
	x.raw(make([]byte, 16)...)
	x.u32(15)
	x.u8(0x0c)
	x.u8(1)
	x.u32(7)
	x.u32(uint32(defAt))
	x.u32(0) // no values
	x.eof()
	x.u32(0)
	x.eof()
	_, err := decode(t, x, start-4)
	if err == nil || !errors.Is(err, parsers.ErrCorrupt) {
		t.Fatalf("err = %v, want a corrupt-data error", err)
	}
}

// TestTruncationNeverPanics decodes every prefix of a record.
func TestTruncationNeverPanics(t *testing.T) {
	x := newBuilder()
	x.fragment()
	x.instance(func() {
		x.fragment()
		x.open("Event", true)
		x.attr("a")
		x.subst(0, TypeString, true)
		x.closeStart()
		x.subst(1, TypeSID, false)
		x.end()
		x.eof()
	}, []val{{TypeString, x.utf16("hello")}, {TypeSID, []byte{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}}})
	x.eof()
	full := x.b
	for n := 513; n <= len(full); n++ {
		d := NewDecoder()
		d.Reset(full[:n])
		_ = d.Decode(512, n)
	}
}

func TestAppendScalar(t *testing.T) {
	tests := []struct {
		name string
		t    uint8
		b    []byte
		want string
	}{
		{"hexint32", TypeHexInt32, le32(0xc000006d), "0xc000006d"},
		{"uint64", TypeUInt64, le64(18446744073709551615), "18446744073709551615"},
		{"int16", TypeInt16, le16(0xffff), "-1"},
		{"bool false", TypeBool, le32(0), "false"},
		{"ansi", TypeAnsiString, []byte("caf\xe9\x00"), "café"},
		{"systemtime", TypeSysTime, []byte{0xe1, 7, 5, 0, 5, 0, 19, 0, 2, 0, 2, 0, 36, 0, 203, 0}, "2017-05-19T02:02:36.2030000Z"},
		{"truncated sid", TypeSID, []byte{1, 5, 0}, "010500"},
		{"short uint32", TypeUInt32, []byte{1, 2}, "0102"},
		{"surrogates", TypeString, []byte{0x3d, 0xd8, 0x00, 0xde}, "😀"},
		{"lone surrogate", TypeString, []byte{0x3d, 0xd8, 0x41, 0x00}, "\ufffdA"},
		{"trailing NUL", TypeString, []byte{'a', 0, 0, 0}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(AppendScalar(nil, tt.t, tt.b)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestUnbalancedNestedFragment: end tags inside a BinXml substitution must
// not close the elements around it (found by FuzzChunk).
func TestUnbalancedNestedFragment(t *testing.T) {
	x := newBuilder()
	x.fragment()
	x.instance(func() {
		x.open("Event", false)
		x.closeStart()
		x.open("UserData", false)
		x.closeStart()
		x.subst(0, TypeBinXML, false)
		x.end()
		x.u8(0x08) // a character reference after the substitution
		x.u16('B')
		x.end()
		x.eof()
	}, []val{{TypeBinXML, []byte{0x04, 0x04, 0x04, 0x08, 'A', 0, 0x00}}})
	x.eof()
	d, err := decode(t, x, 512)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := texts(&d.Doc), "Event (B)\n UserData (A)\n"; got != want {
		t.Errorf("tree:\n%s\nwant:\n%s", got, want)
	}
}
