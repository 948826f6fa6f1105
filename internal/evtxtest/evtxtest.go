// Package evtxtest writes small, valid EVTX files for tests: a file header,
// one chunk and its records, each record a plain BinXml document (elements,
// attributes and string values, no templates), with every size, record
// number and CRC32 the format asks for. Tests build events that no corpus
// file has (a Defender detection with its spaced field names, say) and feed
// them to the decoder as real files.
//
// Write is the entry point. It only writes what a reader needs: Windows'
// own files also carry templates, which this package never emits.
package evtxtest

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"time"
	"unicode/utf16"
)

// Attr is an XML attribute.
type Attr struct{ Name, Value string }

// Element is an XML element: attributes, then text or child elements.
type Element struct {
	Name     string
	Attrs    []Attr
	Text     string
	Children []*Element
}

// Record is one event record.
type Record struct {
	// Written is the record header's time; zero writes 0.
	Written time.Time
	Event   *Element
}

const (
	fileHeaderSize  = 4096
	chunkSize       = 65536
	chunkHeaderSize = 512
)

// ErrTooLarge is returned when the records do not fit in one chunk.
var ErrTooLarge = errors.New("evtxtest: records exceed one chunk")

// Write returns an EVTX file holding the records in one chunk, numbered
// from 1.
func Write(records []Record) ([]byte, error) {
	chunk := make([]byte, chunkHeaderSize, chunkSize)
	var lastOff uint32
	for i, r := range records {
		off := len(chunk)
		lastOff = uint32(off)
		chunk = append(chunk, '*', '*', 0, 0)
		chunk = binary.LittleEndian.AppendUint32(chunk, 0) // size, patched
		chunk = binary.LittleEndian.AppendUint64(chunk, uint64(i+1))
		chunk = binary.LittleEndian.AppendUint64(chunk, fileTime(r.Written))
		chunk = append(chunk, 0x0f, 1, 1, 0) // fragment header
		chunk = appendElement(chunk, r.Event)
		chunk = append(chunk, 0x00) // end of stream
		size := len(chunk) - off + 4
		chunk = binary.LittleEndian.AppendUint32(chunk, uint32(size))
		binary.LittleEndian.PutUint32(chunk[off+4:], uint32(size))
		if len(chunk) > chunkSize {
			return nil, ErrTooLarge
		}
	}
	free := len(chunk)
	chunk = chunk[:chunkSize]
	n := uint64(len(records))
	h := chunk[:chunkHeaderSize]
	copy(h, "ElfChnk\x00")
	binary.LittleEndian.PutUint64(h[8:], 1)    // first record number
	binary.LittleEndian.PutUint64(h[16:], n)   // last record number
	binary.LittleEndian.PutUint64(h[24:], 1)   // first record id
	binary.LittleEndian.PutUint64(h[32:], n)   // last record id
	binary.LittleEndian.PutUint32(h[40:], 128) // header size
	binary.LittleEndian.PutUint32(h[44:], lastOff)
	binary.LittleEndian.PutUint32(h[48:], uint32(free))
	binary.LittleEndian.PutUint32(h[52:], crc32.ChecksumIEEE(chunk[chunkHeaderSize:free]))
	crc := crc32.NewIEEE()
	crc.Write(h[:120])
	crc.Write(h[128:512])
	binary.LittleEndian.PutUint32(h[124:], crc.Sum32())

	file := make([]byte, fileHeaderSize, fileHeaderSize+chunkSize)
	copy(file, "ElfFile\x00")
	binary.LittleEndian.PutUint64(file[8:], 0)    // first chunk
	binary.LittleEndian.PutUint64(file[16:], 0)   // last chunk
	binary.LittleEndian.PutUint64(file[24:], n+1) // next record id
	binary.LittleEndian.PutUint32(file[32:], 128) // header size
	binary.LittleEndian.PutUint16(file[36:], 1)   // minor version
	binary.LittleEndian.PutUint16(file[38:], 3)   // major version
	binary.LittleEndian.PutUint16(file[40:], fileHeaderSize)
	binary.LittleEndian.PutUint16(file[42:], 1) // chunk count
	binary.LittleEndian.PutUint32(file[124:], crc32.ChecksumIEEE(file[:120]))
	return append(file, chunk...), nil
}

