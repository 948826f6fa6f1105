package evtx

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"hash/crc32"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/parsers"
)

var fuzzFixtures = []string{
	"security_chunk0.evtx", "capi2_chunk0.evtx", "system_chunk0.evtx",
	"sysmon_chunk0.evtx", "hello_for_business.evtx", "language_pack_setup.evtx",
}

// fileWithChunk returns a one-chunk EVTX file holding chunk (zero-padded or
// cut to the chunk size).
func fileWithChunk(chunk []byte) []byte {
	b := make([]byte, FileHeaderSize+ChunkSize)
	copy(b, fileMagic)
	le := binary.LittleEndian
	le.PutUint32(b[32:], 128)
	le.PutUint16(b[36:], 1)
	le.PutUint16(b[38:], 3)
	le.PutUint16(b[40:], FileHeaderSize)
	le.PutUint16(b[42:], 1)
	le.PutUint32(b[124:], crc32.ChecksumIEEE(b[:120]))
	copy(b[FileHeaderSize:], chunk)
	return b
}

type decoded struct {
	events []*parsers.Event
	errs   int
	stats  parsers.Stats
}

func decodeBytes(t testing.TB, data []byte, opts Options) (decoded, error) {
	f, err := Open(bytes.NewReader(data), int64(len(data)), "fuzz.evtx", opts)
	if err != nil {
		return decoded{}, err
	}
	return decodeFile(t, f), nil
}

// decodeFile decodes every unit of f in order, keeping clones of the events.
func decodeFile(t testing.TB, f *File) decoded {
	var d decoded
	for _, u := range f.Units() {
		st, err := u.Decode(func(e *parsers.Event) error {
			d.events = append(d.events, e.Clone())
			return nil
		}, func(*parsers.ParseError) { d.errs++ })
		if err != nil {
			t.Fatalf("Decode returned a final error on in-memory input: %v", err)
		}
		d.stats.Add(st)
	}
	return d
}

// checkInvariants holds for any input.
func checkInvariants(t testing.TB, d decoded) {
	if int64(len(d.events)) != d.stats.Records {
		t.Fatalf("emitted %d events, stats say %d", len(d.events), d.stats.Records)
	}
	if d.stats.Recovered > d.stats.Records {
		t.Fatalf("recovered %d > records %d", d.stats.Recovered, d.stats.Records)
	}
	for _, e := range d.events {
		if !e.Time.IsZero() && e.Time.Location() != time.UTC {
			t.Fatalf("time not in UTC: %v", e.Time)
		}
		if e.Source.Offset < FileHeaderSize {
			t.Fatalf("record offset %d inside the file header", e.Source.Offset)
		}
	}
}

// sameFields checks that decoding with Options.Fields keeps exactly the
// matching fields of a full decode (the fast path against the simple one).
func sameFields(t testing.TB, full, filtered decoded, keep map[string]bool) {
	if len(full.events) != len(filtered.events) {
		t.Fatalf("field filter changed the record count: %d vs %d", len(full.events), len(filtered.events))
	}
	for i, e := range full.events {
		var want []parsers.Field
		for _, f := range e.Fields {
			if keep[f.Name] {
				want = append(want, f)
			}
		}
		got := filtered.events[i].Fields
		if len(got) != len(want) {
			t.Fatalf("record %d: filtered fields %v, want %v", i, got, want)
		}
		for j := range got {
			if got[j] != want[j] {
				t.Fatalf("record %d: filtered fields %v, want %v", i, got, want)
			}
		}
		if e.Computer != filtered.events[i].Computer || !e.Time.Equal(filtered.events[i].Time) {
			t.Fatalf("record %d: core fields differ with a field filter", i)
		}
	}
}

