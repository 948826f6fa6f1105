package evtxwrite_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtxwrite"
)

// TestValueTypes writes one substitution of every value type the decoder
// reads and checks the text it reads back. The expected texts follow the
// Windows XML rendering (MS-EVEN6 and the event viewer): decimal
// integers, 0x-prefixed lower-case hex for HexInt and SizeT, upper-case
// hex for binary, {GUID} in upper case, S-1-... SIDs, ISO 8601 UTC times
// with 7 fractional digits.
func TestValueTypes(t *testing.T) {
	guid := []byte{0x25, 0x96, 0x84, 0x54, 0x78, 0x54, 0x94, 0x49, 0xa5, 0xba, 0x3e, 0x3b, 0x03, 0x28, 0xc3, 0x0d}
	sid := []byte{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0} // S-1-5-32-544
	// SYSTEMTIME 2020-02-29 (Saturday) 13:14:15.678
	systime := []byte{0xe4, 0x07, 2, 0, 6, 0, 29, 0, 13, 0, 14, 0, 15, 0, 0xa6, 0x02}
	tests := []struct {
		name string
		v    evtxwrite.Value
		want []string // one per field (arrays expand)
	}{
		{"String", evtxwrite.Str("héllo 𝄞"), []string{"héllo 𝄞"}},
		{"AnsiString", evtxwrite.Value{Type: evtxwrite.AnsiString, S: "café"}, []string{"café"}},
		{"Int8", evtxwrite.Int(evtxwrite.Int8, -5), []string{"-5"}},
		{"UInt8", evtxwrite.Uint(evtxwrite.UInt8, 250), []string{"250"}},
		{"Int16", evtxwrite.Int(evtxwrite.Int16, -30000), []string{"-30000"}},
		{"UInt16", evtxwrite.Uint(evtxwrite.UInt16, 65535), []string{"65535"}},
		{"Int32", evtxwrite.Int(evtxwrite.Int32, -2147483648), []string{"-2147483648"}},
		{"UInt32", evtxwrite.Uint(evtxwrite.UInt32, 4294967295), []string{"4294967295"}},
		{"Int64", evtxwrite.Int(evtxwrite.Int64, -9000000000), []string{"-9000000000"}},
		{"UInt64", evtxwrite.Uint(evtxwrite.UInt64, 18446744073709551615), []string{"18446744073709551615"}},
		{"Real32", evtxwrite.Float(evtxwrite.Real32, 1.5), []string{"1.5"}},
		{"Real64", evtxwrite.Float(evtxwrite.Real64, -0.25), []string{"-0.25"}},
		{"Bool true", evtxwrite.Uint(evtxwrite.Bool, 1), []string{"true"}},
		{"Bool false", evtxwrite.Uint(evtxwrite.Bool, 0), []string{"false"}},
		{"Binary", evtxwrite.Bytes(evtxwrite.Binary, []byte{0x00, 0xab, 0x10}), []string{"00AB10"}},
		{"Binary text", evtxwrite.Value{Type: evtxwrite.Binary, S: "DEADBEEF"}, []string{"DEADBEEF"}},
		{"GUID bytes", evtxwrite.Bytes(evtxwrite.GUID, guid), []string{"{54849625-5478-4994-A5BA-3E3B0328C30D}"}},
		{"GUID text", evtxwrite.Value{Type: evtxwrite.GUID, S: "{54849625-5478-4994-a5ba-3e3b0328c30d}"}, []string{"{54849625-5478-4994-A5BA-3E3B0328C30D}"}},
		{"SizeT", evtxwrite.Uint(evtxwrite.SizeT, 0x7ff6a000), []string{"0x7ff6a000"}},
		{"FileTime", evtxwrite.Time(time.Date(2019, 3, 19, 23, 28, 58, 457123400, time.UTC)), []string{"2019-03-19T23:28:58.4571234Z"}},
		{"SysTime", evtxwrite.Bytes(evtxwrite.SysTime, systime), []string{"2020-02-29T13:14:15.6780000Z"}},
		{"SID bytes", evtxwrite.Bytes(evtxwrite.SID, sid), []string{"S-1-5-32-544"}},
		{"SID text", evtxwrite.Value{Type: evtxwrite.SID, S: "S-1-5-21-1-2-3-500"}, []string{"S-1-5-21-1-2-3-500"}},
		{"HexInt32", evtxwrite.Uint(evtxwrite.HexInt32, 0xc0000022), []string{"0xc0000022"}},
		{"HexInt64", evtxwrite.Uint(evtxwrite.HexInt64, 0x3e7), []string{"0x3e7"}},
		{"EvtHandle", evtxwrite.Bytes(evtxwrite.EvtHandle, []byte{1, 2}), []string{"0102"}},
		{"Null", evtxwrite.Value{}, []string{""}},
		{"String array", evtxwrite.StringArray("a", "", "c"), []string{"a", "", "c"}},
		{"UInt16 array", evtxwrite.Bytes(evtxwrite.UInt16|evtxwrite.Array, []byte{1, 0, 2, 0}), []string{"1", "2"}},
		{"empty array", evtxwrite.Bytes(evtxwrite.UInt32|evtxwrite.Array, nil), []string{""}},
	}
	evs := writeAndRead(t, func(w *evtxwrite.Writer) error {
		var r evtxwrite.Record
		for _, tt := range tests {
			r.Reset()
			r.Open("Event")
			r.Open("EventData")
			r.Open("Data")
			r.LiteralAttr("Name", "V")
			r.Text(tt.v)
			r.Close()
			r.Close()
			r.Close()
			if err := w.WriteRecord(&r); err != nil {
				return err
			}
		}
		return nil
	})
	if len(evs) != len(tests) {
		t.Fatalf("%d events, want %d", len(evs), len(tests))
	}
	for i, tt := range tests {
		got := evs[i].Values(nil, "V")
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("%s: read %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestTemplatesShared checks that records of one shape share a template
// definition in a chunk: the second and later records add only their
// values, so a chunk holds many more of them than of distinct shapes.
func TestTemplatesShared(t *testing.T) {
	dir := t.TempDir()
	same := make([]*parsers.Event, 400)
	distinct := make([]*parsers.Event, 400)
	for i := range same {
		same[i] = sysmonEvent(i)
		d := sysmonEvent(i)
		d.Fields[len(d.Fields)-1].Name = "Shape" + strings.Repeat("x", i%50) // 50 shapes
		distinct[i] = d
	}
	a := writeEvents(t, dir, "same.evtx", same, evtxwrite.Options{})
	b := writeEvents(t, dir, "distinct.evtx", distinct, evtxwrite.Options{})
	sa, _ := os.Stat(a)
	sb, _ := os.Stat(b)
	if sa.Size() >= sb.Size() {
		t.Errorf("one shape: %d bytes, 50 shapes: %d bytes; one template per shape should be smaller", sa.Size(), sb.Size())
	}
	for _, p := range []string{a, b} {
		got, _, _ := readEvents(t, p)
		if len(got) != 400 {
			t.Fatalf("%s: %d events", p, len(got))
		}
	}
}

// TestErrorsSayWhere checks the errors of bad input: the event's number,
// its record id, the sentinel; and that the writer goes on after them.
func TestErrorsSayWhere(t *testing.T) {
	p := filepath.Join(t.TempDir(), "e.evtx")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := evtxwrite.New(f, evtxwrite.Options{FirstRecordID: 100})
	if err != nil {
		t.Fatal(err)
	}
	ok := &parsers.Event{EventID: 1, Channel: "Security"}
	if err := w.Write(ok); err != nil {
		t.Fatal(err)
	}
	huge := &parsers.Event{EventID: 2}
	huge.Add("Blob", strings.Repeat("x", 40000)) // 80000 bytes of UTF-16
	err = w.Write(huge)
	var we *evtxwrite.WriteError
	if !errors.As(err, &we) || !errors.Is(err, evtxwrite.ErrTooLarge) || we.Event != 1 || we.RecordID != 101 {
		t.Fatalf("huge event: %v", err)
	}
	if !strings.Contains(err.Error(), "event 1 (record 101)") {
		t.Errorf("message %q does not say where", err)
	}
	var r evtxwrite.Record
	r.Open("Event")
	r.Close()
	r.Close()
	if err := w.WriteRecord(&r); !errors.Is(err, evtxwrite.ErrBadRecord) {
		t.Errorf("unbalanced record: %v", err)
	}
	r.Reset()
	r.Open("Event")
	r.Text(evtxwrite.Value{Type: evtxwrite.GUID, S: "not a guid"})
	r.Close()
	if err := w.WriteRecord(&r); !errors.Is(err, evtxwrite.ErrBadValue) {
		t.Errorf("bad GUID: %v", err)
	}
	if err := w.WriteJSON([]byte(`[1,2]`)); !errors.Is(err, evtxwrite.ErrBadJSON) {
		t.Errorf("bad JSON: %v", err)
	}
	if err := w.Write(ok); err != nil {
		t.Fatalf("after errors: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ok); !errors.Is(err, evtxwrite.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	evs, _, _ := readEvents(t, p)
	if len(evs) != 2 || evs[0].RecordID != 100 || evs[1].RecordID != 101 {
		t.Fatalf("read back %d events", len(evs))
	}
}

// TestFileLayout checks the fixed parts of the format against the
// specification (libevtx's "Windows XML Event Log format"): header size
// 4096, version 3.1, chunk count; chunk magic at 4096; sizes multiple of
// the 64 KiB chunk; and that a chunk holds the name "Event" with the
// string-table hash 0x0cba (found in files Windows wrote).
func TestFileLayout(t *testing.T) {
	dir := t.TempDir()
	evs := make([]*parsers.Event, 1000)
	for i := range evs {
		evs[i] = sysmonEvent(i)
	}
	p := writeEvents(t, dir, "l.evtx", evs, evtxwrite.Options{})
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:8]) != "ElfFile\x00" || string(b[4096:4104]) != "ElfChnk\x00" {
		t.Fatal("magic")
	}
	if (len(b)-4096)%65536 != 0 {
		t.Fatalf("size %d", len(b))
	}
	chunks := (len(b) - 4096) / 65536
	if got := int(b[42]) | int(b[43])<<8; got != chunks || b[36] != 1 || b[38] != 3 {
		t.Errorf("header: %d chunks (file has %d), version %d.%d", got, chunks, b[38], b[36])
	}
	if !strings.Contains(string(b[4096:4096+65536]), "\xba\x0c\x05\x00E\x00v\x00e\x00n\x00t\x00") {
		t.Error("the name Event with hash 0x0cba is not in the first chunk")
	}
}
