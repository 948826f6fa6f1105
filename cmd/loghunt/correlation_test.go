package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const baseRule = `title: Failed logon
id: 0a0a0a0a-0000-4000-8000-000000000001
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
id: 0a0a0a0a-0000-4000-8000-000000000002
status: test
correlation:
    type: event_count
    rules:
        - failed_logon
    group-by:
        - TargetUserName
    timespan: 10s
    condition:
        gte: 3
level: high
`

// TestCorrelationAcrossFiles: an event_count correlation sees the events of
// every input file as one stream, and its timespan is enforced exactly:
// three failures within 10 s fire, three spread over 10.001 s do not.
func TestCorrelationAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(rules, []byte(baseRule), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(dir, "logs")
	os.Mkdir(logs, 0o755)
	ev := func(user string, sec, ms int) string {
		return fmt.Sprintf(`{"Channel":"Security","EventID":4625,"Computer":"dc1","TargetUserName":%q,"TimeCreated":"2024-03-01T10:00:%02d.%03dZ"}`, user, sec, ms)
	}
	// alice: 0s, 5s (file a), 10s (file b): inside 10 s -> fires.
	// bob: 0s, 5s (file a), 10.001s (file b): just outside -> no hit.
	a := ev("alice", 0, 0) + "\n" + ev("alice", 5, 0) + "\n" + ev("bob", 0, 0) + "\n" + ev("bob", 5, 0) + "\n"
	b := ev("alice", 10, 0) + "\n" + ev("bob", 10, 1) + "\n"
	os.WriteFile(filepath.Join(logs, "a.jsonl"), []byte(a), 0o644)
	os.WriteFile(filepath.Join(logs, "b.jsonl"), []byte(b), 0o644)

	for _, threads := range []string{"1", "4"} {
		code, out, errOut := runCLI(t, "hunt", "-q", "--threads", threads, "--format", "jsonl", "--no-bundled", "-r", rules, logs)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var corr []jsonlHit
		base := 0
		for _, h := range readJSONL(t, out) {
			switch h.Rule.Engine {
			case "sigma-correlation":
				corr = append(corr, h)
			case "sigma":
				base++
			}
		}
		if len(corr) != 1 {
			t.Fatalf("threads=%s: %d correlation hits, want 1:\n%s", threads, len(corr), out)
		}
		if !strings.Contains(fmt.Sprint(corr[0].Fields), "alice") || strings.Contains(fmt.Sprint(corr[0].Fields), "bob") {
			t.Errorf("the hit is not alice's: %v", corr[0].Fields)
		}
		if corr[0].Timestamp != "2024-03-01T10:00:10Z" {
			t.Errorf("hit time %s, want the last event's", corr[0].Timestamp)
		}
		// The correlation does not say generate: true, so by the Sigma
		// specification its base rule's matches are not output.
		if base != 0 {
			t.Errorf("threads=%s: %d base-rule hits output, want 0 (generate defaults to false)", threads, base)
		}
	}
	// --all-matches shows the base rule's matches too: all six failures.
	code, out, errOut := runCLI(t, "hunt", "-q", "--all-matches", "--format", "jsonl", "--no-bundled", "-r", rules, logs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	base := 0
	for _, h := range readJSONL(t, out) {
		if h.Rule.Engine == "sigma" {
			base++
		}
	}
	if base != 6 {
		t.Errorf("--all-matches: %d base-rule hits, want 6", base)
	}
}

// TestValueCountCorrelation: a value_count correlation reads its group-by
// and value fields from the events the engine keeps for it.
func TestValueCountCorrelation(t *testing.T) {
	rules := `title: Failed logon
id: 0a0a0a0a-0000-4000-8000-000000000011
name: failed_logon2
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
title: Password spray
id: 0a0a0a0a-0000-4000-8000-000000000012
status: test
correlation:
    type: value_count
    rules:
        - failed_logon2
    group-by:
        - IpAddress
    timespan: 1m
    condition:
        field: TargetUserName
        gte: 3
level: high
`
	dir := t.TempDir()
	rp := filepath.Join(dir, "r.yml")
	os.WriteFile(rp, []byte(rules), 0o644)
	var b strings.Builder
	for i, u := range []string{"ann", "bob", "cy", "ann"} {
		fmt.Fprintf(&b, `{"Channel":"Security","EventID":4625,"TargetUserName":%q,"IpAddress":"10.0.0.9","WorkstationName":"X","TimeCreated":"2024-03-01T10:00:%02dZ"}`+"\n", u, i)
	}
	// Another source tries two users only: no hit.
	for i, u := range []string{"ann", "bob", "bob"} {
		fmt.Fprintf(&b, `{"Channel":"Security","EventID":4625,"TargetUserName":%q,"IpAddress":"10.0.0.7","TimeCreated":"2024-03-01T10:00:%02dZ"}`+"\n", u, 10+i)
	}
	os.WriteFile(filepath.Join(dir, "s.jsonl"), []byte(b.String()), 0o644)
	code, out, errOut := runCLI(t, "hunt", "-q", "--format", "jsonl", "--no-bundled", "-r", rp, filepath.Join(dir, "s.jsonl"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	hits := readJSONL(t, out)
	if len(hits) != 1 || !strings.Contains(fmt.Sprint(hits[0].Fields), "10.0.0.9") {
		t.Fatalf("want one spray hit for 10.0.0.9, got %d: %s", len(hits), out)
	}
}
