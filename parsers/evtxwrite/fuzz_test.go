package evtxwrite_test

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtxwrite"
)

// systemNames are the System fields in the canonical order of <System>.
var systemNames = []string{
	"Provider_Name", "Provider_Guid", "EventID_Qualifiers", "EventID", "Version", "Level",
	"Task", "Opcode", "Keywords", "TimeCreated_SystemTime", "EventRecordID",
	"Correlation_ActivityID", "ProcessID", "ThreadID", "Channel", "Computer", "Security_UserID",
}

// fuzzValues are texts that type as each kind of value the writer infers,
// and texts that look like one but are not its exact rendering.
var fuzzValues = []string{
	"", "4688", "0", "007", "4294967296", "18446744073709551615", "18446744073709551616",
	"0x3e7", "0x0", "0x03e7", "0X3E7", "0xffffffffffffffff", "true", "false", "True",
	"{54849625-5478-4994-A5BA-3E3B0328C30D}", "{54849625-5478-4994-a5ba-3e3b0328c30d}",
	"S-1-5-18", "S-1-5-21-1004336348-1177238915-682003330-1104", "S-1-0x123456789ABC-5", "S-1-00-5",
	"2019-03-19T23:28:58.4570000Z", "2019-03-19T23:28:58.457Z", "1600-01-01T00:00:00.0000000Z",
	"00112233445566778899AABBCCDDEEFF", "00112233445566778899aabbccddeeff", "-1", "1.5",
	"C:\\Windows\\System32\\cmd.exe /c whoami", "ünïcödé ✓ 𝄞", "line\r\nbreak", "trailing nul\x00\x00",
	"bad utf8 \xff\xfe", "<xml> & \"quotes\"",
}

// expectText is what the decoder reads back for a text the writer stored:
// UTF-16 has no room for invalid UTF-8, and trailing NULs are terminators.
func expectText(s string) string {
	var b strings.Builder
	for _, r := range s { // each invalid byte is one U+FFFD
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), "\x00")
}

// fuzzEvent builds an event from fuzz input: a leading run of System
// fields (a subset, in order), then EventData fields with names and
// values from the input and from fuzzValues.
func fuzzEvent(data []byte) *parsers.Event {
	ev := &parsers.Event{}
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	text := func() string {
		n := int(next())
		if n >= 0xf0 {
			return fuzzValues[int(next())%len(fuzzValues)]
		}
		n %= 48
		n = min(n, len(data))
		s := string(data[:n])
		data = data[n:]
		return s
	}
	mask := binary.LittleEndian.Uint32(append([]byte{next(), next(), next()}, 0))
	for i, name := range systemNames {
		if mask&(1<<i) != 0 {
			ev.Add(name, text())
		}
	}
	for k := int(next()) % 24; k > 0; k-- {
		ev.Add(text(), text())
	}
	ticks := int64(binary.LittleEndian.Uint32([]byte{next(), next(), next(), next()})) * 123457
	ev.Time = time.Unix(1262304000, 0).Add(time.Duration(ticks) * 100).UTC()
	ev.RecordID = uint64(next())
	return ev
}

// expectFields is what the decoder reads back for ev's fields.
func expectFields(ev *parsers.Event) []parsers.Field {
	var fs []parsers.Field
	for _, f := range ev.Fields {
		name := expectText(f.Name)
		if name == "" {
			name = "Data"
		}
		fs = append(fs, parsers.Field{Name: name, Value: expectText(f.Value)})
	}
	return fs
}

// FuzzWriteRead writes random events and reads them back: every field,
// in order, the time to 100 ns and the record id are the ones written.
func FuzzWriteRead(f *testing.F) {
	f.Add([]byte("\xff\xff\x01\x04Test\xf0\x01\x05Hello\x05World\x00\x00\x00\x01\x07"))
	f.Add([]byte("\x00\x00\x00\x03\xf0\x02\xf0\x07\x04Name\xf0\x0b\xf0\x10\xf0\x11\x01\x02\x03\x04\x09"))
	f.Add([]byte(strings.Repeat("\xf0\x13", 40)))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		var evs []*parsers.Event
		for len(data) > 0 && len(evs) < 8 {
			k := min(len(data), 200)
			evs = append(evs, fuzzEvent(data[:k]))
			data = data[k:]
		}
		p := filepath.Join(dir, "fuzz.evtx")
		fh, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w, err := evtxwrite.New(fh, evtxwrite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var written []*parsers.Event
		for _, e := range evs {
			if err := w.Write(e); err != nil {
				if errors.Is(err, evtxwrite.ErrTooLarge) {
					continue
				}
				t.Fatalf("Write: %v", err)
			}
			written = append(written, e)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		fh.Close()
		got, st, reports := readEvents(t, p)
		if reports != 0 || st.Failed != 0 {
			t.Fatalf("reading back: %d reports, %+v", reports, st)
		}
		if len(got) != len(written) {
			t.Fatalf("%d events back, want %d", len(got), len(written))
		}
		for i, want := range written {
			g := got[i]
			wf := expectFields(want)
			if len(g.Fields) != len(wf) {
				t.Fatalf("event %d: %d fields %q, want %d %q", i, len(g.Fields), g.Fields, len(wf), wf)
			}
			for k := range wf {
				if g.Fields[k] != wf[k] {
					t.Fatalf("event %d field %d: %q, want %q", i, k, g.Fields[k], wf[k])
				}
			}
			if _, ok := want.Get("TimeCreated_SystemTime"); !ok && !g.Time.Equal(want.Time) {
				t.Errorf("event %d: time %v, want %v", i, g.Time, want.Time)
			}
			if _, ok := want.Get("EventRecordID"); !ok && want.RecordID != 0 && g.RecordID != want.RecordID {
				t.Errorf("event %d: record id %d, want %d", i, g.RecordID, want.RecordID)
			}
		}
	})
}

func TestExpectTextValidUTF8(t *testing.T) {
	if s := expectText("a\xff\xfeb\x00"); !utf8.ValidString(s) || s != "a\uFFFD\uFFFDb" {
		t.Fatalf("expectText = %q", s)
	}
}
