// Package spill sorts the hits of a run into the canonical order within a
// memory budget: New returns a hunt.HitSink that encodes each hit as it
// comes (in the engine's worker, so encoding is parallel), keeps the
// records in memory up to a run's size or the budget, sorts each run and
// writes it to a temporary file, and on Close merges the runs and passes
// the hits on, in order, to the next sink.
//
// The order is hunt.CompareKeys, then the order of arrival for hits that
// compare equal, as a stable sort in memory gives: the output is the same
// for any number of workers and any run size or budget.
//
// The temporary file is removed as soon as it is created where the system
// allows (Unix: it lives on, nameless, while open, so nothing is left
// behind even if the process is killed), else on Close or Discard. After
// a failed run, which the engine does not close its sink after, call
// Discard.
package spill

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/budget"
)

// DefaultRunBytes is the size of a run when Options.RunBytes is 0: big
// enough that a run is a few thousand hits, small enough that the two
// runs that can be in memory at once are a small part of the budget.
const DefaultRunBytes = 16 << 20

// Options configure a Sink. The zero value sorts runs of DefaultRunBytes
// in the system's temporary directory, keeping every field of the events.
type Options struct {
	// Account is the budget account of the hits held in memory (the
	// records of the run being filled and of the one being spilled, and
	// the merge's buffers). A run is also spilled early when the account
	// cannot reserve room for the next hit. Nil: RunBytes alone bounds a
	// run.
	Account *budget.Account
	// RunBytes is how many bytes of records a run holds before it is
	// sorted and spilled; 0 means DefaultRunBytes. At most two runs are
	// in memory at once: one being filled, one being written.
	RunBytes int64
	// Dir is where the temporary file goes; "" is os.TempDir().
	Dir string
	// KeepField says which event fields the hits keep (see Codec); nil
	// keeps every field.
	KeepField func(name string) bool
}

// Stats say what a Sink did.
type Stats struct {
	Hits         int64 // hits written
	Runs         int   // runs spilled to disk (0: everything fit in memory)
	SpilledBytes int64 // bytes written to the temporary file, merge passes included
	Passes       int   // merge passes before the last (when runs outnumber the fan-in)
}

// Sink is the hunt.HitSink of this package. WriteHit is safe for
// concurrent use, as the engine needs; Close is called once.
type Sink struct {
	opts  Options
	codec *Codec
	next  hunt.HitSink
	seq   atomic.Uint64

	mu     sync.Mutex
	cur    *run
	closed bool
	err    error // the first failure; the sink refuses hits after it

	spillMu sync.Mutex // one run is written at a time, in order
	file    *tempFile
	runs    []span
	stats   Stats
}

// entry is one hit in memory: its key, its order of arrival and its
// record.
type entry struct {
	key  hunt.HitKey
	seq  uint64
	data []byte
}

// entryCost is what an entry costs besides its record's bytes.
const entryCost = int64(unsafe.Sizeof(entry{}))

// run is a set of entries being filled; their records live in a few large
// blocks, not one allocation each.
type run struct {
	entries []entry
	block   []byte
	bytes   int64 // what the account was charged for
	full    bool  // the account refused room: spill now
}

const blockSize = 64 << 10

// earlyRun is the least a run holds before the budget's refusal spills it.
const earlyRun = 256 << 10

func (r *run) add(key hunt.HitKey, seq uint64, rec []byte) {
	if cap(r.block)-len(r.block) < len(rec) {
		r.block = make([]byte, 0, max(blockSize, len(rec)))
	}
	start := len(r.block)
	r.block = append(r.block, rec...)
	r.entries = append(r.entries, entry{key: key, seq: seq, data: r.block[start:len(r.block):len(r.block)]})
}

func compareEntries(a, b *entry) int {
	if c := hunt.CompareKeys(&a.key, &b.key); c != 0 {
		return c
	}
	switch {
	case a.seq < b.seq:
		return -1
	case a.seq > b.seq:
		return 1
	}
	return 0
}

// New returns a Sink that passes the hits on to next in the canonical
// order when it is closed, then closes next. A nil next drops the hits.
func New(opts Options, next hunt.HitSink) *Sink {
	if opts.RunBytes <= 0 {
		opts.RunBytes = DefaultRunBytes
	}
	if next == nil {
		next = hunt.FuncSink(nil)
	}
	return &Sink{opts: opts, codec: NewCodec(opts.KeepField), next: next, cur: &run{}}
}

var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

var errClosed = errors.New("spill: hit sink used after Close")

