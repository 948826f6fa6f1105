package evtx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/loghunt/loghunt/parsers"
)

// Damage tests: fixtures mutated in memory.

func loadFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// recordOffsets returns the chunk offsets of the records of the chunk
// starting at c.
func recordOffsets(c []byte) []int {
	var offs []int
	end := int(binary.LittleEndian.Uint32(c[48:]))
	for off := chunkHeaderSize; off+recordHeader <= end; {
		offs = append(offs, off)
		off += int(binary.LittleEndian.Uint32(c[off+4:]))
	}
	return offs
}

// fixChunkCRCs recomputes both checksums of a chunk.
func fixChunkCRCs(c []byte) {
	free := binary.LittleEndian.Uint32(c[48:])
	binary.LittleEndian.PutUint32(c[52:], crc32.ChecksumIEEE(c[chunkHeaderSize:free]))
	binary.LittleEndian.PutUint32(c[124:], chunkHeaderCRC(c))
}

func decodeData(t *testing.T, data []byte, opts Options) (decoded, []*parsers.ParseError) {
	t.Helper()
	f, err := Open(bytes.NewReader(data), int64(len(data)), "mem.evtx", opts)
	if err != nil {
		t.Fatal(err)
	}
	var d decoded
	var errs []*parsers.ParseError
	for _, u := range f.Units() {
		st, err := u.Decode(func(e *parsers.Event) error {
			d.events = append(d.events, e.Clone())
			return nil
		}, func(pe *parsers.ParseError) { errs = append(errs, pe) })
		if err != nil {
			t.Fatal(err)
		}
		d.stats.Add(st)
	}
	return d, errs
}

func TestBadChunkMagicAndCarving(t *testing.T) {
	sec := loadFixture(t, "security_chunk0.evtx")
	sys := loadFixture(t, "system_chunk0.evtx")
	data := append(append([]byte(nil), sec...), sys[FileHeaderSize:]...)
	copy(data[FileHeaderSize+ChunkSize:], "BadChnk\x00")
	sysRecords := int64(len(recordOffsets(sys[FileHeaderSize:])))

	d, errs := decodeData(t, data, Options{})
	if d.stats.Records != 91 || d.stats.BadChunks != 1 {
		t.Fatalf("stats %+v, want 91 records and 1 bad chunk", d.stats)
	}
	if len(errs) != 1 || !errors.Is(errs[0], parsers.ErrBadMagic) || errs[0].Offset != FileHeaderSize+ChunkSize {
		t.Fatalf("errors %v, want one bad magic at the second chunk", errs)
	}
	d, _ = decodeData(t, data, Options{Carve: true})
	if d.stats.Recovered != sysRecords || d.stats.Records != 91+sysRecords {
		t.Fatalf("carving: stats %+v, want %d recovered", d.stats, sysRecords)
	}
	last := d.events[len(d.events)-1]
	if last.Flags&parsers.Recovered == 0 || last.Channel != "System" {
		t.Errorf("carved event %+v not flagged recovered", last)
	}
}

func TestZeroRecordSize(t *testing.T) {
	data := loadFixture(t, "security_chunk0.evtx")
	c := data[FileHeaderSize:]
	offs := recordOffsets(c)
	binary.LittleEndian.PutUint32(c[offs[2]+4:], 0)
	d, errs := decodeData(t, data, Options{})
	if d.stats.Records != 2 || d.stats.Failed != 1 {
		t.Fatalf("stats %+v, want 2 records and 1 failed", d.stats)
	}
	var pe *parsers.ParseError
	for _, e := range errs {
		if errors.Is(e, parsers.ErrTruncated) {
			pe = e
		}
	}
	if pe == nil || pe.RecordID != 3 || pe.Offset != int64(FileHeaderSize+offs[2]) || pe.Unit != "record" {
		t.Fatalf("errors %v, want a truncated record 3 at 0x%x", errs, FileHeaderSize+offs[2])
	}
	d, _ = decodeData(t, data, Options{Carve: true})
	if d.stats.Records != 90 || d.stats.Recovered != 88 {
		t.Fatalf("carving: stats %+v, want records 4-91 recovered", d.stats)
	}
}

