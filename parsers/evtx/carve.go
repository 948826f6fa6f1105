package evtx

import (
	"bytes"
	"encoding/binary"

	"github.com/loghunt/loghunt/parsers"
)

// carve scans chunk[off:end] for record signatures and decodes every
// plausible record found: its size fits, and the copy of the size at its
// end matches. Template references resolve against the same chunk, so
// records in a chunk slot whose header was destroyed still decode when the
// template definitions they use survived. The decoder must have been
// Reset to the chunk.
func (c *chunkDecoder) carve(off, end int) error {
	chunk := c.chunk
	for off+recordHeader <= end && !c.exhausted {
		i := bytes.Index(chunk[off:end], recordSig)
		if i < 0 {
			return nil
		}
		off += i
		if off+recordHeader > end {
			return nil
		}
		size := int(binary.LittleEndian.Uint32(chunk[off+4:]))
		if size < minRecordSize || size > end-off ||
			int(binary.LittleEndian.Uint32(chunk[off+size-4:])) != size {
			off++
			continue
		}
		id := binary.LittleEndian.Uint64(chunk[off+8:])
		if err := c.record(off, size, id, parsers.Recovered); err != nil {
			return err
		}
		off += size
	}
	return nil
}
