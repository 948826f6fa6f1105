package json

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/loghunt/loghunt/parsers"
)

// kind is the type of a JSON value in the scanner's tree.
type kind uint8

const (
	kNull kind = iota
	kFalse
	kTrue
	kNum
	kStr
	kObj
	kArr
)

// span is a half-open range in one of the scanner's byte buffers.
type span struct{ a, b int32 }

// node is one value of a parsed document. Children of objects and arrays
// are linked in document order through child and next, so key order is
// kept (encoding/json maps would lose it).
type node struct {
	kind  kind
	key   span  // member name in scanner.keys (object members only)
	val   span  // string or number text in scanner.vals
	child int32 // first child, or -1
	next  int32 // next sibling, or -1
}

// errNeedMore says the document continues past the end of the buffer.
var errNeedMore = errors.New("json: need more input")

// syntaxError is a scanner error at a byte position of the document.
type syntaxError struct {
	pos int
	err error
}

func (e *syntaxError) Error() string { return e.err.Error() }
func (e *syntaxError) Unwrap() error { return e.err }

// scanner parses one complete JSON value from a byte slice into a tree of
// nodes. Its buffers are reused from one document to the next, so a
// steady stream of documents costs no allocations here.
type scanner struct {
	data      []byte
	pos       int
	atEOF     bool // data ends at the end of the input
	maxDepth  int
	maxValues int

	nodes []node
	keys  []byte // unescaped member names
	vals  []byte // unescaped strings and number text
}

// reset prepares the scanner for a new document starting at data[0].
func (s *scanner) reset(data []byte, atEOF bool) {
	s.data = data
	s.pos = 0
	s.atEOF = atEOF
	s.nodes = s.nodes[:0]
	s.keys = s.keys[:0]
	s.vals = s.vals[:0]
}

// parse reads one value and returns the index of its root node and the
// number of bytes it used. The error is errNeedMore, or a *syntaxError
// wrapping parsers.ErrSyntax or parsers.ErrTruncated.
func (s *scanner) parse() (int32, int, error) {
	root, err := s.value(0)
	if err != nil {
		return -1, 0, err
	}
	return root, s.pos, nil
}

func (s *scanner) more() error {
	if s.atEOF {
		return &syntaxError{s.pos, fmt.Errorf("%w: unexpected end of input", parsers.ErrTruncated)}
	}
	return errNeedMore
}

func (s *scanner) syntaxf(format string, args ...any) error {
	return &syntaxError{s.pos, fmt.Errorf("%w: "+format, append([]any{parsers.ErrSyntax}, args...)...)}
}

func (s *scanner) newNode(k kind) int32 {
	s.nodes = append(s.nodes, node{kind: k, child: -1, next: -1})
	return int32(len(s.nodes) - 1)
}

// tooMany reports whether the document has more values than allowed:
// each value costs a node, so this bounds memory beyond the document's
// own size.
func (s *scanner) tooMany() error {
	if len(s.nodes) >= s.maxValues {
		return &syntaxError{s.pos, fmt.Errorf("%w: more than %d values in one document", ErrTooLarge, s.maxValues)}
	}
	return nil
}

func (s *scanner) skipWS() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) value(depth int) (int32, error) {
	if err := s.tooMany(); err != nil {
		return -1, err
	}
	s.skipWS()
	if s.pos >= len(s.data) {
		return -1, s.more()
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		return s.object(depth + 1)
	case c == '[':
		return s.array(depth + 1)
	case c == '"':
		sp, err := s.str(&s.vals)
		if err != nil {
			return -1, err
		}
		n := s.newNode(kStr)
		s.nodes[n].val = sp
		return n, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true", kTrue)
	case c == 'f':
		return s.literal("false", kFalse)
	case c == 'n':
		return s.literal("null", kNull)
	default:
		return -1, s.syntaxf("invalid character %q looking for a value", c)
	}
}

func (s *scanner) literal(lit string, k kind) (int32, error) {
	rest := s.data[s.pos:]
	for i := 0; i < len(lit); i++ {
		if i >= len(rest) {
			return -1, s.more()
		}
		if rest[i] != lit[i] {
			s.pos += i
			return -1, s.syntaxf("invalid character %q in literal %s", rest[i], lit)
		}
	}
	s.pos += len(lit)
	return s.newNode(k), nil
}

