package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/parsers"
)

// writeAll writes hits through the Writer of format f and closes it.
func writeAll(t *testing.T, w io.Writer, f Format, hits []*hunt.Hit) {
	t.Helper()
	hw, err := NewWriter(w, f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if err := hw.WriteHit(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := hw.Close(&Summary{}); err != nil {
		t.Fatal(err)
	}
}

// twoHits are a Sigma hit on an EVTX record and a KQL hit with a result
// row and no source, in the order they are to be written.
func twoHits() []*hunt.Hit {
	sig := sampleHits()[0]
	kqlRule := &hunt.Rule{ID: "kql-1", Title: "Row rule", Level: "high", Engine: "kql"}
	t := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	ev := &parsers.Event{Time: t, Computer: "DC1", Source: parsers.Source{Offset: -1},
		Fields: []parsers.Field{{Name: "DeviceName", Value: "DC1"}, {Name: "Count", Value: "7"}}}
	row := &hunt.Hit{Rule: kqlRule, Time: t, Event: ev, Row: []hunt.Cell{{Name: "DeviceName", Value: "DC1"}, {Name: "Count", Value: "7"}}}
	return []*hunt.Hit{sig, row}
}

func TestNewWriterUnknownFormat(t *testing.T) {
	for _, f := range []Format{"", "xml", "TABLE"} {
		var b bytes.Buffer
		w, err := NewWriter(&b, f, Options{})
		if err == nil || w != nil {
			t.Errorf("NewWriter(%q) = %v, %v; want an error", f, w, err)
			continue
		}
		if !strings.Contains(err.Error(), "unknown format") {
			t.Errorf("NewWriter(%q): %v", f, err)
		}
		if b.Len() != 0 {
			t.Errorf("NewWriter(%q) wrote %q", f, b.String())
		}
	}
	for _, f := range []Format{Table, CSV, JSONL} {
		if _, err := NewWriter(io.Discard, f, Options{}); err != nil {
			t.Errorf("NewWriter(%q): %v", f, err)
		}
	}
}

func TestWritersInOrder(t *testing.T) {
	hits := twoHits()
	tests := []struct {
		format Format
		check  func(t *testing.T, out string)
	}{
		{Table, func(t *testing.T, out string) {
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != 3 || !strings.HasPrefix(lines[0], "TIME (UTC)") {
				t.Fatalf("table:\n%s", out)
			}
			if !strings.Contains(lines[1], "Judgement Panda") || !strings.Contains(lines[2], "Row rule") ||
				!strings.Contains(lines[2], "DeviceName: DC1 | Count: 7") {
				t.Errorf("table rows:\n%s", out)
			}
			// Aligned: RULE starts in the same column on every line.
			col := strings.Index(lines[0], "RULE")
			if strings.Index(lines[2], "Row rule") != col {
				t.Errorf("columns not aligned:\n%s", out)
			}
		}},
		{CSV, func(t *testing.T, out string) {
			recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 3 || recs[1][6] != hits[0].Rule.ID || recs[2][6] != "kql-1" {
				t.Fatalf("csv: %q", recs)
			}
			if recs[2][9] != "" || recs[2][10] != "" || recs[2][14] != "DeviceName: DC1 | Count: 7" {
				t.Errorf("KQL row: source %q offset %q details %q", recs[2][9], recs[2][10], recs[2][14])
			}
		}},
		{JSONL, func(t *testing.T, out string) {
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != 2 {
				t.Fatalf("jsonl: %q", out)
			}
			var second struct {
				Rule struct{ ID string }
				Row  map[string]string
			}
			if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
				t.Fatal(err)
			}
			if second.Rule.ID != "kql-1" || second.Row["Count"] != "7" || strings.Contains(lines[0], `"row"`) {
				t.Errorf("jsonl:\n%s", out)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			var b bytes.Buffer
			writeAll(t, &b, tt.format, hits)
			tt.check(t, b.String())
		})
	}
}

func TestWritersWithNoHits(t *testing.T) {
	want := map[Format]string{
		Table: "No hits.\n",
		CSV:   strings.Join(CSVHeader, ",") + "\n",
		JSONL: "",
	}
	for f, w := range want {
		var b bytes.Buffer
		writeAll(t, &b, f, nil)
		if b.String() != w {
			t.Errorf("%s with no hits: %q, want %q", f, b.String(), w)
		}
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("no space") }

func TestWritersReportWriteErrors(t *testing.T) {
	for _, f := range []Format{Table, CSV, JSONL} {
		w, err := NewWriter(failWriter{}, f, Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = w.WriteHit(twoHits()[0])
		if cerr := w.Close(nil); err == nil {
			err = cerr
		}
		if err == nil {
			t.Errorf("%s: a failing io.Writer gave no error", f)
		}
	}
}

// TestSummaryFromCounts: the summary takes its hit counts from the engine's
// counts, in a total order: by level (critical first), then hits, then
// title and engine, then id; the computers by hits, then name.
func TestSummaryFromCounts(t *testing.T) {
	a := &hunt.Rule{ID: "a", Title: "Same", Engine: "sigma", Level: "high"}
	b := &hunt.Rule{ID: "b", Title: "Same", Engine: "sigma", Level: "low"}
	c := &hunt.Rule{ID: "c", Title: "Other", Engine: "kql", Level: "high"}
	d := &hunt.Rule{ID: "d", Title: "Alpha", Engine: "sigma", Level: "low"}
	res := &hunt.Result{Counts: hunt.HitCounts{Hits: 11, Filtered: 4,
		PerRule:     map[*hunt.Rule]int{b: 2, a: 2, c: 5, d: 2},
		PerLevel:    map[string]int{"high": 7, "low": 4},
		PerComputer: map[string]int{"b": 4, "a": 3, "A": 1, "": 1, "z": 1, "Z": 1}}}
	for i := 0; i < 5; i++ { // map order must not matter
		s := NewSummary(res)
		var got []string
		for _, r := range s.HitsPerRule {
			got = append(got, r.ID)
		}
		// high: c 5, a 2; low: d 2 "Alpha" before b 2 "Same".
		if strings.Join(got, " ") != "c a d b" || s.HitsTotal != 11 || s.HitsPerLevel["high"] != 7 {
			t.Fatalf("per rule %v, total %d, per level %v", got, s.HitsTotal, s.HitsPerLevel)
		}
		// "a" 3 + "A" 1, shown as "a"; "Z" and "z" tie: "Z" first in byte order.
		if fmt.Sprint(s.HitsPerComputer) != "[{a 4} {b 4} {Z 2} { 1}]" {
			t.Fatalf("per computer %v", s.HitsPerComputer)
		}
	}
}