func addFileSeeds(f *testing.F) {
	for _, name := range fuzzFixtures {
		b, err := os.ReadFile(fixture(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("ElfFile\x00"))
}

// FuzzFile decodes arbitrary bytes as an EVTX file, with and without
// carving.
func FuzzFile(f *testing.F) {
	addFileSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, carve := range []bool{false, true} {
			d, err := decodeBytes(t, data, Options{Carve: carve})
			if err != nil {
				return
			}
			checkInvariants(t, d)
		}
	})
}

// FuzzChunk decodes arbitrary bytes as the one chunk of a file, checks
// that a second decode (with warm caches and pooled buffers) gives the same
// events, that a field filter keeps exactly the matching fields, and that
// template plans give the events the records' trees give.
func FuzzChunk(f *testing.F) {
	for _, name := range fuzzFixtures {
		b, err := os.ReadFile(fixture(name))
		if err != nil {
			f.Fatal(err)
		}
		c := b[FileHeaderSize : FileHeaderSize+ChunkSize]
		f.Add(c)
		// A short prefix: header plus the first records, with the free
		// space offset moved to the end of the prefix.
		n := 4096
		short := append([]byte(nil), c[:n]...)
		binary.LittleEndian.PutUint32(short[48:], uint32(n))
		f.Add(short)
	}
	keep := map[string]bool{"EventID": true, "Data": true, "TargetUserName": true, "Image": true, "CommandLine": true}
	keepList := []string{"EventID", "Data", "TargetUserName", "Image", "CommandLine"}
	f.Fuzz(func(t *testing.T, chunk []byte) {
		data := fileWithChunk(chunk)
		d1, err := decodeBytes(t, data, Options{Carve: true})
		if err != nil {
			t.Fatalf("Open failed on a file with a valid header: %v", err)
		}
		checkInvariants(t, d1)
		d2, _ := decodeBytes(t, data, Options{Carve: true})
		if len(d1.events) != len(d2.events) || d1.errs != d2.errs || d1.stats != d2.stats {
			t.Fatalf("second decode differs: %+v vs %+v", d1.stats, d2.stats)
		}
		for i := range d1.events {
			a, b := d1.events[i], d2.events[i]
			if len(a.Fields) != len(b.Fields) || a.RecordID != b.RecordID {
				t.Fatalf("record %d differs on second decode", i)
			}
			for j := range a.Fields {
				if a.Fields[j] != b.Fields[j] {
					t.Fatalf("record %d field %d differs on second decode", i, j)
				}
			}
		}
		d3, _ := decodeBytes(t, data, Options{Carve: true, Fields: keepList})
		sameFields(t, d1, d3, keep)
		// Records normalized by plans equal those normalized from trees.
		if withPlans, tree, _, ok := decodeBoth(t, data, Options{Carve: true}); ok {
			sameDecode(t, "plans vs trees", withPlans, tree)
		}
		checkRenderings(t, data, d1.stats.Records)
	})
}

// checkRenderings dumps data as JSON Lines and XML: one valid JSON object
// per record, and XML that a strict parser reads to the end.
func checkRenderings(t *testing.T, data []byte, records int64) {
	f, err := Open(bytes.NewReader(data), int64(len(data)), "fuzz.evtx", Options{Carve: true})
	if err != nil {
		return
	}
	var js bytes.Buffer
	st, err := f.Dump(context.Background(), &js, FormatJSON, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(js.String(), "\n"), "\n")
	if js.Len() == 0 {
		lines = nil
	}
	if int64(len(lines)) != st.Records || st.Records > records {
		t.Fatalf("%d JSON lines, %d records dumped, %d decoded", len(lines), st.Records, records)
	}
	for i, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("JSON line %d is not valid: %q", i+1, l)
		}
	}
	var xb bytes.Buffer
	if _, err := f.Dump(context.Background(), &xb, FormatXML, 1, nil); err != nil {
		t.Fatal(err)
	}
	// Wrap the stream of <Event> elements in one root to parse it.
	d := xml.NewDecoder(io.MultiReader(strings.NewReader("<r>"), &xb, strings.NewReader("</r>")))
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("XML output is not well-formed: %v", err)
		}
	}
}