// WriteHit implements hunt.HitSink: it encodes h and keeps its record.
// The hit itself is not kept.
func (s *Sink) WriteHit(h *hunt.Hit) error {
	bp := scratch.Get().(*[]byte)
	rec := s.codec.Append((*bp)[:0], h)
	key := hunt.KeyOf(h)
	seq := s.seq.Add(1)
	cost := int64(len(rec)) + entryCost

	s.mu.Lock()
	if s.closed || s.err != nil {
		err := s.err
		s.mu.Unlock()
		if err == nil {
			err = errClosed
		}
		return err
	}
	if !s.opts.Account.Reserve(cost) {
		// Held all the same, until it is spilled: the budget is short,
		// so the run is spilled early, once it holds earlyRun bytes
		// (runs of a few hits would make the merge slow for nothing).
		s.opts.Account.Grow(cost)
		s.cur.full = s.cur.bytes+cost >= min(s.opts.RunBytes, earlyRun)
	}
	s.cur.add(key, seq, rec)
	s.cur.bytes += cost
	full := s.cur.bytes >= s.opts.RunBytes || s.cur.full
	s.mu.Unlock()
	*bp = rec
	scratch.Put(bp)
	if !full {
		return nil
	}
	// One run is written at a time; while it is, the other workers add to
	// the next one and wait here when it is full too, so at most two runs
	// are in memory (and a hit per worker over).
	s.spillMu.Lock()
	defer s.spillMu.Unlock()
	s.mu.Lock()
	var r *run
	if s.cur.bytes >= s.opts.RunBytes || s.cur.full {
		r, s.cur = s.cur, &run{}
	}
	s.mu.Unlock()
	if r == nil {
		return nil // another worker spilled it
	}
	if err := s.spill(r); err != nil {
		s.mu.Lock()
		if s.err == nil {
			s.err = err
		}
		s.mu.Unlock()
		return err
	}
	return nil
}

