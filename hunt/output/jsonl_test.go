package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/parsers"
)

// reference is what encoding/json writes for h: jsonHit is the schema of a
// JSON Lines record, and the writer must write exactly these bytes.
func reference(t testing.TB, h *hunt.Hit, loc *time.Location) string {
	t.Helper()
	if loc == nil {
		loc = time.UTC // as NewWriter takes nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonOf(h, loc)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// written is what the JSONL writer writes for hits.
func written(t testing.TB, loc *time.Location, hits ...*hunt.Hit) string {
	t.Helper()
	var b bytes.Buffer
	w, err := NewWriter(&b, JSONL, Options{Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if err := w.WriteHit(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(&Summary{}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// nasty holds every kind of character encoding/json escapes: quote,
// backslash, the short escapes, other control bytes, HTML characters
// (not escaped: HTML escaping is off), invalid UTF-8, U+2028/2029, and
// valid multi-byte runes.
const nasty = "a\"b\\c\b\f\n\r\t\x00\x01\x1f\x7f<>&\xff\xc3(\u2028\u2029é€😀=cmd|' /C calc'!A0"

func TestJSONLSameBytesAsEncodingJSON(t *testing.T) {
	at := time.Date(2026, 10, 25, 0, 30, 0, 123456789, time.UTC)
	rule := &hunt.Rule{ID: "r-1", Title: "Title " + nasty, Level: "high", Engine: "sigma", Path: "rules/x.yml", Tags: []string{"attack.t1059", nasty}}
	bare := &hunt.Rule{ID: "q", Title: "query", Engine: "kql"}
	evtx := &parsers.Event{Time: at, Computer: "WS-01" + nasty, Channel: "Microsoft-Windows-Sysmon/Operational", EventID: 1, RecordID: 77,
		Flags: parsers.Recovered | parsers.BadChecksum, Source: parsers.Source{Path: "a.evtx", Offset: 4096},
		Fields: []parsers.Field{
			{Name: "ProcessId", Value: "500"}, {Name: "Image", Value: `C:\Windows\System32\tscon.exe`},
			// A repeated name is a list, in event order, wherever it
			// comes; names sort in byte order (upper case first).
			{Name: "Data", Value: "first"}, {Name: "image", Value: "lower"}, {Name: "Data", Value: nasty},
			{Name: nasty, Value: ""}, {Name: "Data", Value: "third"}, {Name: "", Value: "empty name"},
		}}
	jsonEv := &parsers.Event{Computer: "DC-01", Channel: "Security", EventID: 4624, Flags: parsers.BadChecksum,
		Source: parsers.Source{Path: "b.jsonl", Offset: -1, Line: 3}, Fields: []parsers.Field{{Name: "LogonType", Value: "10"}}}
	// No fields, no computer or channel, EventID and RecordID 0, no offset
	// nor line.
	empty := &parsers.Event{Source: parsers.Source{Path: "c.jsonl", Offset: -1}}
	hits := []*hunt.Hit{
		{Rule: rule, Time: at, Event: evtx, Matched: []hunt.Matched{{Search: "selection", Field: "Image", Value: nasty}, {Search: "s2"}},
			Engines: []string{"sigma", "kql"}, Suppressed: "veeam " + nasty},
		{Rule: rule, Time: at, Event: jsonEv, Engines: []string{"sigma"}, Related: []*parsers.Event{evtx, jsonEv, empty}},
		{Rule: bare, Time: at, Event: empty},
		// A KQL row without an event; a repeated column keeps its last
		// value.
		{Rule: bare, Row: []hunt.Cell{{Name: "b", Value: "1"}, {Name: "a", Value: nasty}, {Name: "b", Value: "2"}, {Name: "B", Value: "3"}}},
		// A row with the event it came from.
		{Rule: bare, Time: at, Event: jsonEv, Row: []hunt.Cell{{Name: "Computer", Value: "DC-01"}}},
		// The zero time is an empty timestamp.
		{Rule: bare},
	}
	hits = append(hits, processHits()...)
	for _, loc := range []*time.Location{nil, time.FixedZone("X", -(9*3600 + 30*60))} {
		var want strings.Builder
		for _, h := range hits {
			want.WriteString(reference(t, h, loc))
		}
		if got := written(t, loc, hits...); got != want.String() {
			gl, wl := strings.Split(got, "\n"), strings.Split(want.String(), "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Fatalf("line %d differs:\n got %s\nwant %s", i+1, gl[i], wl[i])
				}
			}
			t.Fatalf("got %d lines, want %d", len(gl), len(wl))
		}
	}
}

// TestJSONLBuffered: the lines are buffered and reach the writer at
// Close at the latest, whole.
func TestJSONLBuffered(t *testing.T) {
	var b bytes.Buffer
	w, err := NewWriter(&b, JSONL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &hunt.Hit{Rule: &hunt.Rule{ID: "r", Title: "t", Engine: "sigma"}}
	for range 3 {
		if err := w.WriteHit(h); err != nil {
			t.Fatal(err)
		}
	}
	if b.Len() != 0 {
		t.Errorf("%d bytes written before Close", b.Len())
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat(`{"timestamp":"","rule":{"id":"r","title":"t","engine":"sigma"}}`+"\n", 3); b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

// FuzzJSONLLine: for any field names and values, computer, rule title and
// row, the writer's line is encoding/json's.
func FuzzJSONLLine(f *testing.F) {
	f.Add("Image", `C:\x.exe`, "Image", "second", "WS-01", "title", "col")
	f.Add(nasty, nasty, "", "", nasty, nasty, nasty)
	f.Add("\xff", "\xed\xa0\x80", "\u2028", "\x00", "<&>", "\"", "\\")
	f.Fuzz(func(t *testing.T, n1, v1, n2, v2, computer, title, col string) {
		rule := &hunt.Rule{ID: title, Title: title, Engine: "sigma", Level: computer, Tags: []string{n1, v2}}
		ev := &parsers.Event{Computer: computer, Channel: v1, EventID: uint32(len(v1)), Source: parsers.Source{Path: n2, Offset: int64(len(n1)) - 1},
			Fields: []parsers.Field{{Name: n1, Value: v1}, {Name: n2, Value: v2}, {Name: n1, Value: v2}}}
		// The same names in another order, then the first again: the
		// writer's order of the last names must not leak.
		swapped := &parsers.Event{Source: parsers.Source{Path: n1, Line: 2},
			Fields: []parsers.Field{{Name: n2, Value: v1}, {Name: n1, Value: v2}, {Name: n1, Value: v1}}}
		hits := []*hunt.Hit{
			{Rule: rule, Time: time.Unix(int64(len(v2)), 0), Event: ev, Matched: []hunt.Matched{{Search: n1, Field: n2, Value: v1}}, Suppressed: col},
			{Rule: rule, Event: swapped},
			{Rule: rule, Event: ev},
			{Rule: rule, Row: []hunt.Cell{{Name: col, Value: v1}, {Name: n1, Value: v2}, {Name: col, Value: title}}, Related: []*parsers.Event{ev}},
		}
		var want string
		for _, h := range hits {
			want += reference(t, h, nil)
		}
		if got := written(t, nil, hits...); got != want {
			t.Fatalf("got  %q\nwant %q", got, want)
		}
	})
}

// FuzzJSONString: appendJSONString writes any string as encoding/json
// does with HTML escaping off, and the result decodes to the string with
// its invalid UTF-8 replaced.
func FuzzJSONString(f *testing.F) {
	f.Add(nasty)
	f.Add("")
	f.Add("\xf0\x9f\x98")
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		got := appendJSONString(nil, s)
		if string(got)+"\n" != want.String() {
			t.Fatalf("got %s want %s", got, want.String())
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatal(err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("decoded %q from %q", back, s)
		}
	})
}

// BenchmarkJSONLWriter writes hits on a Sysmon event of 20 fields, as a
// search that writes most of the events it reads does.
func BenchmarkJSONLWriter(b *testing.B) {
	for _, name := range []string{"writer", "encoding-json"} {
		b.Run(name, func(b *testing.B) {
			hits := benchHits()
			var buf bytes.Buffer
			w, err := NewWriter(&buf, JSONL, Options{})
			if err != nil {
				b.Fatal(err)
			}
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				buf.Reset()
				h := hits[i%len(hits)]
				if name == "writer" {
					err = w.WriteHit(h)
				} else {
					err = enc.Encode(jsonOf(h, time.UTC))
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchHits() []*hunt.Hit {
	rule := &hunt.Rule{ID: "search", Title: "search", Engine: "search"}
	names := []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "FileVersion", "Description", "Product",
		"Company", "OriginalFileName", "CommandLine", "CurrentDirectory", "User", "LogonGuid", "LogonId",
		"TerminalSessionId", "IntegrityLevel", "Hashes", "ParentProcessGuid", "ParentImage"}
	var hits []*hunt.Hit
	for i := range 64 {
		ev := &parsers.Event{Time: time.Unix(int64(i), 0), Computer: "WS-FIN-07.corp.example.com", Channel: "Microsoft-Windows-Sysmon/Operational",
			EventID: 1, RecordID: uint64(i), Source: parsers.Source{Path: "sysmon.evtx", Offset: int64(4096 * i)}}
		for _, n := range names {
			ev.Fields = append(ev.Fields, parsers.Field{Name: n, Value: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe -nop -w hidden 10.0.0.5`})
		}
		hits = append(hits, &hunt.Hit{Rule: rule, Time: ev.Time, Event: ev, Matched: []hunt.Matched{{Search: `\d+`, Field: "CommandLine", Value: "10.0.0.5"}}})
	}
	return hits
}
