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

// dstHits are four hits around Berlin's changes of 2026: clocks go from
// 02:00 CET (+01:00) to 03:00 CEST (+02:00) at 01:00 UTC on March 29, and
// from 03:00 CEST back to 02:00 CET at 01:00 UTC on October 25, so 02:30
// happens twice that night.
func dstHits() []*hunt.Hit {
	r := &hunt.Rule{ID: "r", Title: "Rule", Level: "low", Engine: "sigma"}
	var hits []*hunt.Hit
	for _, t := range []time.Time{
		time.Date(2026, 3, 29, 0, 59, 59, 500_000_000, time.UTC),
		time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC),
		time.Date(2026, 10, 25, 1, 30, 0, 100, time.UTC),
	} {
		hits = append(hits, &hunt.Hit{Rule: r, Time: t, Event: &parsers.Event{Time: t, Source: parsers.Source{Path: "x.evtx", Offset: 4096}}})
	}
	return hits
}

func writeIn(t *testing.T, f Format, loc *time.Location, hits []*hunt.Hit) string {
	t.Helper()
	var b bytes.Buffer
	w, err := NewWriter(&b, f, Options{Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if err := w.WriteHit(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestLocationAcrossDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"2026-03-29T01:59:59.5+01:00",
		"2026-03-29T03:00:00+02:00",
		"2026-10-25T02:30:00+02:00",
		"2026-10-25T02:30:00.0000001+01:00",
	}
	wantUTC := []string{"2026-03-29T00:59:59.5Z", "2026-03-29T01:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00.0000001Z"}

	for _, tt := range []struct {
		loc  *time.Location
		want []string
	}{{berlin, want}, {nil, wantUTC}, {time.UTC, wantUTC}} {
		recs, err := csv.NewReader(strings.NewReader(writeIn(t, CSV, tt.loc, dstHits()))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range tt.want {
			if got := recs[i+1][0]; got != w {
				t.Errorf("CSV in %v, row %d: %s, want %s", tt.loc, i, got, w)
			}
		}
		for i, line := range strings.Split(strings.TrimSpace(writeIn(t, JSONL, tt.loc, dstHits())), "\n") {
			var j struct{ Timestamp string }
			if err := json.Unmarshal([]byte(line), &j); err != nil {
				t.Fatal(err)
			}
			if j.Timestamp != tt.want[i] {
				t.Errorf("JSONL in %v, line %d: %s, want %s", tt.loc, i, j.Timestamp, tt.want[i])
			}
			// RFC 3339 with the offset: it reads back as the same instant.
			if back, err := time.Parse(time.RFC3339Nano, j.Timestamp); err != nil || !back.Equal(dstHits()[i].Time) {
				t.Errorf("JSONL %s does not read back as %s", j.Timestamp, dstHits()[i].Time)
			}
		}
	}

	table := writeIn(t, Table, berlin, dstHits())
	lines := strings.Split(table, "\n")
	if !strings.HasPrefix(lines[0], "TIME (Europe/Berlin)") {
		t.Errorf("table header %q", lines[0])
	}
	for i, w := range []string{"2026-03-29 01:59:59.500 +01:00", "2026-03-29 03:00:00.000 +02:00", "2026-10-25 02:30:00.000 +02:00", "2026-10-25 02:30:00.000 +01:00"} {
		if !strings.HasPrefix(lines[i+1], w+" ") {
			t.Errorf("table row %d %q, want it to start with %s", i, lines[i+1], w)
		}
	}
	table = writeIn(t, Table, nil, dstHits())
	if !strings.HasPrefix(table, "TIME (UTC)") || !strings.Contains(table, "\n2026-10-25 01:30:00.000  low") {
		t.Errorf("UTC table:\n%s", table)
	}
	if got := ZoneName(time.Local); got != "local" {
		t.Errorf("ZoneName(Local) = %q", got)
	}
}
