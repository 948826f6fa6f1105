package evtx

import (
	"strconv"
	"unicode/utf8"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtx/internal/binxml"
)

// Format selects how Dump renders records.
type Format int

const (
	// FormatXML renders each record as one <Event> element, as the
	// Windows event viewer shows it, followed by a newline. Control
	// characters that XML 1.0 cannot carry are shown as their Unicode
	// control pictures (U+2400 + code).
	FormatXML Format = iota + 1
	// FormatJSON renders each record as one JSON object on one line, in
	// the shape of the evtx_dump tool: {"Event":{"System":{...}}}, with
	// attributes under "#attributes", text beside attributes under
	// "#text", repeated elements as name, name_1, name_2…, <Data Name="X">
	// as "X": value, and unnamed <Data> as "Data": {"#text": [...]}.
	FormatJSON
)

// String returns "xml" or "jsonl".
func (f Format) String() string {
	switch f {
	case FormatXML:
		return "xml"
	case FormatJSON:
		return "jsonl"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// ParseFormat maps "xml", "json" and "jsonl" to a Format.
func ParseFormat(s string) (Format, bool) {
	switch s {
	case "xml":
		return FormatXML, true
	case "json", "jsonl":
		return FormatJSON, true
	}
	return 0, false
}

// renderer renders decoded record trees; its buffers are reused.
type renderer struct {
	tmp []byte
}

type item struct {
	t uint8
	b []byte
}

const xmlFlagNS = "urn:loghunt"

// appendRecord renders doc in format f. Records flagged recovered or with a
// bad checksum say so: XML through lh:recovered / lh:badChecksum attributes
// (namespace urn:loghunt) on the root element, JSON through top-level
// "#recovered" / "#bad_checksum" keys.
func (r *renderer) appendRecord(dst []byte, doc *binxml.Doc, f Format, flags parsers.Flags) []byte {
	switch f {
	case FormatJSON:
		return r.appendJSONRecord(dst, doc, flags)
	default:
		return r.appendXMLRecord(dst, doc, flags)
	}
}

// --- XML ---

func (r *renderer) appendXMLRecord(dst []byte, doc *binxml.Doc, flags parsers.Flags) []byte {
	first := true
	for c := doc.Nodes[0].Child; c >= 0; c = doc.Nodes[c].Next {
		switch doc.Nodes[c].Kind {
		case binxml.KindElement:
			fl := parsers.Flags(0)
			if first {
				fl = flags
			}
			first = false
			dst = r.xmlElem(dst, doc, c, 0, fl, -1, item{})
		case binxml.KindPI:
			dst = r.xmlPI(dst, doc, c, 0)
		}
	}
	return dst
}

// maxIndent caps indentation: a deeply nested (damaged) record must not
// multiply its size by its depth.
const maxIndent = 32

func indent(dst []byte, depth int) []byte {
	for i := 0; i < min(depth, maxIndent); i++ {
		dst = append(dst, ' ', ' ')
	}
	return dst
}

// xmlElem renders element i. An element whose content holds an array value
// is repeated once per item (MS-EVEN6 3.1.4.7.5); override then replaces
// node ov by one item.
func (r *renderer) xmlElem(dst []byte, doc *binxml.Doc, i int32, depth int, flags parsers.Flags, ov int32, it item) []byte {
	if len(dst) > maxRendered*4 {
		return dst // the caller rejects the record
	}
	if ov < 0 {
		for c := doc.Nodes[i].Child; c >= 0; c = doc.Nodes[c].Next {
			n := &doc.Nodes[c]
			if n.Kind == binxml.KindValue && n.Type&binxml.TypeArray != 0 {
				var items []item
				binxml.Elems(n.Type, doc.Bytes(n), func(t uint8, b []byte) bool {
					items = append(items, item{t, b})
					return true
				})
				if len(items) == 0 {
					items = append(items, item{binxml.TypeNull, nil})
				}
				for _, x := range items {
					dst = r.xmlElem(dst, doc, i, depth, flags, c, x)
				}
				return dst
			}
		}
	}
	name := doc.NameOf(&doc.Nodes[i])
	dst = indent(dst, depth)
	dst = append(dst, '<')
	dst = appendXMLName(dst, name)
	hasContent, hasElems := false, false
	for c := doc.Nodes[i].Child; c >= 0; c = doc.Nodes[c].Next {
		n := &doc.Nodes[c]
		switch n.Kind {
		case binxml.KindAttr:
			dst = append(dst, ' ')
			dst = appendXMLName(dst, doc.NameOf(n))
			dst = append(dst, '=', '"')
			r.tmp = doc.AppendText(r.tmp[:0], c)
			dst = appendXMLEscaped(dst, r.tmp, true)
			dst = append(dst, '"')
		case binxml.KindElement, binxml.KindPI:
			hasContent, hasElems = true, true
		default:
			hasContent = true
		}
	}
	if flags&parsers.Recovered != 0 || flags&parsers.BadChecksum != 0 {
		dst = append(dst, ` xmlns:lh="`+xmlFlagNS+`"`...)
		if flags&parsers.Recovered != 0 {
			dst = append(dst, ` lh:recovered="true"`...)
		}
		if flags&parsers.BadChecksum != 0 {
			dst = append(dst, ` lh:badChecksum="true"`...)
		}
	}
	if !hasContent {
		return append(dst, "/>\n"...)
	}
	dst = append(dst, '>')
	if !hasElems {
		for c := doc.Nodes[i].Child; c >= 0 && len(dst) <= maxRendered*4; c = doc.Nodes[c].Next {
			dst = r.xmlText(dst, doc, c, ov, it)
		}
	} else {
		dst = append(dst, '\n')
		for c := doc.Nodes[i].Child; c >= 0 && len(dst) <= maxRendered*4; c = doc.Nodes[c].Next {
			switch doc.Nodes[c].Kind {
			case binxml.KindAttr:
			case binxml.KindElement:
				dst = r.xmlElem(dst, doc, c, depth+1, 0, -1, item{})
			case binxml.KindPI:
				dst = r.xmlPI(dst, doc, c, depth+1)
			default:
				dst = indent(dst, depth+1)
				dst = r.xmlText(dst, doc, c, ov, it)
				dst = append(dst, '\n')
			}
		}
		dst = indent(dst, depth)
	}
	dst = append(dst, '<', '/')
	dst = appendXMLName(dst, name)
	return append(dst, ">\n"...)
}

// xmlText renders one value-like node as XML text.
func (r *renderer) xmlText(dst []byte, doc *binxml.Doc, c int32, ov int32, it item) []byte {
	n := &doc.Nodes[c]
	switch n.Kind {
	case binxml.KindValue:
		if c == ov {
			r.tmp = binxml.AppendScalar(r.tmp[:0], it.t, it.b)
		} else {
			r.tmp = doc.AppendValue(r.tmp[:0], n, ",")
		}
		return appendXMLEscaped(dst, r.tmp, false)
	case binxml.KindCharRef:
		if !xmlChar(rune(n.Ref)) {
			r.tmp = utf8.AppendRune(r.tmp[:0], rune(n.Ref))
			return appendXMLEscaped(dst, r.tmp, false)
		}
		dst = append(dst, "&#"...)
		dst = strconv.AppendUint(dst, uint64(n.Ref), 10)
		return append(dst, ';')
	case binxml.KindEntityRef:
		switch name := doc.NameOf(n); name {
		case "amp", "lt", "gt", "quot", "apos":
			dst = append(dst, '&')
			dst = append(dst, name...)
		default:
			// Only the predefined entities are well-formed without a
			// DTD: show any other reference as text.
			dst = append(dst, "&amp;"...)
			dst = appendXMLName(dst, name)
		}
		return append(dst, ';')
	case binxml.KindCDATA:
		// Written as escaped text: same content, and no "]]>" to break it.
		r.tmp = binxml.AppendUTF16(r.tmp[:0], doc.Bytes(n))
		return appendXMLEscaped(dst, r.tmp, false)
	}
	return dst
}

func (r *renderer) xmlPI(dst []byte, doc *binxml.Doc, c int32, depth int) []byte {
	n := &doc.Nodes[c]
	dst = indent(dst, depth)
	dst = append(dst, "<?"...)
	dst = appendXMLName(dst, doc.NameOf(n))
	if n.Size > 0 {
		dst = append(dst, ' ')
		r.tmp = binxml.AppendUTF16(r.tmp[:0], doc.Bytes(n))
		for i, c := range r.tmp {
			switch {
			case c == '>' && i > 0 && r.tmp[i-1] == '?':
				dst = append(dst, ' ', '>') // "?>" would end the PI
			case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
				dst = append(dst, 0xe2, 0x90, 0x80+c)
			default:
				dst = append(dst, c)
			}
		}
	}
	return append(dst, "?>\n"...)
}

// xmlChar reports whether r may appear in an XML 1.0 document.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0a || r == 0x0d || (r >= 0x20 && r <= 0xd7ff) ||
		(r >= 0xe000 && r <= 0xfffd) || (r >= 0x10000 && r <= 0x10ffff)
}

// appendXMLName appends name, with every character that is not an ASCII
// name character replaced by '_' (names come from the file: a damaged one
// must not break the document).
func appendXMLName(dst []byte, name string) []byte {
	if name == "" {
		return append(dst, '_')
	}
	colon := false // one prefix separator at most
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(i > 0 && (c == '-' || c == '.' || (c >= '0' && c <= '9')))
		if c == ':' && !colon {
			ok, colon = true, true
		}
		if !ok {
			c = '_'
		}
		dst = append(dst, c)
	}
	return dst
}

