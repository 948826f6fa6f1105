package evtxwrite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/loghunt/loghunt/parsers"
)

// Sentinel errors wrapped by *WriteError.
var (
	// ErrTooLarge: the record does not fit in an empty chunk (about 64
	// KiB of names, template and values), or a name, literal or value is
	// longer than the format's 16-bit sizes.
	ErrTooLarge = errors.New("record too large for a chunk")
	// ErrBadValue: a value cannot be encoded as its type.
	ErrBadValue = errors.New("value does not fit its type")
	// ErrBadRecord: a Record is not one balanced element tree, or has an
	// empty name.
	ErrBadRecord = errors.New("malformed record")
	// ErrBadJSON: WriteJSON was given something that is not an event in
	// the evtx_dump shape.
	ErrBadJSON = errors.New("not an evtx_dump JSON event")
	// ErrFull: the file reached Options.MaxChunks chunks.
	ErrFull = errors.New("file full")
	// ErrClosed: the Writer was closed, or failed with a final error.
	ErrClosed = errors.New("writer closed")
)

// WriteError reports an event that was not written. It is not final
// unless it wraps ErrClosed or ErrFull: nothing of the event was written,
// and the Writer takes the next one.
type WriteError struct {
	Event    int64  // 0-based count of events given to the Writer
	RecordID uint64 // the record id it would have had, or 0
	Field    string // the field or element concerned, when known
	Err      error
}

func (e *WriteError) Error() string {
	s := fmt.Sprintf("evtxwrite: event %d", e.Event)
	if e.RecordID != 0 {
		s += fmt.Sprintf(" (record %d)", e.RecordID)
	}
	if e.Field != "" {
		s += fmt.Sprintf(", field %q", e.Field)
	}
	return s + ": " + e.Err.Error()
}

func (e *WriteError) Unwrap() error { return e.Err }

// Options configure a Writer. The zero value writes record ids from 1,
// types values (see the package doc) and allows the largest file the
// header can describe.
type Options struct {
	// FirstRecordID is the id of the first record header; 0 means 1.
	// Records whose Record.ID is set keep it; the sequence goes on from
	// the last id written.
	FirstRecordID uint64
	// Strings makes Write and WriteJSON store every value as a String,
	// instead of the type whose rendering is the value's text.
	Strings bool
	// MaxChunks bounds the file; 0 or more than 65535 (the header's
	// 16-bit chunk count) means 65535.
	MaxChunks int
}

// Writer writes one EVTX file. Create it with New, write events, and
// Close it. It is not safe for concurrent use.
type Writer struct {
	w      io.WriteSeeker
	base   int64
	o      Options
	c      chunk
	shapes map[string]*shape
	key    []byte
	nextID uint64
	events int64
	chunks int
	rec    Record
	js     jsonState
	err    error // final
}

// New starts an EVTX file at the current position of w: it writes a
// placeholder file header that Close overwrites. w is never closed.
func New(w io.WriteSeeker, o Options) (*Writer, error) {
	if o.MaxChunks <= 0 || o.MaxChunks > 0xffff {
		o.MaxChunks = 0xffff
	}
	if o.FirstRecordID == 0 {
		o.FirstRecordID = 1
	}
	base, err := w.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("evtxwrite: %w", err)
	}
	wr := &Writer{w: w, base: base, o: o, shapes: make(map[string]*shape), nextID: o.FirstRecordID}
	if _, err := w.Write(make([]byte, FileHeaderSize)); err != nil {
		return nil, fmt.Errorf("evtxwrite: writing the file header: %w", err)
	}
	wr.c.reset()
	return wr, nil
}

// Events returns how many events were given to the Writer; Records how
// many were written; Chunks how many chunks are complete.
func (w *Writer) Events() int64 { return w.events }

// Chunks returns the number of chunks written so far (the chunk being
// filled not included).
func (w *Writer) Chunks() int { return w.chunks }

