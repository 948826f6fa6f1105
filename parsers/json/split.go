package json

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	"github.com/loghunt/loghunt/parsers"
)

// DefaultUnitSize is the default size of the units Split cuts a file into.
const DefaultUnitSize = 4 << 20

const (
	// splitLookBack bounds how far before a target offset Split looks for
	// the start of the line before a boundary, and so the length of that
	// line; splitLookAhead bounds how far after it Split looks for a
	// boundary before trying the next target.
	splitLookBack  = 1 << 20
	splitLookAhead = 1 << 20
	splitLookFirst = 32 << 10
	countBlock     = 1 << 20
)

// Split cuts a JSON log file with random access into units that decode
// independently, so several goroutines can decode one large file. Decoding
// the units one after another gives exactly the events, reports, lines,
// offsets and stats of NewUnit over the whole file: unit k's events and
// reports all come before unit k+1's in input order. Each unit is decoded
// at most once; units may be decoded concurrently, in any order, and some
// not at all. r must be safe for concurrent ReadAt calls (an *os.File is).
//
// # Where it cuts
//
// A boundary is the start p of a line L2 whose first byte is '{', after a
// line L1 that is either one object or one closing brace: L1's first byte
// is '{' and it holds exactly one valid object (within the Options'
// limits) and then only white space, or its first byte is '}' and the rest
// is white space. Whatever the decoder's state at the start of L1, it is
// between documents at p:
//
//   - between documents, it decodes L1's object as one document and
//     reaches p, or reports L1's '}' as malformed and skips to the next
//     line that opens a document at column 0: L2;
//   - skipping lines after an error, it stops at L1's '{', or skips L1's
//     '}' and stops at L2;
//   - inside a document begun earlier, that document cannot take in L1
//     and then L2's '{': after a complete value (L1's object, or an
//     object L1's '}' closes) comes ',' or a closer, and everywhere else
//     L1's first byte is an error; unless L1's '}' ends the document
//     itself, which leaves the decoder between documents. So it ends, or
//     fails at p at the latest, or is too large; after a failure the
//     decoder skips from the line after the document's first line to the
//     first line opening a document at column 0 or further left, which is
//     L1 or L2 at the latest, and the argument repeats with a document
//     starting later.
//
// What no two lines tell is whether the decoder is inside a top-level array
// there (where ',' is skipped and ']' closes it). A unit learns that only
// if it meets a top-level '[', ']' or ',': it then takes the state at the
// end of the unit before, which that unit published when it was decoded,
// or which is worked out by following the framing (without decoding
// events) over the units before that did not.
//
// So JSON Lines split at every line boundary near UnitSize, and so do
// documents written one after another, single-line or pretty-printed with
// the closing brace at column 0. A single document (an array of events
// above all, since what follows "}," depends on what came before) has no
// boundary inside it and stays in one unit; a line longer than about 1 MiB
// cannot be L1. A read error while looking for boundaries ends
// the search: the rest of the file is one unit. The search reads 64 KiB
// around every UnitSize of input (2 MiB where no boundary is that near),
// and the first unit's line number needs no reading; unit k's start line is counted (with bytes.Count) the first time
// a unit after k-1 asks for it, once per region for the whole file.
func Split(r io.ReaderAt, size int64, path string, opts Options) []*Unit {
	opts = opts.withDefaults()
	sf := &splitFile{ra: r, size: size, path: path, opts: opts}
	sf.starts = findBoundaries(r, size, opts)
	n := len(sf.starts)
	sf.lines = make([]int64, n)
	sf.lines[0] = 1
	sf.state = make([]unitState, n)
	sf.state[0] = unitState{startKnown: true}
	units := make([]*Unit, n)
	for k := range units {
		units[k] = sf.unit(k, false)
	}
	return units
}

// splitFile is what the units of one Split file share.
type splitFile struct {
	ra     io.ReaderAt
	size   int64
	path   string
	opts   Options
	starts []int64 // unit k covers [starts[k], starts[k+1]), the last to size

	lineMu  sync.Mutex
	lines   []int64 // lines[k]: the line number of starts[k], for k <= counted
	counted int
	buf     []byte

	mu    sync.Mutex
	state []unitState
}

// unitState is what is known of one unit's top-level array state.
type unitState struct {
	startKnown, start bool // the state at the unit's start
	done              bool // the unit was followed to its end
	endKnown, end     bool // done: the state at its end, or (!endKnown) the start's
}

// unit returns unit k, reading its region (and past it, to finish a
// document that began inside it) from r.
func (s *splitFile) unit(k int, dry bool) *Unit {
	start := s.starts[k]
	var limit int64
	if k+1 < len(s.starts) {
		limit = s.starts[k+1]
	}
	u := NewUnit(io.NewSectionReader(s.ra, start, s.size-start), s.path, s.opts)
	u.split, u.idx, u.limit, u.dry = s, k, limit, dry
	u.base, u.lineStart = start, start
	u.arr, u.start = arrUnknown, arrUnknown
	if k == 0 {
		u.arr, u.start = arrFalse, arrFalse
	}
	return u
}

// startLine returns the line number of unit k's first byte, counting the
// newlines of the regions before it that no unit has counted yet.
func (s *splitFile) startLine(k int) (int64, error) {
	s.lineMu.Lock()
	defer s.lineMu.Unlock()
	for s.counted < k {
		j := s.counted
		n, err := s.countLines(s.starts[j], s.starts[j+1])
		if err != nil {
			return 0, err
		}
		s.lines[j+1] = s.lines[j] + n
		s.counted++
	}
	return s.lines[k], nil
}