func appendXMLEscaped(dst, s []byte, attr bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0xef && i+2 < len(s) && s[i+1] == 0xbf && (s[i+2] == 0xbe || s[i+2] == 0xbf) {
			dst = append(dst, "\ufffd"...) // U+FFFE and U+FFFF are not XML characters
			i += 2
			continue
		}
		switch c {
		case '&':
			dst = append(dst, "&amp;"...)
		case '<':
			dst = append(dst, "&lt;"...)
		case '>':
			dst = append(dst, "&gt;"...)
		case '"':
			if attr {
				dst = append(dst, "&quot;"...)
			} else {
				dst = append(dst, c)
			}
		case '\t', '\n', '\r':
			dst = append(dst, c)
		default:
			if c < 0x20 {
				// Not allowed in XML 1.0, not even as a reference:
				// show the control picture (U+2400 + c) instead.
				dst = append(dst, 0xe2, 0x90, 0x80+c)
				break
			}
			dst = append(dst, c)
		}
	}
	return dst
}

// --- JSON ---

func (r *renderer) appendJSONRecord(dst []byte, doc *binxml.Doc, flags parsers.Flags) []byte {
	dst = append(dst, '{')
	n := 0
	if flags&parsers.Recovered != 0 {
		dst = append(dst, `"#recovered":true`...)
		n++
	}
	if flags&parsers.BadChecksum != 0 {
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `"#bad_checksum":true`...)
		n++
	}
	dst = r.jsonMembers(dst, doc, 0, n)
	return append(dst, '}')
}

