package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/parsers"
)

// tsHits: a Sigma hit whose event has fields clashing with the Timesketch
// columns, a repeated name, an underscore name and a line break in its
// command line; and a KQL row without a time or an event.
func tsHits() []*hunt.Hit {
	r := &hunt.Rule{ID: "r1", Title: "=Evil", Level: "high", Engine: "sigma", Tags: []string{"attack.execution", "attack.t1059"}}
	at := time.Date(2026, 10, 25, 0, 30, 0, 123_456_789, time.UTC) // 02:30 CEST
	ev := &parsers.Event{Time: at, Computer: "WS1", Channel: "Security", EventID: 4688, RecordID: 9,
		Source: parsers.Source{Path: "a.evtx", Offset: 4096},
		Fields: []parsers.Field{
			{Name: "CommandLine", Value: "cmd /c\r\nwhoami"},
			{Name: "message", Value: "event's own message"},
			{Name: "_id", Value: "x"},
			{Name: "Tag", Value: "a"}, {Name: "Tag", Value: "b"},
		}}
	sig := &hunt.Hit{Rule: r, Time: at, Event: ev, Matched: []hunt.Matched{{Search: "sel", Field: "CommandLine", Value: "cmd /c\r\nwhoami"}}}
	kr := &hunt.Rule{ID: "k1", Title: "Row", Engine: "kql"}
	row := &hunt.Hit{Rule: kr, Row: []hunt.Cell{{Name: "Count", Value: "-7"}}}
	return []*hunt.Hit{sig, row}
}

func TestTimesketchJSONL(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	out := writeIn(t, Timesketch, berlin, tsHits())
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines:\n%s", out)
	}
	var a map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &a); err != nil {
		t.Fatal(err)
	}
	// Timesketch's three mandatory fields, by hand: 00:30:00.123456789 UTC
	// is 02:30 CEST (+02:00), truncated to the microsecond.
	want := map[string]any{
		"message":        "=Evil [high] on WS1: CommandLine: cmd /c  whoami",
		"datetime":       "2026-10-25T02:30:00.123456+02:00",
		"timestamp_desc": "Event Time",
		"timestamp":      float64(time.Date(2026, 10, 25, 0, 30, 0, 123_456_000, time.UTC).UnixMicro()),
		"rule_title":     "=Evil", // JSON is never altered
		"event_id":       float64(4688),
		"record_id":      float64(9),
		"source_file":    "a.evtx",
		"source_offset":  float64(4096),
		"CommandLine":    "cmd /c\r\nwhoami",
		// Clashes with a column and an underscore name are renamed.
		"field_message": "event's own message",
		"field__id":     "x",
		"Tag":           []any{"a", "b"},
		"tags":          []any{"attack.execution", "attack.t1059"},
	}
	for k, v := range want {
		got, _ := json.Marshal(a[k])
		w, _ := json.Marshal(v)
		if !bytes.Equal(got, w) {
			t.Errorf("%s = %s, want %s", k, got, w)
		}
	}
	if _, ok := a["_id"]; ok {
		t.Error("an event field named _id reached the top level")
	}
	// The columns come first, in order.
	if !strings.HasPrefix(lines[0], `{"message":`) || !strings.Contains(lines[0], `"datetime":"2026-10-25T02:30:00.123456+02:00","timestamp":`) {
		t.Errorf("column order: %s", lines[0])
	}
	var b map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &b); err != nil {
		t.Fatal(err)
	}
	// No time: the epoch, in the zone, and "Not a time".
	if b["datetime"] != "1970-01-01T01:00:00.000000+01:00" || b["timestamp"] != float64(0) || b["timestamp_desc"] != "Not a time" {
		t.Errorf("timeless hit: %s", lines[1])
	}
	if b["row_Count"] != "-7" || b["message"] != "Row: Count: -7" {
		t.Errorf("row hit: %s", lines[1])
	}
	if _, ok := b["computer"]; ok {
		t.Errorf("row hit has a computer: %s", lines[1])
	}
}

func TestTimesketchUTCOffset(t *testing.T) {
	out := writeIn(t, Timesketch, nil, tsHits()[:1])
	// The documented example writes +00:00, never Z.
	if !strings.Contains(out, `"datetime":"2026-10-25T00:30:00.123456+00:00"`) {
		t.Errorf("UTC datetime: %s", out)
	}
}

func TestTimesketchCSV(t *testing.T) {
	for _, raw := range []bool{false, true} {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, TimesketchCSV, Options{CSVRaw: raw})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range tsHits() {
			if err := w.WriteHit(h); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(nil); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 3 {
			t.Fatalf("want header and 2 rows, got %d", len(recs))
		}
		head := recs[0]
		if strings.Join(head[:4], ",") != "message,datetime,timestamp,timestamp_desc" || head[len(head)-1] != "fields" {
			t.Errorf("header %v", head)
		}
		col := map[string]int{}
		for i, h := range head {
			col[h] = i
		}
		r := recs[1]
		wantTitle, wantMsg := "'=Evil", "'=Evil [high] on WS1: CommandLine: cmd /c  whoami"
		if raw {
			wantTitle, wantMsg = "=Evil", "=Evil [high] on WS1: CommandLine: cmd /c  whoami"
		}
		if r[col["rule_title"]] != wantTitle || r[col["message"]] != wantMsg {
			t.Errorf("raw=%v: title %q message %q", raw, r[col["rule_title"]], r[col["message"]])
		}
		if r[col["datetime"]] != "2026-10-25T00:30:00.123456+00:00" || r[col["timestamp_desc"]] != "Event Time" ||
			r[col["event_id"]] != "4688" || r[col["tags"]] != "attack.execution,attack.t1059" || r[col["recovered"]] != "false" {
			t.Errorf("row %v", r)
		}
		var fields map[string]any
		if err := json.Unmarshal([]byte(r[col["fields"]]), &fields); err != nil {
			t.Fatalf("fields %q: %v", r[col["fields"]], err)
		}
		if fields["field_message"] != "event's own message" || fields["CommandLine"] != "cmd /c\r\nwhoami" {
			t.Errorf("fields %v", fields)
		}
		wantCount := `{"row_Count":"-7"}`
		if got := recs[2][col["fields"]]; got != wantCount {
			t.Errorf("row fields %q, want %q", got, wantCount)
		}
	}
}

func TestTimesketchCSVEmpty(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, TimesketchCSV, Options{})
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	want := strings.Join(TimesketchColumns, ",") + ",fields\n"
	if buf.String() != want {
		t.Errorf("empty CSV %q, want %q", buf.String(), want)
	}
}

func TestParseTimesketchFormats(t *testing.T) {
	for _, s := range []string{"timesketch", "Timesketch-CSV"} {
		if _, err := ParseFormat(s); err != nil {
			t.Errorf("ParseFormat(%q): %v", s, err)
		}
	}
}