func TestDamagedSubstitutionSkipsOneRecord(t *testing.T) {
	data := loadFixture(t, "security_chunk0.evtx")
	c := data[FileHeaderSize:]
	offs := recordOffsets(c)
	// Record 10: the first substitution value size (the descriptors follow
	// the template instance) becomes huge. Find the descriptor count just
	// before a known layout: scan for the template instance token.
	rec := offs[9]
	p := rec + recordHeader + 4 // past the fragment header
	if c[p] != 0x0c {
		t.Fatalf("record 10 does not start with a template instance")
	}
	defOff := int(binary.LittleEndian.Uint32(c[p+6:]))
	q := p + 10
	if defOff == q {
		q += 24 + int(binary.LittleEndian.Uint32(c[q+20:]))
	}
	binary.LittleEndian.PutUint16(c[q+4:], 0xffff) // first descriptor size
	fixChunkCRCs(c)
	d, errs := decodeData(t, data, Options{})
	if d.stats.Records != 90 || d.stats.Failed != 1 || d.stats.BadChecksum != 0 {
		t.Fatalf("stats %+v, want 90 records and 1 failed", d.stats)
	}
	if len(errs) != 1 || errs[0].RecordID != 10 || !errors.Is(errs[0], parsers.ErrTruncated) {
		t.Fatalf("errors %v", errs)
	}
}

func TestBadChecksumFlagsRecords(t *testing.T) {
	data := loadFixture(t, "security_chunk0.evtx")
	c := data[FileHeaderSize:]
	// Flip a byte of the last record's header timestamp: structure intact.
	offs := recordOffsets(c)
	c[offs[len(offs)-1]+16] ^= 0xff
	d, errs := decodeData(t, data, Options{})
	if d.stats.Records != 91 || d.stats.BadChecksum != 1 {
		t.Fatalf("stats %+v, want 91 records, 1 bad checksum", d.stats)
	}
	if d.events[0].Flags&parsers.BadChecksum == 0 {
		t.Error("events not flagged BadChecksum")
	}
	if len(errs) != 1 || !errors.Is(errs[0], parsers.ErrBadChecksum) {
		t.Errorf("errors %v", errs)
	}
}

func TestChunksPastHeaderCountAndDamagedHeader(t *testing.T) {
	sec := loadFixture(t, "security_chunk0.evtx")
	sys := loadFixture(t, "system_chunk0.evtx")
	data := append(append([]byte(nil), sec...), sys[FileHeaderSize:]...) // header says 1 chunk
	sysRecords := int64(len(recordOffsets(sys[FileHeaderSize:])))
	d, errs := decodeData(t, data, Options{})
	if d.stats.Records != 91+sysRecords || len(errs) != 0 {
		t.Fatalf("stats %+v errors %v, want both chunks read", d.stats, errs)
	}
	copy(data, "XXXXXXXX")
	d, errs = decodeData(t, data, Options{})
	if d.stats.Records != 91+sysRecords {
		t.Fatalf("damaged header: stats %+v", d.stats)
	}
	if len(errs) != 1 || errs[0].Unit != "file header" || !errors.Is(errs[0], parsers.ErrBadMagic) {
		t.Fatalf("damaged header: errors %v", errs)
	}
}

func TestSlackCarving(t *testing.T) {
	data := loadFixture(t, "security_chunk0.evtx")
	c := data[FileHeaderSize:]
	offs := recordOffsets(c)
	binary.LittleEndian.PutUint32(c[48:], uint32(offs[49])) // records 50-91 become slack
	fixChunkCRCs(c)
	d, errs := decodeData(t, data, Options{})
	if d.stats.Records != 49 || len(errs) != 0 {
		t.Fatalf("stats %+v errors %v, want 49 live records", d.stats, errs)
	}
	d, _ = decodeData(t, data, Options{Carve: true})
	if d.stats.Records != 91 || d.stats.Recovered != 42 {
		t.Fatalf("carving: stats %+v, want 42 recovered", d.stats)
	}
	for i, e := range d.events {
		if got, want := e.Flags&parsers.Recovered != 0, i >= 49; got != want {
			t.Fatalf("event %d recovered=%v", i, got)
		}
	}
}

func TestTruncatedFile(t *testing.T) {
	data := loadFixture(t, "security_chunk0.evtx")
	for _, n := range []int{0, 100, FileHeaderSize, FileHeaderSize + 300, FileHeaderSize + 40000} {
		p := filepath.Join(t.TempDir(), "cut.evtx")
		if err := os.WriteFile(p, data[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := ReadFile(p, Options{Carve: true}, nil, nil)
		if n < FileHeaderSize {
			if !errors.Is(err, ErrNotEVTX) && n < 128 {
				t.Errorf("%d bytes: err %v, want ErrNotEVTX", n, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%d bytes: %v", n, err)
		}
		if n == FileHeaderSize+40000 && st.Records == 0 {
			t.Errorf("%d bytes: no record carved from a partial chunk: %+v", n, st)
		}
	}
}
