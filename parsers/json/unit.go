package json

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/winevent"
)

const (
	// DefaultMaxDocument is the default bound on the size of one document.
	DefaultMaxDocument = 64 << 20
	// maxMaxDocument keeps node offsets within int32.
	maxMaxDocument = 1 << 30
	// DefaultMaxDepth is the default bound on the nesting of one document.
	DefaultMaxDepth = 512
	// DefaultMaxValues is the default bound on the values of one document.
	DefaultMaxValues = 1 << 20
	initialBuffer    = 64 << 10
)

// Errors wrapped by the *parsers.ParseError values a Unit reports, next to
// parsers.ErrSyntax (malformed JSON) and parsers.ErrTruncated (the input
// ends inside a document).
var (
	// ErrTooLarge: a document is larger than Options.MaxDocument (it is
	// skipped without being buffered) or has more than Options.MaxValues
	// values.
	ErrTooLarge = errors.New("document too large")
	// ErrNotObject: a document (or array element) is a valid JSON value
	// but not an object, so it cannot be an event.
	ErrNotObject = errors.New("not a JSON object")
)

// Options configure a Unit. The zero value is ready to use.
type Options struct {
	// MaxDocument bounds the size in bytes of one document: one line of
	// JSON Lines, one element of a top-level array, or one top-level
	// value. A larger document is reported (ErrTooLarge) and skipped as a
	// malformed one is (to the next line that opens a document at the same
	// or a lower indentation), streaming over it, so memory stays near
	// MaxDocument. Zero means
	// DefaultMaxDocument; values above 1 GiB are lowered to 1 GiB.
	MaxDocument int
	// MaxDepth bounds how deeply objects and arrays may nest in one
	// document; a deeper one is reported as a syntax error. Zero means
	// DefaultMaxDepth.
	MaxDepth int
	// MaxValues bounds the number of JSON values (scalars, objects and
	// arrays) in one document, which bounds the parser's memory beyond
	// the document itself (about 32 bytes a value). A document with more
	// is reported (ErrTooLarge) and skipped. Zero means DefaultMaxValues.
	MaxValues int
	// UnitSize is the size in bytes of the units Split cuts a file into
	// (each unit ends at the first safe line boundary from there on). Zero
	// means DefaultUnitSize. NewUnit ignores it.
	UnitSize int
}

