// Package evtx reads Windows XML Event Log (EVTX) files with a native
// decoder and turns their records into normalized parsers.Events.
//
// Entry points:
//   - ReadFile decodes a whole file sequentially, in record order. Use it when
//     one goroutine reads one file.
//   - Open returns a File whose Units (one per 64 KiB chunk slot) can be
//     decoded concurrently by the caller's worker pool; each Unit emits its
//     records in order. This is the entry point of the hunt pipeline.
//   - File.Decode decodes the chunks of one file on several goroutines and
//     emits the events in file order (buffering clones per chunk).
//   - File.Dump and DumpFile render records as XML or as JSON Lines in the
//     shape of the evtx_dump tool, decoding chunks in parallel and writing
//     in file order.
//
// Errors: Open fails only when the input is not an EVTX file at all (no file
// header magic and no chunk where the first one should be: ErrNotEVTX).
// Everything else is non-final: it is reported as a *parsers.ParseError
// through the report callback, counted in parsers.Stats, and decoding goes on.
//   - A damaged file header is reported; the chunks are read anyway.
//   - A chunk slot that is not all zeros and lacks the chunk magic is a
//     bad chunk (Stats.BadChunks); chunks past the header's chunk count are
//     read like the others.
//   - A checksum mismatch (chunk header or event records) is counted once
//     per chunk (Stats.BadChecksum); the records are decoded anyway and
//     flagged parsers.BadChecksum.
//   - A record whose BinXml is damaged (truncated template or value,
//     unknown token) is a failed record (Stats.Failed); the next record is
//     read.
//   - A damaged record header (bad signature, impossible size) breaks the
//     chain of records: it is a failed record, and the rest of the chunk is
//     only read by carving. A zeroed record header ends the chunk's records
//     without error (writers leave zero padding before the free space
//     offset); non-zero bytes after it are reported, not counted.
//
// With Options.Carve, slack space (after the last record of a chunk, or
// after a broken record header) and unallocated chunk slots are scanned
// for record signatures; records found there are decoded and flagged
// parsers.Recovered.
//
// Emitted events are only valid during the emit call (parsers.EmitFunc):
// their field values are strings over the decoder's text memory, which is
// reused from chunk to chunk, so decoding allocates nothing per record once
// warm. A consumer that keeps an event calls Clone (one allocation for all
// its values); field names are interned and stay valid.
//
// Speed: templates are compiled once per chunk, and the normalization of
// a template's first instance is recorded as a plan that the chunk's later
// instances replay without building their tree (plan.go).
//
// No input makes the decoder panic, loop forever or allocate more than a
// bound derived from the 64 KiB chunk size.
package evtx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sync/atomic"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/winevent"
)

// Layout constants of the EVTX format.
const (
	FileHeaderSize  = 4096
	ChunkSize       = 65536
	chunkHeaderSize = 512
	recordHeader    = 24
	minRecordSize   = 28
)

var (
	fileMagic  = []byte("ElfFile\x00")
	chunkMagic = []byte("ElfChnk\x00")
	recordSig  = []byte{0x2a, 0x2a, 0x00, 0x00}
)

// ErrNotEVTX is returned (wrapped) by Open and ReadFile for input that is not
// an EVTX file at all.
var ErrNotEVTX = errors.New("not an EVTX file")

// Options configure decoding. The zero value decodes live records only and
// fills every field.
type Options struct {
	// Carve also scans slack space (after the last record of a chunk) and
	// unallocated chunks (bad magic, zeroed header, past the chunk count)
	// for record signatures and decodes the records found there. Their
	// events carry parsers.Recovered.
	Carve bool
	// Fields, when non-nil, limits Event.Fields to these names: values of
	// other fields are never rendered, which saves time when the consumer
	// knows what it will look up. The typed core fields of Event are always
	// filled. nil means all fields. Names are those of the normalised
	// event (winevent.Normalize): "ThreatName" keeps Defender's
	// "Threat Name" when winevent.DataNames lists it.
	Fields []string
}

// Header is the EVTX file header.
type Header struct {
	FirstChunk, LastChunk uint64
	NextRecordID          uint64
	HeaderSize            uint32
	MinorVersion          uint16
	MajorVersion          uint16
	HeaderBlockSize       uint16
	ChunkCount            uint16
	Flags                 uint32
	Checksum              uint32
	// Valid is false when the header magic or checksum is wrong.
	Valid bool
}

// File is an open EVTX file. Its methods are safe for concurrent use.
type File struct {
	r        io.ReaderAt
	size     int64
	path     string
	opts     Options
	fields   map[string]bool // rendered: want and what normalisation reads
	want     map[string]bool // Options.Fields, nil for all
	header   Header
	warnings []*parsers.ParseError
	nchunks  int
	// noPlans makes every record go through its tree (tests compare the
	// two paths); replays counts the records a plan normalized.
	noPlans bool
	replays atomic.Int64
}

