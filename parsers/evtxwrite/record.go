package evtxwrite

import (
	"encoding/binary"
	"fmt"
	"time"
)

type itemKind uint8

const (
	kOpen itemKind = iota + 1
	kAttr
	kText
	kClose
)

// item is one step of a record: an element opening or closing, an
// attribute, or a text value. lit marks text written in the template
// itself (a String literal in v.S) rather than substituted.
type item struct {
	kind itemKind
	lit  bool
	name string
	v    Value
}

// Record is one event record built element by element: Open, then the
// element's attributes (Attr, LiteralAttr), then its content (Text,
// LiteralText, child elements), then Close. A record has one root element
// (normally <Event>). Typed values (Attr, Text) are substitutions of the
// record's template; literals are part of the template, so records that
// differ in a literal use different templates (use literals for what names
// a field, such as <Data Name="...">).
//
// Reset empties a Record for reuse; the Writer does not keep a Record
// after WriteRecord returns.
type Record struct {
	// ID is the record id of the record header; 0 takes the next id of
	// the Writer's sequence (Options.FirstRecordID, then one up).
	ID uint64
	// Written is the time in the record header (the decoder uses it when
	// the record has no TimeCreated); zero writes 0.
	Written time.Time

	items []item
	// valid marks a record built by Write, valid by construction, with
	// subst substitutions.
	valid bool
	subst int
}

// Reset empties r, keeping its memory.
func (r *Record) Reset() {
	clear(r.items) // drop references to the caller's strings and bytes
	r.items = r.items[:0]
	r.ID, r.Written = 0, time.Time{}
	r.valid, r.subst = false, 0
}

// Open starts an element.
func (r *Record) Open(name string) { r.items = append(r.items, item{kind: kOpen, name: name}) }

// Attr adds an attribute with a substituted value to the element just
// opened. A Null value makes readers drop the attribute.
func (r *Record) Attr(name string, v Value) {
	r.items = append(r.items, item{kind: kAttr, name: name, v: v})
}

// LiteralAttr adds an attribute whose text is part of the template.
func (r *Record) LiteralAttr(name, text string) {
	r.items = append(r.items, item{kind: kAttr, lit: true, name: name, v: Str(text)})
}

// Text adds a substituted value to the content of the open element. A
// Null value adds nothing that readers see.
func (r *Record) Text(v Value) { r.items = append(r.items, item{kind: kText, v: v}) }

// LiteralText adds text that is part of the template.
func (r *Record) LiteralText(text string) {
	r.items = append(r.items, item{kind: kText, lit: true, v: Str(text)})
}

// Close ends the element opened last.
func (r *Record) Close() { r.items = append(r.items, item{kind: kClose}) }

// maxName is the longest name the format holds (a 16-bit character count).
const maxName = 0xffff

// validate checks that r is one balanced element tree with attributes
// right after their element's opening, and that names are non-empty and
// not too long. It returns the number of substitutions.
func (r *Record) validate() (int, error) {
	depth, roots, subst := 0, 0, 0
	attrOK := false
	for i, it := range r.items {
		switch it.kind {
		case kOpen:
			if depth == 0 {
				roots++
				if roots > 1 {
					return 0, fmt.Errorf("step %d: a second root element <%s>: %w", i, it.name, ErrBadRecord)
				}
			}
			if it.name == "" || utf16Len(it.name) > maxName {
				return 0, fmt.Errorf("step %d: element name of %d bytes: %w", i, len(it.name), ErrBadRecord)
			}
			depth++
			attrOK = true
		case kAttr:
			if !attrOK {
				return 0, fmt.Errorf("step %d: attribute %q after the element's content: %w", i, it.name, ErrBadRecord)
			}
			if it.name == "" || utf16Len(it.name) > maxName {
				return 0, fmt.Errorf("step %d: attribute name of %d bytes: %w", i, len(it.name), ErrBadRecord)
			}
			if !it.lit {
				subst++
			}
		case kText:
			if depth == 0 {
				return 0, fmt.Errorf("step %d: text outside the root element: %w", i, ErrBadRecord)
			}
			attrOK = false
			if !it.lit {
				subst++
			}
		case kClose:
			if depth == 0 {
				return 0, fmt.Errorf("step %d: Close without Open: %w", i, ErrBadRecord)
			}
			depth--
			attrOK = false
		default:
			return 0, fmt.Errorf("step %d: %w", i, ErrBadRecord)
		}
		if it.lit && utf16Len(it.v.S) > 0xffff {
			return 0, fmt.Errorf("step %d: literal of %d bytes: %w", i, len(it.v.S), ErrTooLarge)
		}
	}
	if roots == 0 {
		return 0, fmt.Errorf("no element: %w", ErrBadRecord)
	}
	if depth != 0 {
		return 0, fmt.Errorf("%d elements left open: %w", depth, ErrBadRecord)
	}
	if subst > 0xffff {
		return 0, fmt.Errorf("%d substitutions: %w", subst, ErrTooLarge)
	}
	return subst, nil
}

// appendKey appends the shape of r (what its template holds) to dst.
func (r *Record) appendKey(dst []byte) []byte {
	for i := range r.items {
		it := &r.items[i]
		dst = append(dst, byte(it.kind))
		switch it.kind {
		case kOpen, kAttr:
			dst = binary.AppendUvarint(dst, uint64(len(it.name)))
			dst = append(dst, it.name...)
		}
		switch {
		case it.kind == kClose || it.kind == kOpen:
		case it.lit:
			dst = append(dst, 'L')
			dst = binary.AppendUvarint(dst, uint64(len(it.v.S)))
			dst = append(dst, it.v.S...)
		default:
			dst = append(dst, byte(it.v.Type))
		}
	}
	return dst
}