func (o Options) withDefaults() Options {
	if o.MaxDocument <= 0 {
		o.MaxDocument = DefaultMaxDocument
	}
	if o.MaxDocument > maxMaxDocument {
		o.MaxDocument = maxMaxDocument
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxValues <= 0 {
		o.MaxValues = DefaultMaxValues
	}
	if o.UnitSize <= 0 {
		o.UnitSize = DefaultUnitSize
	}
	return o
}

// Unit decodes one JSON log file (NewUnit), or one part of it (Split). It
// implements parsers.Unit.
//
// Decode may be called once; a second call returns an error. A Unit reads
// its io.Reader sequentially and never closes it.
type Unit struct {
	r    io.Reader
	path string
	opts Options

	// Set for a unit of a Split file: its index, the input offset where
	// its region ends (the next unit's start; 0: the end of input), and
	// its top-level array state (arrUnknown until read or set; see split.go).
	split *splitFile
	idx   int
	limit int64
	arr   int8
	start int8 // the array state at the region's start, once known
	dry   bool // only follow the framing: no events, no reports

	buf       []byte
	pos, end  int   // unread input is buf[pos:end]
	base      int64 // input offset of buf[0]
	line      int64 // line number of buf[pos], 1-based
	lineStart int64 // input offset of the start of that line
	eof       bool
	used      bool

	sc    scanner
	m     mapper
	ev    parsers.Event
	stats parsers.Stats
}

var _ parsers.Unit = (*Unit)(nil)

// NewUnit returns a Unit that reads JSON events from r. path is recorded
// in each Event's Source and in errors; it is not opened.
func NewUnit(r io.Reader, path string, opts Options) *Unit {
	opts = opts.withDefaults()
	u := &Unit{r: r, path: path, opts: opts, line: 1, arr: arrFalse, start: arrFalse}
	u.sc.maxDepth = opts.MaxDepth
	u.sc.maxValues = opts.MaxValues
	u.m.sc = &u.sc
	return u
}

// Size is the number of input bytes the unit covers: its region of a Split
// file, or 0 (unknown) for a unit of NewUnit, which reads to the end of its
// reader. The engine weighs progress by it.
func (u *Unit) Size() int64 {
	if u.split == nil {
		return 0
	}
	end := u.limit
	if end == 0 {
		end = u.split.size
	}
	return end - u.split.starts[u.idx]
}

// Decode reads the whole input, calling emit for each event in input
// order and report for each malformed document, which is counted in
// Stats.Failed and skipped: in JSON Lines the parser resumes at the next
// line, in pretty-printed input at the next line that opens a document
// at the same or a lower indentation. The returned error is final: a read
// error of the underlying reader, or the error emit returned.
func (u *Unit) Decode(emit parsers.EmitFunc, report parsers.ReportFunc) (parsers.Stats, error) {
	if u.used {
		return u.stats, fmt.Errorf("%s: json.Unit.Decode called twice", u.path)
	}
	u.used = true
	if report == nil {
		report = func(*parsers.ParseError) {}
	}
	if u.m.names == nil {
		u.m.names = make(map[string]string)
	}
	if u.split != nil && !u.dry {
		line, err := u.split.startLine(u.idx)
		if err != nil {
			return u.stats, err
		}
		u.line = line
	}
	err := u.run(emit, report)
	if err == nil && u.split != nil && !u.dry {
		u.split.finished(u.idx, u.start, u.arr)
	}
	return u.stats, err
}

// Top-level array states: a unit of a Split file may start without
// knowing whether it is inside a top-level array (see split.go).
const (
	arrFalse   int8 = 0
	arrTrue    int8 = 1
	arrUnknown int8 = -1
)

// inArray returns whether the framing is inside a top-level array, asking
// the split file for the unit's start state the first time it matters.
func (u *Unit) inArray() (bool, error) {
	if u.arr == arrUnknown {
		in, err := u.split.startInArray(u.idx)
		if err != nil {
			return false, err
		}
		u.arr = boolState(in)
		u.start = u.arr
	}
	return u.arr == arrTrue, nil
}

func boolState(b bool) int8 {
	if b {
		return arrTrue
	}
	return arrFalse
}

func (u *Unit) run(emit parsers.EmitFunc, report parsers.ReportFunc) error {
	// Only the start of the input can hold a byte order mark.
	first := u.base == 0
	for {
		c, ok, err := u.skipSpace()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if u.limit > 0 && u.base+int64(u.pos) >= u.limit {
			// The next unit's region: Split chose it where the framing
			// is between documents, whatever came before.
			return nil
		}
		if first {
			first = false
			if c == 0xEF {
				if err := u.skipBOM(); err != nil {
					return err
				}
				continue
			}
		}
		switch c {
		case '[', ']', ',':
			inArray, err := u.inArray()
			if err != nil {
				return err
			}
			switch {
			case c == '[' && !inArray:
				u.advance(1)
				u.arr = arrTrue
				continue
			case c == ']' && inArray:
				u.advance(1)
				u.arr = arrFalse
				continue
			case c == ',' && inArray:
				u.advance(1)
				continue
			}
		case 0x1E: // RFC 7464 record separator
			u.advance(1)
			continue
		}
		resynced, err := u.document(emit, report)
		if err != nil {
			return err
		}
		if resynced == '[' {
			u.arr = arrFalse
		}
	}
}

// document decodes the document at u.pos. It returns the first byte of
// the line it resynchronised to after an error, or 0.
func (u *Unit) document(emit parsers.EmitFunc, report parsers.ReportFunc) (byte, error) {
	docOff := u.base + int64(u.pos)
	docLine := u.line
	docCol := docOff - u.lineStart
	for {
		end, atEOF := u.end, u.eof
		if end-u.pos > u.opts.MaxDocument {
			end, atEOF = u.pos+u.opts.MaxDocument, false
		}
		u.sc.reset(u.buf[u.pos:end], atEOF)
		root, n, err := u.sc.parse()
		if err == errNeedMore {
			if end-u.pos >= u.opts.MaxDocument {
				// Skipped as a malformed document is, not by its
				// structure: then what follows a too-large document does
				// not depend on how far back it started, and Split can
				// find where the framing is between documents by looking
				// at two lines.
				u.stats.Failed++
				report(&parsers.ParseError{File: u.path, Offset: docOff, Line: docLine, Unit: "document",
					Err: fmt.Errorf("%w: more than %d bytes", ErrTooLarge, u.opts.MaxDocument)})
				return u.resync(docCol)
			}
			if err := u.fill(); err != nil {
				return 0, err
			}
			continue
		}
		if err != nil {
			u.stats.Failed++
			var se *syntaxError
			if errors.As(err, &se) {
				errLine := docLine + int64(bytes.Count(u.buf[u.pos:u.pos+se.pos], []byte{'\n'}))
				err = fmt.Errorf("%w (line %d, offset %d)", se.err, errLine, docOff+int64(se.pos))
			}
			report(&parsers.ParseError{File: u.path, Offset: docOff, Line: docLine, Unit: "document", Err: err})
			return u.resync(docCol)
		}
		if u.sc.nodes[root].kind != kObj {
			u.stats.Failed++
			report(&parsers.ParseError{File: u.path, Offset: docOff, Line: docLine, Unit: "document", Err: ErrNotObject})
			u.advance(n)
			return 0, nil
		}
		if u.dry {
			u.advance(n)
			return 0, nil
		}
		ev := &u.ev
		*ev = parsers.Event{Fields: ev.Fields[:0], Source: parsers.Source{Path: u.path, Offset: docOff, Line: docLine}}
		u.m.build(root, ev)
		winevent.Normalize(ev)
		u.advance(n)
		u.stats.Records++
		if ev.Time.IsZero() {
			u.stats.NoTime++
		}
		if err := emit(ev); err != nil {
			return 0, err
		}
		return 0, nil
	}
}

// fill reads more input into buf, moving the unread part to the front or
// growing buf (up to MaxDocument plus one read) when it is full. It
// returns only final errors; at the end of input it sets u.eof.
func (u *Unit) fill() error {
	if u.eof {
		return nil
	}
	if u.end == len(u.buf) {
		if u.pos > 0 {
			copy(u.buf, u.buf[u.pos:u.end])
			u.base += int64(u.pos)
			u.end -= u.pos
			u.pos = 0
		}
		if u.end == len(u.buf) {
			size := 2 * len(u.buf)
			if size < initialBuffer {
				size = initialBuffer
			}
			if max := u.opts.MaxDocument + initialBuffer; size > max {
				size = max
			}
			if size > len(u.buf) {
				nb := make([]byte, size)
				copy(nb, u.buf[:u.end])
				u.buf = nb
			}
		}
	}
	for tries := 0; tries < 100; tries++ {
		n, err := u.r.Read(u.buf[u.end:])
		u.end += n
		if err == io.EOF {
			u.eof = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: read at offset %d: %w", u.path, u.base+int64(u.end), err)
		}
		if n > 0 {
			return nil
		}
	}
	return fmt.Errorf("%s: %w", u.path, io.ErrNoProgress)
}

// advance consumes n bytes, keeping the line count.
func (u *Unit) advance(n int) {
	chunk := u.buf[u.pos : u.pos+n]
	if nl := bytes.Count(chunk, []byte{'\n'}); nl > 0 {
		u.line += int64(nl)
		u.lineStart = u.base + int64(u.pos+bytes.LastIndexByte(chunk, '\n')+1)
	}
	u.pos += n
}

// peek returns the next unread byte, reading more input if needed; ok is
// false at the end of input.
func (u *Unit) peek() (byte, bool, error) {
	if u.pos == u.end {
		if err := u.fill(); err != nil {
			return 0, false, err
		}
		if u.pos == u.end {
			return 0, false, nil
		}
	}
	return u.buf[u.pos], true, nil
}

// skipSpace consumes white space and returns the next byte.
func (u *Unit) skipSpace() (byte, bool, error) {
	for {
		c, ok, err := u.peek()
		if err != nil || !ok {
			return 0, false, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			u.advance(1)
		default:
			return c, true, nil
		}
	}
}

// skipBOM consumes a UTF-8 byte order mark at the start of the input, or
// reports the stray bytes like any other malformed document.
func (u *Unit) skipBOM() error {
	for u.end-u.pos < 3 && !u.eof {
		if err := u.fill(); err != nil {
			return err
		}
	}
	if bytes.HasPrefix(u.buf[u.pos:u.end], []byte("\xEF\xBB\xBF")) {
		u.advance(3)
	}
	// Otherwise the byte stays, and is reported as a malformed document.
	return nil
}

// skipLine consumes input up to and including the next newline.
func (u *Unit) skipLine() error {
	for {
		if u.pos == u.end {
			if err := u.fill(); err != nil {
				return err
			}
			if u.pos == u.end {
				return nil
			}
		}
		if i := bytes.IndexByte(u.buf[u.pos:u.end], '\n'); i >= 0 {
			u.advance(i + 1)
			return nil
		}
		u.advance(u.end - u.pos)
	}
}

// resync skips a malformed document: it goes on from the line after the
// document's first line to the first line whose first non-blank byte is
// '{' or '[' at a column no greater than col, the document's own column.
// That finds the next line of JSON Lines and the next document of
// pretty-printed input, while skipping nested objects of the broken one.
func (u *Unit) resync(col int64) (byte, error) {
	if err := u.skipLine(); err != nil {
		return 0, err
	}
	for {
		var indent int64
		for {
			c, ok, err := u.peek()
			if err != nil || !ok {
				return 0, err
			}
			if c == ' ' || c == '\t' {
				u.advance(1)
				indent++
				continue
			}
			if (c == '{' || c == '[') && indent <= col {
				return c, nil
			}
			break
		}
		if err := u.skipLine(); err != nil {
			return 0, err
		}
	}
}