// Open reads the file header of an EVTX file of the given size. path is only
// used to label events and errors. A damaged file header is not final: it is
// reported by Warnings (and by the first unit's Decode), and the chunks are
// scanned anyway. Open fails with ErrNotEVTX when neither the file header nor
// the first chunk has its magic, and with the read error if r fails.
func Open(r io.ReaderAt, size int64, path string, opts Options) (*File, error) {
	f := &File{r: r, size: size, path: path, opts: opts}
	if opts.Fields != nil {
		// The decoder also renders what normalisation reads (the
		// event time's field, the names it renames), and the record
		// drops what was not asked for once normalised.
		f.want = make(map[string]bool, len(opts.Fields))
		f.fields = make(map[string]bool, len(opts.Fields)+1)
		for _, n := range opts.Fields {
			f.want[n] = true
			f.fields[n] = true
		}
		f.fields[winevent.UtcTime] = true
		for raw, n := range winevent.DataNames {
			if f.want[n] {
				f.fields[raw] = true
			}
		}
	}
	var hdr [128]byte
	n, err := r.ReadAt(hdr[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: reading file header: %w", path, err)
	}
	if n < len(hdr) || !bytes.Equal(hdr[:8], fileMagic) {
		// Not an EVTX header. Accept the file only if a chunk sits where
		// the first one should.
		var cm [8]byte
		if _, err := r.ReadAt(cm[:], FileHeaderSize); err != nil || !bytes.Equal(cm[:], chunkMagic) {
			return nil, fmt.Errorf("%s: %w", path, ErrNotEVTX)
		}
		f.warn(0, "file header", fmt.Errorf("file header magic missing: %w", parsers.ErrBadMagic))
	} else {
		f.header = parseHeader(hdr[:])
		if crc32.ChecksumIEEE(hdr[:120]) != f.header.Checksum {
			f.warn(0, "file header", fmt.Errorf("file header: %w", parsers.ErrBadChecksum))
		} else {
			f.header.Valid = true
		}
	}
	if size > FileHeaderSize {
		f.nchunks = int((size - FileHeaderSize + ChunkSize - 1) / ChunkSize)
	}
	return f, nil
}

func parseHeader(b []byte) Header {
	le := binary.LittleEndian
	return Header{
		FirstChunk:      le.Uint64(b[8:]),
		LastChunk:       le.Uint64(b[16:]),
		NextRecordID:    le.Uint64(b[24:]),
		HeaderSize:      le.Uint32(b[32:]),
		MinorVersion:    le.Uint16(b[36:]),
		MajorVersion:    le.Uint16(b[38:]),
		HeaderBlockSize: le.Uint16(b[40:]),
		ChunkCount:      le.Uint16(b[42:]),
		Flags:           le.Uint32(b[120:]),
		Checksum:        le.Uint32(b[124:]),
	}
}

func (f *File) warn(off int64, unit string, err error) {
	f.warnings = append(f.warnings, &parsers.ParseError{File: f.path, Offset: off, Unit: unit, Err: err})
}

// Header returns the file header as read (zero if its magic was missing).
func (f *File) Header() Header { return f.header }

// Warnings returns the problems found in the file header.
func (f *File) Warnings() []*parsers.ParseError { return f.warnings }

// Path returns the path given to Open.
func (f *File) Path() string { return f.path }

// Chunks returns the number of 64 KiB chunk slots in the file, including
// slots past the header's chunk count and a partial last one.
func (f *File) Chunks() int { return f.nchunks }

// Units returns one unit per chunk slot, in file order. Units may be
// decoded concurrently. The first unit also reports the file header
// warnings.
func (f *File) Units() []parsers.Unit {
	us := make([]parsers.Unit, f.nchunks)
	for i := range us {
		us[i] = &chunkUnit{f: f, index: i}
	}
	return us
}

// Unit returns the unit of chunk slot i.
func (f *File) Unit(i int) parsers.Unit { return &chunkUnit{f: f, index: i} }

// ReadFile opens the EVTX file at path and decodes it sequentially, calling
// emit for each record in file order and report for each damaged part. The
// error is final: the file could not be opened or read, it is not EVTX
// (ErrNotEVTX), or emit returned an error.
func ReadFile(path string, opts Options, emit parsers.EmitFunc, report parsers.ReportFunc) (parsers.Stats, error) {
	return withFile(path, opts, func(f *File) (parsers.Stats, error) {
		var total parsers.Stats
		for i := 0; i < f.nchunks; i++ {
			s, err := f.Unit(i).Decode(emit, report)
			total.Add(s)
			if err != nil {
				return total, err
			}
		}
		return total, nil
	})
}

// withFile opens the EVTX file at path, calls use with it and closes the
// file when use returns. Errors opening or reading the header are returned
// without calling use.
func withFile(path string, opts Options, use func(*File) (parsers.Stats, error)) (parsers.Stats, error) {
	fh, err := os.Open(path)
	if err != nil {
		return parsers.Stats{}, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return parsers.Stats{}, err
	}
	f, err := Open(fh, st.Size(), path, opts)
	if err != nil {
		return parsers.Stats{}, err
	}
	return use(f)
}