// jsonMembers writes the element children of node i as object members;
// written is how many members precede them.
func (r *renderer) jsonMembers(dst []byte, doc *binxml.Doc, i int32, written int) []byte {
	seen := make(map[string]int) // per object; small
	unnamed := 0
	for c := doc.Nodes[i].Child; c >= 0; c = doc.Nodes[c].Next {
		if n := &doc.Nodes[c]; n.Kind == binxml.KindElement && doc.NameOf(n) == "Data" && doc.Attr(c, "Name") < 0 {
			unnamed++
		}
	}
	sep := func() {
		if written > 0 {
			dst = append(dst, ',')
		}
		written++
	}
	dataDone := false
	for c := doc.Nodes[i].Child; c >= 0 && len(dst) <= maxRendered*4; c = doc.Nodes[c].Next {
		n := &doc.Nodes[c]
		if n.Kind != binxml.KindElement {
			continue
		}
		if doc.NameOf(n) == "Data" {
			if a := doc.Attr(c, "Name"); a >= 0 && onlyAttr(doc, c) {
				r.tmp = doc.AppendText(r.tmp[:0], a)
				key := string(r.tmp)
				sep()
				dst = r.jsonKey(dst, key, seen)
				dst = r.jsonText(dst, doc, c)
				continue
			}
			if doc.Attr(c, "Name") < 0 && unnamed > 0 {
				if dataDone {
					continue
				}
				dataDone = true
				sep()
				dst = r.jsonKey(dst, "Data", seen)
				dst = append(dst, `{"#text":`...)
				// One string per <Data>, after array expansion; a
				// single one is not wrapped in an array.
				start := len(dst)
				k := 0
				one := func(b []byte) {
					if k > 0 {
						dst = append(dst, ',')
					}
					k++
					dst = appendJSONString(dst, b)
				}
				for d := c; d >= 0; d = doc.Nodes[d].Next {
					dn := &doc.Nodes[d]
					if dn.Kind != binxml.KindElement || doc.NameOf(dn) != "Data" || doc.Attr(d, "Name") >= 0 {
						continue
					}
					if v := dn.Child; v >= 0 && doc.Nodes[v].Next < 0 && doc.Nodes[v].Kind == binxml.KindValue && doc.Nodes[v].Type&binxml.TypeArray != 0 {
						vn := &doc.Nodes[v]
						binxml.Elems(vn.Type, doc.Bytes(vn), func(t uint8, b []byte) bool {
							var buf [64]byte
							one(binxml.AppendScalar(buf[:0], t, b))
							return true
						})
						continue
					}
					r.tmp = doc.AppendText(r.tmp[:0], d)
					one(r.tmp)
				}
				switch k {
				case 0:
					dst = append(dst, `""`...)
				case 1:
				default:
					dst = append(dst[:start], append([]byte{'['}, dst[start:]...)...)
					dst = append(dst, ']')
				}
				dst = append(dst, '}')
				continue
			}
		}
		sep()
		dst = r.jsonKey(dst, doc.NameOf(n), seen)
		dst = r.jsonElem(dst, doc, c)
	}
	return dst
}

