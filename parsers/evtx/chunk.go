package evtx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtx/internal/binxml"
	"github.com/loghunt/loghunt/parsers/winevent"
)

// state is the per-goroutine working memory of chunk decoding: the chunk
// bytes, the BinXml decoder with its caches, and the event being built. All
// of it is bounded by the chunk size and reused through a pool.
type state struct {
	buf  []byte
	dec  *binxml.Decoder
	norm normalizer
	ev   parsers.Event
	rend renderer
	out  []byte
}

// newState returns fresh working memory for decoding chunks.
func newState() *state {
	return &state{buf: make([]byte, ChunkSize), dec: binxml.NewDecoder()}
}

var statePool = sync.Pool{New: func() any { return newState() }}

// chunkUnit decodes one 64 KiB chunk slot.
type chunkUnit struct {
	f     *File
	index int
}

// chunkHeader is the header of one chunk.
type chunkHeader struct {
	FirstRecordNum, LastRecordNum uint64
	FirstRecordID, LastRecordID   uint64
	HeaderSize                    uint32
	LastRecordOff                 uint32
	FreeSpaceOff                  uint32
	RecordsChecksum               uint32
	Flags                         uint32
	Checksum                      uint32
}

func parseChunkHeader(b []byte) chunkHeader {
	le := binary.LittleEndian
	return chunkHeader{
		FirstRecordNum:  le.Uint64(b[8:]),
		LastRecordNum:   le.Uint64(b[16:]),
		FirstRecordID:   le.Uint64(b[24:]),
		LastRecordID:    le.Uint64(b[32:]),
		HeaderSize:      le.Uint32(b[40:]),
		LastRecordOff:   le.Uint32(b[44:]),
		FreeSpaceOff:    le.Uint32(b[48:]),
		RecordsChecksum: le.Uint32(b[52:]),
		Flags:           le.Uint32(b[120:]),
		Checksum:        le.Uint32(b[124:]),
	}
}

// chunkHeaderCRC is the CRC32 of the chunk header without its checksum
// field and the unknown flags: bytes 0-120 and 128-512.
func chunkHeaderCRC(b []byte) uint32 {
	c := crc32.ChecksumIEEE(b[:120])
	return crc32.Update(c, crc32.IEEETable, b[128:chunkHeaderSize])
}

// Decode implements parsers.Unit.
func (u *chunkUnit) Decode(emit parsers.EmitFunc, report parsers.ReportFunc) (parsers.Stats, error) {
	f := u.f
	if report == nil {
		report = func(*parsers.ParseError) {}
	}
	c := chunkDecoder{f: f, index: u.index, emit: emit, report: report}
	return c.decode()
}

// decode reads and decodes the chunk slot c.index.
func (c *chunkDecoder) decode() (parsers.Stats, error) {
	f := c.f
	if c.report == nil {
		c.report = func(*parsers.ParseError) {}
	}
	if c.index == 0 {
		for _, w := range f.warnings {
			c.report(w)
		}
	}
	base := int64(FileHeaderSize) + int64(c.index)*ChunkSize
	st := statePool.Get().(*state)
	defer statePool.Put(st)
	n, err := f.r.ReadAt(st.buf[:ChunkSize], base)
	if err != nil && !errors.Is(err, io.EOF) {
		return parsers.Stats{}, fmt.Errorf("%s: reading chunk %d: %w", f.path, c.index, err)
	}
	c.st, c.base = st, base
	err = c.run(st.buf[:n])
	if c.replays > 0 {
		f.replays.Add(c.replays)
	}
	return c.stats, err
}

// chunkDecoder holds the state of one Decode call.
type chunkDecoder struct {
	f      *File
	st     *state
	base   int64
	index  int
	emit   parsers.EmitFunc
	report parsers.ReportFunc
	stats  parsers.Stats
	// With format set, records are rendered and passed to out instead
	// of emit.
	format Format
	out    func(rec []byte) error
	flags  parsers.Flags
	chunk  []byte
	// replays counts the records normalized by a plan (tests read the
	// total in File.replays).
	replays int64
	// Work done on this chunk so far, against the chunk budgets.
	work, text int
	exhausted  bool
}

// Chunk budgets. A record is bounded on its own (binxml limits, maxRendered),
// but a chunk holds up to a few thousand records: these bound the whole
// chunk, far above what real chunks need (about 50 000 steps and 200 KiB
// of text).
const (
	chunkWork = 1 << 22 // BinXml decoding steps
	chunkText = 8 << 20 // bytes of field text or rendered output
)