func (s *splitFile) countLines(from, to int64) (int64, error) {
	if s.buf == nil {
		s.buf = make([]byte, min(countBlock, s.size))
	}
	var n int64
	for off := from; off < to; {
		b := s.buf[:min(int64(len(s.buf)), to-off)]
		m, err := s.ra.ReadAt(b, off)
		if m < len(b) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, fmt.Errorf("%s: read at offset %d: %w", s.path, off+int64(m), err)
		}
		n += int64(bytes.Count(b, []byte{'\n'}))
		off += int64(m)
	}
	return n, nil
}

// finished records the array state at the end of unit k, decoded to its
// end: end is arrUnknown when the unit neither read nor set it (the end
// state is the start state), start is arrUnknown when it never learnt
// that.
func (s *splitFile) finished(k int, start, end int8) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.state[k]
	if start != arrUnknown {
		st.startKnown, st.start = true, start == arrTrue
	}
	st.done = true
	if end != arrUnknown {
		st.endKnown, st.end = true, end == arrTrue
	}
}

// startInArray returns whether unit k starts inside a top-level array. It
// goes back to the nearest unit whose start state is known, or whose end
// state does not depend on its start, then forward to k, following the
// framing of the units in between that were not decoded to their end yet.
// That is rare (a file mixing arrays and JSON Lines) and done under the
// lock, so each region is followed at most once more than it is decoded.
func (s *splitFile) startInArray(k int) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := k
	for !s.state[j].startKnown {
		if p := &s.state[j-1]; p.done && p.endKnown {
			s.state[j].startKnown, s.state[j].start = true, p.end
			break
		}
		j--
	}
	for ; j < k; j++ {
		st := &s.state[j]
		end := st.start
		switch {
		case st.done && st.endKnown:
			end = st.end
		case st.done:
		default:
			u := s.unit(j, true)
			u.arr, u.start = boolState(st.start), boolState(st.start)
			if _, err := u.Decode(func(*parsers.Event) error { return nil }, nil); err != nil {
				return false, err
			}
			// Decode does not publish a dry run's end (that would take
			// s.mu); the unit's state is its end state.
			end = u.arr == arrTrue
		}
		s.state[j+1].startKnown, s.state[j+1].start = true, end
	}
	return s.state[k].start, nil
}

// findBoundaries returns the start offsets of the units: 0, then one
// boundary (see Split) at or after every UnitSize bytes where one is found.
func findBoundaries(r io.ReaderAt, size int64, opts Options) []int64 {
	starts := []int64{0}
	unit := int64(opts.UnitSize)
	if size <= unit {
		return starts
	}
	sc := scanner{maxDepth: opts.MaxDepth, maxValues: opts.MaxValues}
	var buf []byte
	// find looks for a boundary at or after t, reading back and ahead of
	// it; ok is false also on a read error.
	find := func(t, back, ahead int64) (p, hi int64, ok, readErr bool) {
		lo := max(t-back, 0)
		hi = min(t+ahead, size)
		if n := int(hi - lo); cap(buf) < n {
			buf = make([]byte, n)
		}
		b := buf[:hi-lo]
		if m, err := r.ReadAt(b, lo); m < len(b) && !(err == io.EOF && lo+int64(m) == size) {
			return 0, hi, false, true
		}
		p, ok = boundaryIn(&sc, b, lo, t, opts)
		return p, hi, ok, false
	}
	for t := unit; t < size; {
		// Most lines are short: look in a small window first.
		p, hi, ok, readErr := find(t, splitLookFirst, splitLookFirst)
		if !ok && !readErr {
			p, hi, ok, readErr = find(t, splitLookBack, splitLookAhead)
		}
		if readErr {
			break
		}
		if !ok {
			t = hi
			continue
		}
		starts = append(starts, p)
		t = p + unit
	}
	return starts
}

// boundaryIn returns the first boundary p >= t in b, which holds the input
// from offset lo.
func boundaryIn(sc *scanner, b []byte, lo, t int64, opts Options) (int64, bool) {
	// i is the start of the candidate L1 within b: a line start, known
	// only after the first newline unless b starts the input.
	i := -1
	if lo == 0 {
		i = 0
	}
	for {
		nl := bytes.IndexByte(b[max(i, 0):], '\n')
		if nl < 0 {
			return 0, false
		}
		nl += max(i, 0)
		p := nl + 1 // the start of L2
		if i >= 0 && lo+int64(p) >= t && p < len(b) && b[p] == '{' && (closerLine(b[i:p]) || oneObjectLine(sc, b[i:p], opts)) {
			return lo + int64(p), true
		}
		i = p
	}
}

// closerLine reports whether line is a '}' at column 0 and white space.
func closerLine(line []byte) bool {
	return len(line) > 0 && line[0] == '}' && isSpace(line[1:])
}

func isSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// oneObjectLine reports whether line (with its newline) starts with '{',
// holds one valid object the decoder would accept as a document, and then
// only white space.
func oneObjectLine(sc *scanner, line []byte, opts Options) bool {
	if len(line) == 0 || line[0] != '{' || len(line) > opts.MaxDocument {
		return false
	}
	sc.reset(line, true)
	root, n, err := sc.parse()
	if err != nil || sc.nodes[root].kind != kObj {
		return false
	}
	return isSpace(line[n:])
}
