package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/timewindow"
)

// A failed-logon rule (shown, not only feeding the correlation), a brute
// force correlation (3 failures within 1 minute), and a KQL query counting
// the failures in its table.
const windowRules = `title: Failed logon
id: 0b0b0b0b-0000-4000-8000-000000000001
name: failed_logon
status: test
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4625
    condition: selection
level: low
---
title: Brute force
id: 0b0b0b0b-0000-4000-8000-000000000002
status: test
correlation:
    type: event_count
    rules:
        - failed_logon
    group-by:
        - TargetUserName
    timespan: 1m
    condition:
        gte: 3
level: high
`

const windowQuery = "SecurityEvent | where EventID == 4625 | summarize failures = count()\n"

// windowRun hunts five failed logons, at 10:00:00, :10, :20, :30 and :40 on
// 2024-03-01 (UTC), and one without a timestamp, with the window of f.
func windowRun(t *testing.T, f timewindow.Flags) (*Plan, *hunt.Result, []*hunt.Hit) {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "rules.yml"), []byte(windowRules), 0o644)
	os.WriteFile(filepath.Join(dir, "count.kql"), []byte(windowQuery), 0o644)
	var lines []string
	for s := 0; s <= 40; s += 10 {
		lines = append(lines, fmt.Sprintf(`{"Channel":"Security","EventID":4625,"Computer":"dc1","TargetUserName":"alice","TimeCreated":"2024-03-01T10:00:%02dZ"}`, s))
	}
	lines = append(lines, `{"Channel":"Security","EventID":4625,"Computer":"dc1","TargetUserName":"bob"}`)
	logs := filepath.Join(dir, "logs.jsonl")
	os.WriteFile(logs, []byte(strings.Join(lines, "\n")+"\n"), 0o644)

	spec, err := timewindow.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(Config{Paths: []string{logs}, RulePaths: []string{dir}, NoBundled: true, ShowHidden: true, Threads: 2, Window: spec})
	if err != nil {
		t.Fatal(err)
	}
	var hits []*hunt.Hit
	p.Options.Sink = hunt.NewSortingSink(func(h *hunt.Hit) error { hits = append(hits, h); return nil })
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p, res, hits
}

// count returns the hits per rule id, and the KQL row's failures cell.
func count(hits []*hunt.Hit) (map[string]int, string) {
	n := map[string]int{}
	kql := ""
	for _, h := range hits {
		n[h.Rule.ID]++
		for _, c := range h.Row {
			if c.Name == "failures" {
				kql = c.Value
			}
		}
	}
	return n, kql
}

func TestWindowNone(t *testing.T) {
	_, res, hits := windowRun(t, timewindow.Flags{})
	n, kql := count(hits)
	// 6 failed logons; alice's 5 fire the correlation (3 within 1 minute)
	// at least once; the query counts all 6.
	if n["0b0b0b0b-0000-4000-8000-000000000001"] != 6 || n["0b0b0b0b-0000-4000-8000-000000000002"] == 0 || kql != "6" {
		t.Errorf("no window: hits %v, KQL failures %s", n, kql)
	}
	if res.Counts.Hits != len(hits) {
		t.Errorf("counted %d, sent %d", res.Counts.Hits, len(hits))
	}
}

// A fixed window gates the events for every rule: Sigma sees 10:00:20 and
// 10:00:30 (10:00:40 is the exclusive end) and the event without a
// timestamp; the correlation has only alice's two failures, so it does not
// fire; the KQL table holds the same three events.
func TestWindowFixedGatesEveryRule(t *testing.T) {
	p, res, hits := windowRun(t, timewindow.Flags{From: "2024-03-01T10:00:20Z", To: "2024-03-01T10:00:40Z"})
	n, kql := count(hits)
	if n["0b0b0b0b-0000-4000-8000-000000000001"] != 3 || n["0b0b0b0b-0000-4000-8000-000000000002"] != 0 || kql != "3" {
		t.Errorf("fixed window: hits %v, KQL failures %s; want 3 failed logons, no correlation, KQL 3", n, kql)
	}
	if res.Counts.Hits != len(hits) || res.Events != 6 {
		t.Errorf("counted %d hits (sent %d), %d events (want 6 read)", res.Counts.Hits, len(hits), res.Events)
	}
	r := p.TimeWindow
	if r == nil || r.Before != 2 || r.After != 1 || r.NoTime != 1 {
		t.Fatalf("report %+v", r)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "3 events outside it read and not hunted (2 before, 1 after)") {
		t.Errorf("notes %q", p.Notes)
	}
}

// --last from the newest event (10:00:40): the window is 10:00:20 to
// 10:00:40 inclusive. The rules saw every event, so the KQL count is all 6
// and its row (no time) is kept; the failed-logon hits outside the window
// are dropped and counted as filtered, not as hits.
func TestWindowLastFromNewest(t *testing.T) {
	p, res, hits := windowRun(t, timewindow.Flags{Last: "20s"})
	n, kql := count(hits)
	if n["0b0b0b0b-0000-4000-8000-000000000001"] != 4 || kql != "6" {
		t.Errorf("--last 20s: hits %v, KQL failures %s; want 4 failed logons (3 timed, 1 without time), KQL 6", n, kql)
	}
	if res.Counts.Hits != len(hits) {
		t.Errorf("counted %d hits, sent %d", res.Counts.Hits, len(hits))
	}
	low := res.Counts.PerLevel["low"]
	// 10:00:00 and 10:00:10 are filtered, and any correlation hit timed
	// before 10:00:20.
	if low != 4 || res.Counts.Filtered < 2 {
		t.Errorf("per level low %d (want 4), filtered %d (want at least 2)", low, res.Counts.Filtered)
	}
	for r, c := range res.Counts.PerRule {
		if r.ID == "0b0b0b0b-0000-4000-8000-000000000001" && c != 4 {
			t.Errorf("per rule %d, want 4", c)
		}
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "--last 20s up to the newest event in the input, 2024-03-01T10:00:40Z") {
		t.Errorf("notes %q", p.Notes)
	}
}

// --last with --now gates like a fixed window; the anchor also pins KQL's
// now(), as --now always does.
func TestWindowLastWithNow(t *testing.T) {
	_, _, hits := windowRun(t, timewindow.Flags{Last: "15s", Anchor: time.Date(2024, 3, 1, 10, 0, 25, 0, time.UTC)})
	n, kql := count(hits)
	// 10:00:10 to 10:00:25 inclusive: 10:00:10, 10:00:20, and the event
	// without a timestamp.
	if n["0b0b0b0b-0000-4000-8000-000000000001"] != 3 || kql != "3" {
		t.Errorf("--last 15s --now 10:00:25: hits %v, KQL failures %s", n, kql)
	}
}
