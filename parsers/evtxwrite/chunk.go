package evtxwrite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
)

// Layout of the format.
const (
	FileHeaderSize  = 4096
	ChunkSize       = 65536
	chunkHeaderSize = 512
	recordHeader    = 24
	// chunkLimit is where records must end. libevtx does not read a
	// record that ends exactly at the end of the chunk.
	chunkLimit = ChunkSize - 8
	// bufCap is the capacity of the chunk buffer: room for a record that
	// overflows the chunk (found out after encoding it) without growing.
	bufCap = 2 * ChunkSize
)

// BinXml tokens.
const (
	tokEOF        = 0x00
	tokOpenStart  = 0x01
	tokCloseStart = 0x02
	tokCloseEmpty = 0x03
	tokEnd        = 0x04
	tokValue      = 0x05
	tokAttr       = 0x06
	tokTemplate   = 0x0c
	tokOptSubst   = 0x0e
	tokFragment   = 0x0f
	tokMore       = 0x40
)

// errOverflow says a record does not fit in the rest of the chunk.
var errOverflow = errors.New("chunk full")

// shape is one template: the shape key of its records, its GUID, and
// where the current chunk defines it.
type shape struct {
	guid   [16]byte
	gen    uint64 // chunk generation of defOff; 0: not defined in any
	defOff uint32
}

type nameEntry struct {
	name string
	off  uint32
	hash uint16
}

type tmplEntry struct {
	off uint32
	id  uint32
	sh  *shape
}

// chunk is the chunk being filled.
type chunk struct {
	buf     []byte // the chunk's bytes so far; the header is filled by finish
	gen     uint64
	names   map[string]uint32
	nameLog []nameEntry
	tmplLog []tmplEntry
	records int
	firstID uint64
	lastID  uint64
	lastOff uint32
	stack   []openElem
}

func (c *chunk) reset() {
	if c.buf == nil {
		c.buf = make([]byte, chunkHeaderSize, bufCap)
	}
	c.buf = c.buf[:chunkHeaderSize]
	clear(c.buf)
	c.gen++
	if c.names == nil {
		c.names = make(map[string]uint32)
	}
	clear(c.names)
	c.nameLog = c.nameLog[:0]
	c.tmplLog = c.tmplLog[:0]
	c.records, c.firstID, c.lastID, c.lastOff = 0, 0, 0, 0
}

// mark is what rollback needs to undo a record.
type mark struct {
	buf, names, tmpls int
}

func (c *chunk) mark() mark { return mark{len(c.buf), len(c.nameLog), len(c.tmplLog)} }

func (c *chunk) rollback(m mark) {
	for _, e := range c.nameLog[m.names:] {
		delete(c.names, e.name)
	}
	for _, e := range c.tmplLog[m.tmpls:] {
		e.sh.gen = 0
	}
	c.nameLog, c.tmplLog = c.nameLog[:m.names], c.tmplLog[:m.tmpls]
	if cap(c.buf) > bufCap {
		// A huge value made buf grow: go back to the usual array.
		b := make([]byte, m.buf, bufCap)
		copy(b, c.buf)
		c.buf = b
	}
	c.buf = c.buf[:m.buf]
}

// nameHash is the hash of a name in the string table: h = h*65599 + c
// over the UTF-16 code units, low 16 bits.
func nameHash(s string) uint16 {
	var h uint32
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			h = h*65599 + uint32(0xd800+(r>>10)&0x3ff)
			h = h*65599 + uint32(0xdc00+r&0x3ff)
			continue
		}
		h = h*65599 + uint32(r)
	}
	return uint16(h)
}

// appendName appends a 4-byte name offset, and the name itself right after
// it when the chunk does not hold it yet.
func (c *chunk) appendName(name string) {
	le := binary.LittleEndian
	if off, ok := c.names[name]; ok {
		c.buf = le.AppendUint32(c.buf, off)
		return
	}
	off := uint32(len(c.buf) + 4)
	c.buf = le.AppendUint32(c.buf, off)
	h := nameHash(name)
	// The string table chains names of one bucket through their first
	// field, newest first.
	var next uint32
	for i := len(c.nameLog) - 1; i >= 0; i-- {
		if c.nameLog[i].hash%64 == h%64 {
			next = c.nameLog[i].off
			break
		}
	}
	c.buf = le.AppendUint32(c.buf, next)
	c.buf = le.AppendUint16(c.buf, h)
	c.buf = le.AppendUint16(c.buf, uint16(utf16Len(name)))
	c.buf = appendUTF16(c.buf, name)
	c.buf = append(c.buf, 0, 0)
	c.names[name] = off
	c.nameLog = append(c.nameLog, nameEntry{name: name, off: off, hash: h})
}