// spend adds the work of one record and reports when the chunk runs out of
// budget; the records after that are not decoded.
func (c *chunkDecoder) spend(off int, work, text int) {
	c.work += work
	c.text += text
	if !c.exhausted && (c.work > chunkWork || c.text > chunkText) {
		c.exhausted = true
		c.stats.Failed++
		c.fail(off, 0, "chunk", fmt.Errorf("chunk expands beyond %d decoding steps or %d bytes of text; rest of the chunk skipped: %w", chunkWork, chunkText, parsers.ErrCorrupt))
	}
}

func (c *chunkDecoder) fail(off int, id uint64, unit string, err error) {
	c.report(&parsers.ParseError{File: c.f.path, Offset: c.base + int64(off), RecordID: id, Unit: unit,
		Err: fmt.Errorf("chunk %d: %w", c.index, err)})
}

func (c *chunkDecoder) run(chunk []byte) error {
	c.chunk = chunk
	if len(chunk) == 0 {
		return nil
	}
	if len(chunk) < chunkHeaderSize || !bytes.Equal(chunk[:8], chunkMagic) {
		switch {
		case allZero(chunk):
			// An empty chunk slot: nothing was ever written here.
		case len(chunk) < ChunkSize:
			// A partial slot at the end of the file is slack, not a chunk.
			c.fail(0, 0, "chunk", fmt.Errorf("%d trailing bytes after the last chunk are not a chunk (carving would scan them): %w", len(chunk), parsers.ErrTruncated))
		default:
			c.stats.BadChunks++
			c.fail(0, 0, "chunk", fmt.Errorf("chunk header: %w", parsers.ErrBadMagic))
		}
		if c.f.opts.Carve {
			c.st.dec.Reset(chunk)
			c.st.norm.resetText()
			return c.carve(0, len(chunk))
		}
		return nil
	}
	h := parseChunkHeader(chunk)
	end := int(h.FreeSpaceOff)
	if end < chunkHeaderSize || end > len(chunk) {
		c.fail(48, 0, "chunk", fmt.Errorf("free space offset 0x%x: %w", h.FreeSpaceOff, parsers.ErrCorrupt))
		end = len(chunk)
	}
	if chunkHeaderCRC(chunk) != h.Checksum {
		c.flags |= parsers.BadChecksum
		c.fail(0, 0, "chunk", fmt.Errorf("chunk header: %w", parsers.ErrBadChecksum))
	} else if end <= len(chunk) && crc32.ChecksumIEEE(chunk[chunkHeaderSize:end]) != h.RecordsChecksum {
		c.flags |= parsers.BadChecksum
		c.fail(52, 0, "chunk", fmt.Errorf("event records: %w", parsers.ErrBadChecksum))
	}
	if c.flags != 0 {
		c.stats.BadChecksum++
	}
	c.st.dec.Reset(chunk)
	c.st.norm.resetText()
	stop, err := c.records(chunkHeaderSize, end)
	if err != nil {
		return err
	}
	if c.f.opts.Carve && stop < len(chunk) {
		return c.carve(stop, len(chunk))
	}
	return nil
}

