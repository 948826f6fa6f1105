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

func sampleHits() []*hunt.Hit {
	rule := &hunt.Rule{ID: "ae8a5c5d-4cfb-4a59-9adb-eb6c6c219620", Title: "Judgement Panda, \"exfil\"", Level: "critical", Engine: "sigma"}
	ev := &parsers.Event{
		Time:     time.Date(2026, 11, 3, 9, 14, 40, 123456700, time.UTC),
		Computer: "WS-FIN-07", Channel: "Security", EventID: 4688, RecordID: 42,
		Source: parsers.Source{Path: "logs/sec.evtx", Offset: 0x1200},
		Flags:  parsers.Recovered,
		Fields: []parsers.Field{
			{Name: "NewProcessName", Value: `C:\Users\Public\7za.exe`},
			{Name: "CommandLine", Value: "7za.exe a \"x, y\"\nnext line"},
			{Name: "Data", Value: "a"}, {Name: "Data", Value: "b"},
		},
	}
	return []*hunt.Hit{{Rule: rule, Time: ev.Time, Event: ev, Matched: []hunt.Matched{{Search: "selection_image", Field: "Image", Value: `C:\Users\Public\7za.exe`}}}}
}

func TestCSVIsRFC4180(t *testing.T) {
	var b bytes.Buffer
	writeAll(t, &b, CSV, sampleHits())
	r := csv.NewReader(&b)
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("our CSV does not parse back: %v", err)
	}
	if len(recs) != 2 {
		t.Fatalf("rows = %d, want header + 1", len(recs))
	}
	row := map[string]string{}
	for i, h := range recs[0] {
		row[h] = recs[1][i]
	}
	want := map[string]string{
		"timestamp": "2026-11-03T09:14:40.1234567Z", "computer": "WS-FIN-07", "channel": "Security",
		"event_id": "4688", "record_id": "42", "rule_title": "Judgement Panda, \"exfil\"",
		"rule_id": "ae8a5c5d-4cfb-4a59-9adb-eb6c6c219620", "level": "critical", "source_file": "logs/sec.evtx",
		"source_offset": "4608", "recovered": "true", "matched_searches": "selection_image",
	}
	for k, v := range want {
		if row[k] != v {
			t.Errorf("%s = %q, want %q", k, row[k], v)
		}
	}
	if !strings.Contains(row["details"], "CommandLine: 7za.exe a \"x, y\"\nnext line") {
		t.Errorf("details lost the quoted multi-line command line: %q", row["details"])
	}
}

func TestJSONLOneHitPerLine(t *testing.T) {
	hits := append(sampleHits(), sampleHits()...)
	var b bytes.Buffer
	writeAll(t, &b, JSONL, hits)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines = %d, want 2", len(lines))
	}
	var got struct {
		Timestamp string `json:"timestamp"`
		Rule      struct{ ID, Title string }
		RecordID  uint64 `json:"record_id"`
		Source    struct {
			Path   string
			Offset *int64
		}
		Flags  []string
		Fields map[string]any
	}
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	if got.Rule.ID == "" || got.Rule.Title == "" || got.RecordID != 42 || got.Source.Path != "logs/sec.evtx" ||
		got.Source.Offset == nil || *got.Source.Offset != 0x1200 || got.Timestamp != "2026-11-03T09:14:40.1234567Z" {
		t.Errorf("missing core keys: %+v", got)
	}
	if got.Fields["NewProcessName"] != `C:\Users\Public\7za.exe` {
		t.Errorf("fields: %v", got.Fields)
	}
	if d, ok := got.Fields["Data"].([]any); !ok || len(d) != 2 {
		t.Errorf("repeated field not a list: %v", got.Fields["Data"])
	}
	if len(got.Flags) != 1 || got.Flags[0] != "recovered" {
		t.Errorf("flags = %v", got.Flags)
	}
}

func TestTableClipsOnRuneBoundary(t *testing.T) {
	s := clip(strings.Repeat("é", 100), 11)
	if !strings.HasSuffix(s, "...") || !utf8Valid(s) {
		t.Fatalf("clip = %q", s)
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "?") == s }

func TestParseFormat(t *testing.T) {
	for _, ok := range []string{"csv", "JSONL", "table"} {
		if _, err := ParseFormat(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("xml accepted")
	}
}