func (c *chunk) patch32(at int, v uint32) { binary.LittleEndian.PutUint32(c.buf[at:], v) }

// appendDefinition appends the BinXml fragment of r's template.
func (c *chunk) appendDefinition(r *Record) {
	c.buf = append(c.buf, tokFragment, 1, 1, 0)
	stack := c.stack[:0]
	var idx uint16
	items := r.items
	for i := 0; i < len(items); i++ {
		it := &items[i]
		switch it.kind {
		case kOpen:
			hasAttr := i+1 < len(items) && items[i+1].kind == kAttr
			tok := byte(tokOpenStart)
			if hasAttr {
				tok |= tokMore
			}
			c.buf = append(c.buf, tok, 0xff, 0xff)
			o := openElem{sizeAt: len(c.buf), attrAt: -1}
			c.buf = append(c.buf, 0, 0, 0, 0)
			c.appendName(it.name)
			if hasAttr {
				o.attrAt = len(c.buf)
				c.buf = append(c.buf, 0, 0, 0, 0)
			}
			stack = append(stack, o)
			// The start tag ends after the attributes: close it now
			// unless attributes follow.
			if !hasAttr {
				c.closeStart(items, i, stack)
			}
		case kAttr:
			tok := byte(tokAttr)
			more := i+1 < len(items) && items[i+1].kind == kAttr
			if more {
				tok |= tokMore
			}
			c.buf = append(c.buf, tok)
			c.appendName(it.name)
			c.appendText(it, &idx)
			if !more {
				o := stack[len(stack)-1]
				c.patch32(o.attrAt, uint32(len(c.buf)-o.attrAt-4))
				c.closeStart(items, i, stack)
			}
		case kText:
			c.appendText(it, &idx)
		case kClose:
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if o.sizeAt < 0 {
				continue // closed empty already
			}
			c.buf = append(c.buf, tokEnd)
			c.patch32(o.sizeAt, uint32(len(c.buf)-o.sizeAt-4))
		}
	}
	c.stack = stack[:0]
	c.buf = append(c.buf, tokEOF)
}

type openElem struct{ sizeAt, attrAt int }

// closeStart ends the start tag of the element on top of stack, whose last
// start-tag item is items[i]: an element without content closes empty.
func (c *chunk) closeStart(items []item, i int, stack []openElem) {
	if i+1 < len(items) && items[i+1].kind == kClose {
		c.buf = append(c.buf, tokCloseEmpty)
		o := &stack[len(stack)-1]
		c.patch32(o.sizeAt, uint32(len(c.buf)-o.sizeAt-4))
		o.sizeAt = -1
		return
	}
	c.buf = append(c.buf, tokCloseStart)
}

// appendText appends a literal value or the next substitution.
func (c *chunk) appendText(it *item, idx *uint16) {
	if it.lit {
		c.buf = append(c.buf, tokValue, byte(String))
		c.buf = binary.LittleEndian.AppendUint16(c.buf, uint16(utf16Len(it.v.S)))
		c.buf = appendUTF16(c.buf, it.v.S)
		return
	}
	c.buf = append(c.buf, tokOptSubst)
	c.buf = binary.LittleEndian.AppendUint16(c.buf, *idx)
	c.buf = append(c.buf, byte(it.v.Type))
	*idx++
}

// guidOf derives a template GUID from its shape key.
func guidOf(key []byte) [16]byte {
	var g [16]byte
	h := fnv.New128a()
	h.Write(key)
	copy(g[:], h.Sum(nil))
	return g
}