// onlyAttr reports whether element i has exactly one attribute.
func onlyAttr(doc *binxml.Doc, i int32) bool {
	k := 0
	for c := doc.Nodes[i].Child; c >= 0 && doc.Nodes[c].Kind == binxml.KindAttr; c = doc.Nodes[c].Next {
		k++
	}
	return k == 1
}

// jsonKey writes "name": renaming repeats name_1, name_2…
func (r *renderer) jsonKey(dst []byte, name string, seen map[string]int) []byte {
	k := seen[name]
	seen[name] = k + 1
	if k == 0 {
		dst = appendJSONString(dst, []byte(name))
	} else {
		r.tmp = append(append(r.tmp[:0], name...), '_')
		r.tmp = strconv.AppendInt(r.tmp, int64(k), 10)
		dst = appendJSONString(dst, r.tmp)
	}
	return append(dst, ':')
}

// jsonElem writes the value of element i.
func (r *renderer) jsonElem(dst []byte, doc *binxml.Doc, i int32) []byte {
	attrs, elems, texts := 0, 0, 0
	for c := doc.Nodes[i].Child; c >= 0; c = doc.Nodes[c].Next {
		switch doc.Nodes[c].Kind {
		case binxml.KindAttr:
			attrs++
		case binxml.KindElement:
			elems++
		case binxml.KindPI:
		default:
			texts++
		}
	}
	if attrs == 0 && elems == 0 {
		if texts == 0 {
			return append(dst, "null"...)
		}
		return r.jsonText(dst, doc, i)
	}
	dst = append(dst, '{')
	written := 0
	if attrs > 0 {
		dst = append(dst, `"#attributes":{`...)
		k := 0
		for c := doc.Nodes[i].Child; c >= 0; c = doc.Nodes[c].Next {
			if doc.Nodes[c].Kind != binxml.KindAttr {
				continue
			}
			if k > 0 {
				dst = append(dst, ',')
			}
			k++
			dst = appendJSONString(dst, []byte(doc.NameOf(&doc.Nodes[c])))
			dst = append(dst, ':')
			dst = r.jsonText(dst, doc, c)
		}
		dst = append(dst, '}')
		written++
	}
	if elems > 0 {
		dst = r.jsonMembers(dst, doc, i, written)
		written++
	}
	if texts > 0 {
		if written > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `"#text":`...)
		dst = r.jsonText(dst, doc, i)
	}
	return append(dst, '}')
}

// jsonText writes the text content of element or attribute i: a number or
// boolean when it is a single value of such a type, an array for an array
// value, a string otherwise.
func (r *renderer) jsonText(dst []byte, doc *binxml.Doc, i int32) []byte {
	var only int32 = -1
	k := 0
	for c := doc.Nodes[i].Child; c >= 0; c = doc.Nodes[c].Next {
		switch doc.Nodes[c].Kind {
		case binxml.KindAttr, binxml.KindElement, binxml.KindPI:
			continue
		}
		only = c
		k++
	}
	if k == 0 {
		return append(dst, `""`...)
	}
	if k == 1 {
		n := &doc.Nodes[only]
		if n.Kind == binxml.KindValue {
			if n.Type&binxml.TypeArray != 0 {
				dst = append(dst, '[')
				first := true
				binxml.Elems(n.Type, doc.Bytes(n), func(t uint8, b []byte) bool {
					if !first {
						dst = append(dst, ',')
					}
					first = false
					dst = r.jsonScalar(dst, t, b)
					return true
				})
				return append(dst, ']')
			}
			return r.jsonScalar(dst, n.Type, doc.Bytes(n))
		}
	}
	r.tmp = r.tmp[:0]
	for c := doc.Nodes[i].Child; c >= 0 && len(r.tmp) <= binxml.MaxText; c = doc.Nodes[c].Next {
		r.tmp = doc.AppendNodeText(r.tmp, c)
	}
	return appendJSONString(dst, r.tmp)
}

func (r *renderer) jsonScalar(dst []byte, t uint8, b []byte) []byte {
	r.tmp = binxml.AppendScalar(r.tmp[:0], t, b)
	switch {
	case !binxml.SizeOK(t, b):
	case t == binxml.TypeBool:
		return append(dst, r.tmp...)
	case binxml.IsNumeric(t) && len(r.tmp) > 0 && isJSONNumber(r.tmp):
		return append(dst, r.tmp...)
	}
	return appendJSONString(dst, r.tmp)
}

func isJSONNumber(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && c != '-' && c != '.' && c != 'e' && c != 'E' && c != '+' {
			return false
		}
	}
	return b[0] != '+' && b[0] != '.'
}

const hexDigits = "0123456789abcdef"

func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			if c < 0x20 {
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
				break
			}
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	return append(dst, '"')
}