func (s *scanner) number() (int32, error) {
	d := s.data
	i := s.pos
	start := i
	if d[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		return i - j
	}
	if i >= len(d) {
		return -1, s.more()
	}
	switch {
	case d[i] == '0':
		i++
	case d[i] >= '1' && d[i] <= '9':
		digits()
	default:
		s.pos = i
		return -1, s.syntaxf("invalid character %q in number", d[i])
	}
	if i < len(d) && d[i] == '.' {
		i++
		if digits() == 0 {
			if i >= len(d) {
				return -1, s.more()
			}
			s.pos = i
			return -1, s.syntaxf("invalid character %q after decimal point", d[i])
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if digits() == 0 {
			if i >= len(d) {
				return -1, s.more()
			}
			s.pos = i
			return -1, s.syntaxf("invalid character %q in exponent", d[i])
		}
	}
	if i >= len(d) && !s.atEOF {
		// The number may go on in the next read.
		return -1, errNeedMore
	}
	a := int32(len(s.vals))
	s.vals = append(s.vals, d[start:i]...)
	s.pos = i
	n := s.newNode(kNum)
	s.nodes[n].val = span{a, int32(len(s.vals))}
	return n, nil
}

func (s *scanner) object(depth int) (int32, error) {
	if depth > s.maxDepth {
		return -1, s.syntaxf("nesting deeper than %d", s.maxDepth)
	}
	obj := s.newNode(kObj)
	s.pos++ // '{'
	s.skipWS()
	if s.pos >= len(s.data) {
		return -1, s.more()
	}
	if s.data[s.pos] == '}' {
		s.pos++
		return obj, nil
	}
	last := int32(-1)
	for {
		s.skipWS()
		if s.pos >= len(s.data) {
			return -1, s.more()
		}
		if s.data[s.pos] != '"' {
			return -1, s.syntaxf("invalid character %q looking for an object key", s.data[s.pos])
		}
		key, err := s.str(&s.keys)
		if err != nil {
			return -1, err
		}
		s.skipWS()
		if s.pos >= len(s.data) {
			return -1, s.more()
		}
		if s.data[s.pos] != ':' {
			return -1, s.syntaxf("invalid character %q after object key", s.data[s.pos])
		}
		s.pos++
		child, err := s.value(depth)
		if err != nil {
			return -1, err
		}
		s.nodes[child].key = key
		s.link(obj, last, child)
		last = child
		done, err := s.afterItem('}', "object value")
		if err != nil {
			return -1, err
		}
		if done {
			return obj, nil
		}
	}
}

// link makes child the next child of parent, after last (-1: the first).
func (s *scanner) link(parent, last, child int32) {
	if last < 0 {
		s.nodes[parent].child = child
	} else {
		s.nodes[last].next = child
	}
}

// afterItem reads what follows an object member or array element: a comma
// (more follow) or closer (done).
func (s *scanner) afterItem(closer byte, what string) (done bool, err error) {
	s.skipWS()
	if s.pos >= len(s.data) {
		return false, s.more()
	}
	switch s.data[s.pos] {
	case ',':
		s.pos++
		return false, nil
	case closer:
		s.pos++
		return true, nil
	}
	return false, s.syntaxf("invalid character %q after %s", s.data[s.pos], what)
}

func (s *scanner) array(depth int) (int32, error) {
	if depth > s.maxDepth {
		return -1, s.syntaxf("nesting deeper than %d", s.maxDepth)
	}
	arr := s.newNode(kArr)
	s.pos++ // '['
	s.skipWS()
	if s.pos >= len(s.data) {
		return -1, s.more()
	}
	if s.data[s.pos] == ']' {
		s.pos++
		return arr, nil
	}
	last := int32(-1)
	for {
		child, err := s.value(depth)
		if err != nil {
			return -1, err
		}
		s.link(arr, last, child)
		last = child
		done, err := s.afterItem(']', "array element")
		if err != nil {
			return -1, err
		}
		if done {
			return arr, nil
		}
	}
}

// str unescapes the string at s.pos (which is '"') onto *dst.
func (s *scanner) str(dst *[]byte) (span, error) {
	d := s.data
	a := int32(len(*dst))
	i := s.pos + 1
	start := i
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			*dst = append(*dst, d[start:i]...)
			s.pos = i + 1
			return span{a, int32(len(*dst))}, nil
		case c == '\\':
			*dst = append(*dst, d[start:i]...)
			n, err := s.escape(dst, i)
			if err != nil {
				return span{}, err
			}
			i += n
			start = i
		case c < 0x20:
			s.pos = i
			return span{}, s.syntaxf("invalid control character %q in string", c)
		default:
			i++
		}
	}
	return span{}, s.more()
}

// escape decodes the escape sequence at d[i] (a backslash) onto *dst and
// returns its length.
func (s *scanner) escape(dst *[]byte, i int) (int, error) {
	d := s.data
	if i+1 >= len(d) {
		return 0, s.more()
	}
	switch c := d[i+1]; c {
	case '"', '\\', '/':
		*dst = append(*dst, c)
	case 'b':
		*dst = append(*dst, '\b')
	case 'f':
		*dst = append(*dst, '\f')
	case 'n':
		*dst = append(*dst, '\n')
	case 'r':
		*dst = append(*dst, '\r')
	case 't':
		*dst = append(*dst, '\t')
	case 'u':
		r, ok, err := s.hex4(i + 2)
		if err != nil || !ok {
			return 0, err
		}
		n := 6
		if utf16.IsSurrogate(r) {
			// A high surrogate followed by \uDC00-\uDFFF is one rune;
			// anything else is replaced, as encoding/json does.
			r2 := utf8.RuneError
			if i+7 < len(d) || s.atEOF {
				if i+7 < len(d) && d[i+6] == '\\' && d[i+7] == 'u' {
					lo, ok, err := s.hex4(i + 8)
					if err != nil {
						return 0, err
					}
					if ok {
						if dec := utf16.DecodeRune(r, lo); dec != utf8.RuneError {
							r2 = dec
							n = 12
						}
					}
				}
			} else {
				return 0, s.more()
			}
			r = r2
		}
		*dst = utf8.AppendRune(*dst, r)
		return n, nil
	default:
		s.pos = i + 1
		return 0, s.syntaxf("invalid escape %q in string", c)
	}
	return 2, nil
}

// hex4 reads four hex digits at d[i]. ok is false with a nil error never;
// a bad digit is a syntax error.
func (s *scanner) hex4(i int) (rune, bool, error) {
	d := s.data
	if i+4 > len(d) {
		return 0, false, s.more()
	}
	var r rune
	for _, c := range d[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			s.pos = i
			return 0, false, s.syntaxf("invalid character %q in \\u escape", c)
		}
		r = r<<4 | rune(c)
	}
	return r, true, nil
}