// appendRecord appends the record r with the given id, written time
// (FILETIME) and template; nsubst is its number of substitutions. It
// returns errOverflow when the record does not fit in the chunk, after
// which the caller rolls back.
func (c *chunk) appendRecord(r *Record, id, written uint64, sh *shape, nsubst int) error {
	le := binary.LittleEndian
	start := len(c.buf)
	c.buf = append(c.buf, 0x2a, 0x2a, 0, 0, 0, 0, 0, 0)
	c.buf = le.AppendUint64(c.buf, id)
	c.buf = le.AppendUint64(c.buf, written)
	c.buf = append(c.buf, tokFragment, 1, 1, 0, tokTemplate, 1)
	c.buf = append(c.buf, sh.guid[:4]...)
	if sh.gen == c.gen {
		c.buf = le.AppendUint32(c.buf, sh.defOff)
	} else {
		defOff := uint32(len(c.buf) + 4)
		c.buf = le.AppendUint32(c.buf, defOff)
		var next uint32
		for i := len(c.tmplLog) - 1; i >= 0; i-- {
			if c.tmplLog[i].id%32 == le.Uint32(sh.guid[:4])%32 {
				next = c.tmplLog[i].off
				break
			}
		}
		c.buf = le.AppendUint32(c.buf, next)
		c.buf = append(c.buf, sh.guid[:]...)
		sizeAt := len(c.buf)
		c.buf = append(c.buf, 0, 0, 0, 0)
		c.appendDefinition(r)
		c.patch32(sizeAt, uint32(len(c.buf)-sizeAt-4))
		sh.gen, sh.defOff = c.gen, defOff
		c.tmplLog = append(c.tmplLog, tmplEntry{off: defOff, id: le.Uint32(sh.guid[:4]), sh: sh})
		if len(c.buf) > chunkLimit {
			return errOverflow
		}
	}
	c.buf = le.AppendUint32(c.buf, uint32(nsubst))
	desc := len(c.buf)
	for k := 0; k < nsubst; k++ {
		c.buf = append(c.buf, 0, 0, 0, 0)
	}
	if len(c.buf) > chunkLimit {
		return errOverflow
	}
	k := 0
	for i := range r.items {
		it := &r.items[i]
		if it.lit || (it.kind != kAttr && it.kind != kText) {
			continue
		}
		vs := len(c.buf)
		var err error
		if c.buf, err = appendValue(c.buf, it.v); err != nil {
			if it.name != "" {
				return fmt.Errorf("attribute %s: %w", it.name, err)
			}
			return err
		}
		size := len(c.buf) - vs
		if len(c.buf) > chunkLimit {
			return errOverflow
		}
		le.PutUint16(c.buf[desc+4*k:], uint16(size))
		c.buf[desc+4*k+2] = byte(it.v.Type)
		k++
	}
	// The fragment ends with an end-of-stream token (libevtx reads one).
	c.buf = append(c.buf, tokEOF)
	size := len(c.buf) + 4 - start
	c.buf = le.AppendUint32(c.buf, uint32(size))
	if len(c.buf) > chunkLimit {
		return errOverflow
	}
	c.patch32(start+4, uint32(size))
	if c.records == 0 {
		c.firstID = id
	}
	c.records++
	c.lastID = id
	c.lastOff = uint32(start)
	return nil
}

// finish fills the chunk header of a chunk holding records and zero-pads
// it to ChunkSize.
func (c *chunk) finish() []byte {
	le := binary.LittleEndian
	free := len(c.buf)
	h := c.buf[:chunkHeaderSize]
	copy(h, "ElfChnk\x00")
	le.PutUint64(h[8:], c.firstID)
	le.PutUint64(h[16:], c.lastID)
	le.PutUint64(h[24:], c.firstID)
	le.PutUint64(h[32:], c.lastID)
	le.PutUint32(h[40:], 128)
	le.PutUint32(h[44:], c.lastOff)
	le.PutUint32(h[48:], uint32(free))
	le.PutUint32(h[52:], crc32.ChecksumIEEE(c.buf[chunkHeaderSize:free]))
	// String table: per bucket, the newest name (the chain goes back).
	for _, e := range c.nameLog {
		le.PutUint32(h[128+4*int(e.hash%64):], e.off)
	}
	for _, e := range c.tmplLog {
		le.PutUint32(h[384+4*int(e.id%32):], e.off)
	}
	crc := crc32.ChecksumIEEE(h[:120])
	crc = crc32.Update(crc, crc32.IEEETable, h[128:chunkHeaderSize])
	le.PutUint32(h[124:], crc)
	c.buf = c.buf[:ChunkSize]
	clear(c.buf[free:])
	return c.buf
}