// WriteRecord writes one record. See Record for its form.
func (w *Writer) WriteRecord(r *Record) error {
	ev := w.events
	w.events++
	if w.err != nil {
		return &WriteError{Event: ev, Err: w.err}
	}
	nsubst := r.subst
	if !r.valid {
		var err error
		if nsubst, err = r.validate(); err != nil {
			return &WriteError{Event: ev, Err: err}
		}
	}
	id := r.ID
	if id == 0 {
		id = w.nextID
	}
	w.key = r.appendKey(w.key[:0])
	sh := w.shapes[string(w.key)]
	if sh == nil {
		if len(w.shapes) >= 1<<16 {
			// Bound the memory of a stream of ever new shapes; the
			// current chunk's templates stay valid by offset.
			clear(w.shapes)
		}
		sh = &shape{guid: guidOf(w.key)}
		w.shapes[string(w.key)] = sh
	}
	written := fileTime(r.Written)
	for attempt := 0; ; attempt++ {
		m := w.c.mark()
		err := w.c.appendRecord(r, id, written, sh, nsubst)
		if err == nil {
			break
		}
		w.c.rollback(m)
		if !errors.Is(err, errOverflow) {
			return &WriteError{Event: ev, RecordID: id, Err: err}
		}
		if w.c.records == 0 || attempt > 0 {
			return &WriteError{Event: ev, RecordID: id, Err: fmt.Errorf("%d values: %w", nsubst, ErrTooLarge)}
		}
		if err := w.flush(); err != nil {
			return &WriteError{Event: ev, RecordID: id, Err: err}
		}
	}
	w.nextID = id + 1
	return nil
}

// flush writes the current chunk, which holds records, and starts the
// next one.
func (w *Writer) flush() error {
	if w.chunks >= w.o.MaxChunks {
		w.err = fmt.Errorf("%d chunks: %w", w.chunks, ErrFull)
		return w.err
	}
	if _, err := w.w.Write(w.c.finish()); err != nil {
		w.err = fmt.Errorf("writing chunk %d: %w (%w)", w.chunks, err, ErrClosed)
		return w.err
	}
	w.chunks++
	w.c.reset()
	return nil
}

// Close writes the last chunk and the file header, and leaves w positioned
// at the end of the file. Further writes fail with ErrClosed.
func (w *Writer) Close() error {
	if w.err != nil {
		if errors.Is(w.err, ErrClosed) {
			return w.err
		}
	} else if w.c.records > 0 {
		if err := w.flush(); err != nil {
			return err
		}
	}
	if w.err == nil {
		w.err = ErrClosed
	}
	var h [FileHeaderSize]byte
	le := binary.LittleEndian
	copy(h[:], "ElfFile\x00")
	le.PutUint64(h[8:], 0)
	if w.chunks > 0 {
		le.PutUint64(h[16:], uint64(w.chunks-1))
	}
	le.PutUint64(h[24:], w.nextID)
	le.PutUint32(h[32:], 128)
	le.PutUint16(h[36:], 1)
	le.PutUint16(h[38:], 3)
	le.PutUint16(h[40:], FileHeaderSize)
	le.PutUint16(h[42:], uint16(w.chunks))
	le.PutUint32(h[124:], crc32.ChecksumIEEE(h[:120]))
	end := w.base + FileHeaderSize + int64(w.chunks)*ChunkSize
	if _, err := w.w.Seek(w.base, io.SeekStart); err != nil {
		return fmt.Errorf("evtxwrite: %w", err)
	}
	if _, err := w.w.Write(h[:]); err != nil {
		return fmt.Errorf("evtxwrite: writing the file header: %w", err)
	}
	if _, err := w.w.Seek(end, io.SeekStart); err != nil {
		return fmt.Errorf("evtxwrite: %w", err)
	}
	return nil
}

// Write writes a normalized event (see the package doc for the mapping).
func (w *Writer) Write(ev *parsers.Event) error {
	w.rec.Reset()
	if err := w.fromEvent(&w.rec, ev); err != nil {
		ev := w.events
		w.events++
		return &WriteError{Event: ev, RecordID: 0, Err: err}
	}
	return w.WriteRecord(&w.rec)
}