// spill sorts r, writes it to the temporary file as one run and lets its
// memory go. The caller holds spillMu.
func (s *Sink) spill(r *run) error {
	defer s.opts.Account.Release(r.bytes)
	slices.SortFunc(r.entries, func(a, b entry) int { return compareEntries(&a, &b) })
	if s.file == nil {
		f, err := createTemp(s.opts.Dir)
		if err != nil {
			return err
		}
		s.file = f
	}
	sp, err := s.file.writeRun(func(w *bufio.Writer) error {
		for i := range r.entries {
			writeEntry(w, &r.entries[i])
			r.entries[i] = entry{}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.runs = append(s.runs, sp)
	s.stats.Runs++
	s.stats.SpilledBytes += sp.n
	return nil
}

// A run on disk is a sequence of entries: the arrival number and the
// record's length as uvarints, then the record.
func writeEntry(w *bufio.Writer, e *entry) {
	var b [2 * binary.MaxVarintLen64]byte
	n := binary.PutUvarint(b[:], e.seq)
	n += binary.PutUvarint(b[n:], uint64(len(e.data)))
	w.Write(b[:n])
	w.Write(e.data)
}

// Stats returns what the sink did; call it after Close.
func (s *Sink) Stats() Stats {
	s.spillMu.Lock()
	defer s.spillMu.Unlock()
	st := s.stats
	st.Hits = int64(s.seq.Load())
	return st
}

// fanIn is how many runs one merge reads at once; past it, merge passes
// combine runs first. readBuf is each run's read buffer.
const (
	fanIn   = 64
	readBuf = 32 << 10
)

// Close implements hunt.HitSink: it merges the runs and the hits still
// in memory, passes every hit on to next in the canonical order, closes
// next, and removes the temporary file, whatever happens.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	s.closed = true
	last, err := s.cur, s.err
	s.cur = &run{}
	s.mu.Unlock()
	defer s.Discard()
	if err != nil {
		return err
	}

	s.spillMu.Lock() // no spill is under way any more
	defer s.spillMu.Unlock()
	slices.SortFunc(last.entries, func(a, b entry) int { return compareEntries(&a, &b) })
	defer s.opts.Account.Release(last.bytes)
	for len(s.runs)+1 > fanIn {
		if err := s.mergePass(); err != nil {
			return err
		}
	}
	srcs := make([]source, 0, len(s.runs)+1)
	if len(last.entries) > 0 {
		srcs = append(srcs, &memSource{codec: s.codec, entries: last.entries})
	}
	bufs := int64(len(s.runs)) * readBuf
	s.opts.Account.Grow(bufs)
	defer s.opts.Account.Release(bufs)
	for _, sp := range s.runs {
		srcs = append(srcs, s.file.source(sp, s.codec))
	}
	err = merge(srcs, func(e *entry) error {
		h, err := s.codec.Decode(string(e.data))
		if err != nil {
			return err
		}
		return s.next.WriteHit(h)
	})
	if err != nil {
		return err
	}
	return s.next.Close()
}

// mergePass merges the first fanIn runs into one, appended to the file.
func (s *Sink) mergePass() error {
	bufs := int64(fanIn) * readBuf
	s.opts.Account.Grow(bufs)
	defer s.opts.Account.Release(bufs)
	srcs := make([]source, fanIn)
	for i, sp := range s.runs[:fanIn] {
		srcs[i] = s.file.source(sp, s.codec)
	}
	sp, err := s.file.writeRun(func(w *bufio.Writer) error {
		return merge(srcs, func(e *entry) error {
			writeEntry(w, e)
			return nil
		})
	})
	if err != nil {
		return err
	}
	s.runs = append(s.runs[fanIn:], sp)
	s.stats.Passes++
	s.stats.SpilledBytes += sp.n
	return nil
}

// Discard drops every hit not yet passed on and removes the temporary
// file. Close calls it; call it after a failed run, when the engine does
// not close the sink. It may be called more than once.
func (s *Sink) Discard() {
	s.mu.Lock()
	s.closed = true
	cur := s.cur
	s.cur = &run{}
	s.mu.Unlock()
	s.opts.Account.Release(cur.bytes)
	s.spillMu.Lock()
	defer s.spillMu.Unlock()
	if s.file != nil {
		s.file.remove()
		s.file = nil
	}
	s.runs = nil
}

// tempFile is the one temporary file of a Sink: runs are appended to it
// and read back with ReadAt, so any number of runs takes one descriptor.
type tempFile struct {
	f       *os.File
	name    string
	removed bool
	end     int64
}

// span is one run in the file.
type span struct{ off, n int64 }

func createTemp(dir string) (*tempFile, error) {
	f, err := os.CreateTemp(dir, "loghunt-spill-*")
	if err != nil {
		return nil, fmt.Errorf("spill: %w", err)
	}
	t := &tempFile{f: f, name: f.Name()}
	// Unix lets an open file go nameless: then nothing is left behind
	// whatever happens to the process.
	t.removed = os.Remove(t.name) == nil
	return t, nil
}

func (t *tempFile) writeRun(write func(w *bufio.Writer) error) (span, error) {
	ow := io.NewOffsetWriter(t.f, t.end)
	w := bufio.NewWriterSize(ow, 256<<10)
	if err := write(w); err != nil {
		return span{}, err
	}
	if err := w.Flush(); err != nil {
		return span{}, fmt.Errorf("spill: writing %s: %w", t.name, err)
	}
	n, _ := ow.Seek(0, io.SeekCurrent)
	sp := span{off: t.end, n: n}
	t.end += n
	return sp, nil
}

func (t *tempFile) source(sp span, c *Codec) *fileSource {
	return &fileSource{codec: c, r: bufio.NewReaderSize(io.NewSectionReader(t.f, sp.off, sp.n), readBuf)}
}

func (t *tempFile) remove() {
	t.f.Close()
	if !t.removed {
		os.Remove(t.name)
		t.removed = true
	}
}

// source yields the entries of one sorted run, in order; next returns
// false at its end or on an error, which err then returns.
type source interface {
	next(e *entry) bool
	err() error
}

type memSource struct {
	codec   *Codec
	entries []entry
	i       int
}

func (m *memSource) next(e *entry) bool {
	if m.i >= len(m.entries) {
		return false
	}
	*e = m.entries[m.i]
	m.entries[m.i] = entry{}
	m.i++
	return true
}

func (m *memSource) err() error { return nil }

type fileSource struct {
	codec *Codec
	r     *bufio.Reader
	e     error
}

// maxRecord bounds a record read back: the file is ours, but a bound
// keeps a damaged one from driving an allocation.
const maxRecord = 256 << 20

func (f *fileSource) next(e *entry) bool {
	if f.e != nil {
		return false
	}
	seq, err := binary.ReadUvarint(f.r)
	if err == io.EOF {
		return false
	}
	var n uint64
	if err == nil {
		n, err = binary.ReadUvarint(f.r)
	}
	if err == nil && n > maxRecord {
		err = fmt.Errorf("%w: record of %d bytes", ErrCorrupt, n)
	}
	var data []byte
	if err == nil {
		data = make([]byte, n)
		_, err = io.ReadFull(f.r, data)
	}
	var key hunt.HitKey
	if err == nil {
		key, err = f.codec.Key(string(data))
	}
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			err = fmt.Errorf("%w: run cut short", ErrCorrupt)
		}
		f.e = fmt.Errorf("spill: reading back: %w", err)
		return false
	}
	*e = entry{key: key, seq: seq, data: data}
	return true
}

func (f *fileSource) err() error { return f.e }

// merge passes the entries of sorted sources to emit in order: a k-way
// merge over a binary heap of the sources' heads.
func merge(srcs []source, emit func(*entry) error) error {
	type head struct {
		e   entry
		src source
	}
	h := make([]head, 0, len(srcs))
	for _, s := range srcs {
		var e entry
		if s.next(&e) {
			h = append(h, head{e, s})
		} else if err := s.err(); err != nil {
			return err
		}
	}
	less := func(i, j int) bool { return compareEntries(&h[i].e, &h[j].e) < 0 }
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			m := l
			if r := l + 1; r < len(h) && less(r, l) {
				m = r
			}
			if !less(m, i) {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(i)
	}
	for len(h) > 0 {
		top := h[0].e
		if h[0].src.next(&h[0].e) {
			down(0)
		} else {
			if err := h[0].src.err(); err != nil {
				return err
			}
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
			down(0)
		}
		if err := emit(&top); err != nil {
			return err
		}
	}
	return nil
}