func allZero(b []byte) bool {
	for len(b) >= 32 {
		le := binary.LittleEndian
		if le.Uint64(b)|le.Uint64(b[8:])|le.Uint64(b[16:])|le.Uint64(b[24:]) != 0 {
			return false
		}
		b = b[32:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// records decodes the live records in chunk[off:end], following the chain
// of record sizes. A record whose BinXml is damaged is reported and counted,
// and decoding goes on with the next record. A damaged record header breaks
// the chain: it is reported and counted, and records returns its offset
// (the rest of the chunk is then only read by carving). Otherwise it
// returns end.
func (c *chunkDecoder) records(off, end int) (int, error) {
	chunk := c.chunk
	for off+recordHeader <= end && !c.exhausted {
		var bad error
		size := int(binary.LittleEndian.Uint32(chunk[off+4:]))
		id := binary.LittleEndian.Uint64(chunk[off+8:])
		switch {
		case allZero(chunk[off : off+4]):
			// A zeroed record header ends the chain: writers leave the
			// free space offset past zero padding. Anything else left
			// before the free space offset is reported, not counted.
			if !allZero(chunk[off:end]) {
				c.fail(off, 0, "record", fmt.Errorf("records end in zeros %d bytes before the chunk's free space offset, which are not all zero (carving would scan them): %w", end-off, parsers.ErrCorrupt))
			}
			return off, nil
		case !bytes.Equal(chunk[off:off+4], recordSig):
			id = 0
			bad = fmt.Errorf("record signature: %w", parsers.ErrBadMagic)
		case size < minRecordSize || size > len(chunk)-off:
			bad = fmt.Errorf("record size %d: %w", size, parsers.ErrTruncated)
		}
		if bad != nil {
			c.stats.Failed++
			if !c.f.opts.Carve {
				bad = fmt.Errorf("%w; %d bytes up to the chunk's free space not read (carving would scan them)", bad, end-off)
			}
			c.fail(off, id, "record", bad)
			return off, nil
		}
		if err := c.record(off, size, id, c.flags); err != nil {
			return off, err
		}
		off += size
	}
	return end, nil
}

// record decodes the record of the given size at chunk offset off and emits
// it. Only an error from emit is returned.
func (c *chunkDecoder) record(off, size int, id uint64, flags parsers.Flags) error {
	st := c.st
	written := binary.LittleEndian.Uint64(c.chunk[off+16:])
	ev := &st.ev
	keep := c.f.fields
	if c.format != 0 {
		keep = noFields
	}
	// Events (not renderings) of a template seen earlier in the chunk
	// replay its plan instead of building the record's tree; the others
	// record plans.
	var planFrom *binxml.Decoder
	if c.format == 0 && !c.f.noPlans {
		planFrom = st.dec
	}
	err := st.dec.Parse(off+recordHeader, off+size-4)
	replayed := false
	if err == nil && planFrom != nil {
		if replayed = st.norm.replay(ev, st.dec, keep); replayed {
			c.replays++
		}
	}
	if err == nil && !replayed {
		err = st.dec.Exec()
	}
	if c.spend(off, st.dec.Work(), 0); c.exhausted {
		return nil
	}
	if err != nil {
		c.stats.Failed++
		unit := "record"
		if flags&parsers.Recovered != 0 {
			unit = "carved record"
		}
		c.fail(off, id, unit, err)
		return nil
	}
	ok := replayed || st.norm.fill(ev, &st.dec.Doc, keep, planFrom)
	if c.spend(off, 0, st.norm.textLen); c.exhausted {
		return nil
	}
	if !ok {
		c.stats.Failed++
		c.fail(off, id, "record", fmt.Errorf("record text exceeds %d bytes: %w", maxRendered, parsers.ErrCorrupt))
		return nil
	}
	if ev.RecordID == 0 {
		ev.RecordID = id
	}
	ev.Source = parsers.Source{Path: c.f.path, Offset: c.base + int64(off)}
	ev.Flags = flags
	if ev.Time.IsZero() && written != 0 {
		sec, nsec := binxml.FileTimeUnix(written)
		ev.Time = time.Unix(sec, nsec).UTC()
	}
	if c.format == 0 {
		winevent.Normalize(ev)
		if c.f.want != nil {
			ev.Fields = slices.DeleteFunc(ev.Fields, func(f parsers.Field) bool { return !c.f.want[f.Name] })
		}
	}
	c.stats.Records++
	if flags&parsers.Recovered != 0 {
		c.stats.Recovered++
	}
	if ev.Time.IsZero() {
		c.stats.NoTime++
	}
	if c.format != 0 {
		st.out = st.rend.appendRecord(st.out[:0], &st.dec.Doc, c.format, flags)
		if c.spend(off, 0, len(st.out)); c.exhausted {
			c.stats.Records--
			if flags&parsers.Recovered != 0 {
				c.stats.Recovered--
			}
			return nil
		}
		if len(st.out) > maxRendered*4 {
			c.stats.Records--
			c.stats.Failed++
			if flags&parsers.Recovered != 0 {
				c.stats.Recovered--
			}
			c.fail(off, id, "record", fmt.Errorf("record rendering exceeds %d bytes: %w", maxRendered*4, parsers.ErrCorrupt))
			return nil
		}
		if c.format == FormatJSON {
			st.out = append(st.out, '\n')
		}
		return c.out(st.out)
	}
	if c.emit == nil {
		return nil
	}
	return c.emit(ev)
}

// noFields makes the normalizer fill only the typed core fields.
var noFields = map[string]bool{}