// appendElement writes e at the end of chunk (whose length is its offset
// in the chunk: names are referenced by chunk offset, here always inline).
func appendElement(chunk []byte, e *Element) []byte {
	tok := byte(0x01)
	if len(e.Attrs) > 0 {
		tok = 0x41
	}
	chunk = append(chunk, tok, 0xff, 0xff)
	sizeAt := len(chunk)
	chunk = binary.LittleEndian.AppendUint32(chunk, 0) // data size, patched
	chunk = appendName(chunk, e.Name)
	if len(e.Attrs) > 0 {
		attrAt := len(chunk)
		chunk = binary.LittleEndian.AppendUint32(chunk, 0) // attribute list size, patched
		for i, a := range e.Attrs {
			t := byte(0x06)
			if i < len(e.Attrs)-1 {
				t = 0x46
			}
			chunk = append(chunk, t)
			chunk = appendName(chunk, a.Name)
			chunk = appendText(chunk, a.Value)
		}
		binary.LittleEndian.PutUint32(chunk[attrAt:], uint32(len(chunk)-attrAt-4))
	}
	if e.Text == "" && len(e.Children) == 0 {
		chunk = append(chunk, 0x03) // close empty element
	} else {
		chunk = append(chunk, 0x02) // close start element
		if e.Text != "" {
			chunk = appendText(chunk, e.Text)
		}
		for _, c := range e.Children {
			chunk = appendElement(chunk, c)
		}
		chunk = append(chunk, 0x04) // end element
	}
	binary.LittleEndian.PutUint32(chunk[sizeAt:], uint32(len(chunk)-sizeAt-4))
	return chunk
}

// appendName writes a name reference and the name inline after it: next
// name offset, hash, character count, UTF-16LE characters, NUL.
func appendName(chunk []byte, name string) []byte {
	u := utf16.Encode([]rune(name))
	chunk = binary.LittleEndian.AppendUint32(chunk, uint32(len(chunk)+4))
	chunk = binary.LittleEndian.AppendUint32(chunk, 0)
	chunk = binary.LittleEndian.AppendUint16(chunk, nameHash(u))
	chunk = binary.LittleEndian.AppendUint16(chunk, uint16(len(u)))
	for _, c := range u {
		chunk = binary.LittleEndian.AppendUint16(chunk, c)
	}
	return binary.LittleEndian.AppendUint16(chunk, 0)
}

// nameHash is the 16-bit hash EVTX keeps with a name: the low half of
// hash = hash*65599 + c over the UTF-16 characters.
func nameHash(u []uint16) uint16 {
	var h uint32
	for _, c := range u {
		h = h*65599 + uint32(c)
	}
	return uint16(h)
}

// appendText writes a value-text token with a UTF-16 string.
func appendText(chunk []byte, s string) []byte {
	u := utf16.Encode([]rune(s))
	chunk = append(chunk, 0x05, 0x01)
	chunk = binary.LittleEndian.AppendUint16(chunk, uint16(len(u)))
	for _, c := range u {
		chunk = binary.LittleEndian.AppendUint16(chunk, c)
	}
	return chunk
}

// fileTime converts t to a Windows FILETIME (100 ns since 1601), 0 for
// the zero time.
func fileTime(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	const epochDiff = 11644473600 // seconds from 1601 to 1970
	return uint64(t.Unix()+epochDiff)*1e7 + uint64(t.Nanosecond()/100)
}

// Event builds the usual <Event> element: a System block with these
// values, then EventData with one <Data Name=...> per pair, in order.
func Event(provider, channel, computer string, eventID int, recordID uint64, created time.Time, data ...Attr) *Element {
	sys := &Element{Name: "System", Children: []*Element{
		{Name: "Provider", Attrs: []Attr{{"Name", provider}}},
		{Name: "EventID", Text: itoa(uint64(eventID))},
		{Name: "Level", Text: "3"},
		{Name: "TimeCreated", Attrs: []Attr{{"SystemTime", created.UTC().Format("2006-01-02T15:04:05.0000000Z")}}},
		{Name: "EventRecordID", Text: itoa(recordID)},
		{Name: "Channel", Text: channel},
		{Name: "Computer", Text: computer},
	}}
	ed := &Element{Name: "EventData"}
	for _, d := range data {
		ed.Children = append(ed.Children, &Element{Name: "Data", Attrs: []Attr{{"Name", d.Name}}, Text: d.Value})
	}
	return &Element{Name: "Event", Attrs: []Attr{{"xmlns", "http://schemas.microsoft.com/win/2004/08/events/event"}},
		Children: []*Element{sys, ed}}
}

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}
