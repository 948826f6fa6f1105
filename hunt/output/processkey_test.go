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

// processHits are the Sysmon 1 and Security 4688 records of one process
// creation (pid 500 = 0x1f4), and a hit on another process.
func processHits() []*hunt.Hit {
	rule := &hunt.Rule{ID: "r1", Title: "t", Level: "high", Engine: "sigma"}
	at := time.Date(2024, 5, 1, 10, 5, 0, 0, time.UTC)
	sysmon := &parsers.Event{Time: at, Computer: "WS01", Channel: "Microsoft-Windows-Sysmon/Operational", EventID: 1,
		Source: parsers.Source{Path: "s.evtx", Offset: 1}, Fields: []parsers.Field{
			{Name: "ProcessId", Value: "500"}, {Name: "Image", Value: `C:\Windows\System32\tscon.exe`}}}
	sec := &parsers.Event{Time: at, Computer: "ws01", Channel: "Security", EventID: 4688,
		Source: parsers.Source{Path: "x.evtx", Offset: 1}, Fields: []parsers.Field{
			{Name: "NewProcessId", Value: "0x1f4"}, {Name: "NewProcessName", Value: `C:\WINDOWS\System32\TSCON.EXE`}}}
	other := &parsers.Event{Time: at, Computer: "WS01", Channel: "Microsoft-Windows-Sysmon/Operational", EventID: 1,
		Source: parsers.Source{Path: "s.evtx", Offset: 2}, Fields: []parsers.Field{
			{Name: "ProcessId", Value: "501"}, {Name: "Image", Value: `C:\Windows\System32\tscon.exe`}}}
	return []*hunt.Hit{{Rule: rule, Time: at, Event: sysmon}, {Rule: rule, Time: at, Event: sec}, {Rule: rule, Time: at, Event: other}}
}

func TestProcessKeyColumn(t *testing.T) {
	var buf bytes.Buffer
	writeAll(t, &buf, CSV, processHits())
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || recs[0][len(recs[0])-1] != "process_key" {
		t.Fatalf("header %q, %d rows", recs[0], len(recs))
	}
	last := len(recs[0]) - 1
	a, b, c := recs[1][last], recs[2][last], recs[3][last]
	if a == "" || a != b || a == c {
		t.Errorf("process keys %q %q %q: want the first two equal and the third different", a, b, c)
	}

	buf.Reset()
	writeAll(t, &buf, JSONL, processHits())
	var keys []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		k, _ := m["process_key"].(string)
		keys = append(keys, k)
	}
	if len(keys) != 3 || keys[0] != a || keys[1] != a || keys[2] != c {
		t.Errorf("JSONL process keys %q, CSV %q %q %q", keys, a, b, c)
	}
}
