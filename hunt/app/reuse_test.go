package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/internal/volatile"
	"github.com/loghunt/loghunt/parsers"
)

// volatileUnit emits copies of its events whose text memory is overwritten
// as soon as each emit call returns, as the EVTX decoder reuses its text
// memory: whatever the hunt keeps must have been copied.
type volatileUnit struct{ evs []*parsers.Event }

func (u volatileUnit) Decode(emit parsers.EmitFunc, _ parsers.ReportFunc) (parsers.Stats, error) {
	var st parsers.Stats
	for _, e := range u.evs {
		ev, overwrite := volatile.Event(e)
		err := emit(ev)
		overwrite()
		if err != nil {
			return st, err
		}
		st.Records++
	}
	return st, nil
}

const reuseRules = `title: Zebrocy-like command line
id: 0b0b0b0b-0000-4000-8000-000000000001
status: test
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        CommandLine|endswith: '& TASKLIST'
    condition: selection
level: high
---
title: Failed logon
id: 0b0b0b0b-0000-4000-8000-000000000002
name: failed_logon_reuse
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
title: Repeated failures
id: 0b0b0b0b-0000-4000-8000-000000000003
status: test
correlation:
    type: value_count
    rules:
        - failed_logon_reuse
    group-by:
        - TargetUserName
    timespan: 1m
    condition:
        field: IpAddress
        gte: 2
level: high
`

const reuseKQL = `id: 0b0b0b0b-0000-4000-8000-000000000004
name: tasklist after systeminfo
severity: High
query: |
  DeviceProcessEvents
  | where ProcessCommandLine endswith "& TASKLIST"
  | project DeviceName, ProcessCommandLine, AccountName
`

// TestHuntKeepsCopiesOfEventValues: hits, correlation state and KQL rows
// keep their own copies of event values, so they stay right when the
// parser reuses its text memory after each emit call.
func TestHuntKeepsCopiesOfEventValues(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "rules.yml"), []byte(reuseRules), 0o644)
	os.WriteFile(filepath.Join(dir, "q.yaml"), []byte(reuseKQL), 0o644)
	logs := filepath.Join(dir, "logs")
	os.Mkdir(logs, 0o755)
	os.WriteFile(filepath.Join(logs, "placeholder.jsonl"), []byte(`{"EventID":1}`+"\n"), 0o644)
	p, err := Prepare(Config{Paths: []string{logs}, RulePaths: []string{dir}, NoBundled: true, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	const cmdline = `cmd.exe /c SYSTEMINFO & TASKLIST`
	sysmon := &parsers.Event{Time: t0, Computer: "WS01.corp.local", Channel: "Microsoft-Windows-Sysmon/Operational",
		Provider: "Microsoft-Windows-Sysmon", EventID: 1, RecordID: 1, Source: parsers.Source{Path: "s.evtx", Offset: 4608},
		Fields: []parsers.Field{{Name: "EventID", Value: "1"}, {Name: "Channel", Value: "Microsoft-Windows-Sysmon/Operational"},
			{Name: "ProcessGuid", Value: "{11111111-2222-3333-4444-555555555555}"}, {Name: "UtcTime", Value: "2024-03-01 10:00:00.000"},
			{Name: "Image", Value: `C:\Windows\System32\cmd.exe`}, {Name: "CommandLine", Value: cmdline}, {Name: "User", Value: `CORP\alice`}}}
	failure := func(rec uint64, sec int, ip string) *parsers.Event {
		return &parsers.Event{Time: t0.Add(time.Duration(sec) * time.Second), Computer: "DC01", Channel: "Security",
			Provider: "Microsoft-Windows-Security-Auditing", EventID: 4625, RecordID: rec, Source: parsers.Source{Path: "sec.evtx", Offset: int64(rec) * 512},
			Fields: []parsers.Field{{Name: "EventID", Value: "4625"}, {Name: "Channel", Value: "Security"},
				{Name: "TargetUserName", Value: "alice"}, {Name: "IpAddress", Value: ip}}}
	}
	units := []parsers.Unit{
		volatileUnit{[]*parsers.Event{sysmon}},
		volatileUnit{[]*parsers.Event{failure(10, 1, "10.0.0.1"), failure(11, 2, "10.0.0.2")}},
		volatileUnit{[]*parsers.Event{failure(12, 3, "10.0.0.1")}},
	}
	p.Inputs = []hunt.Input{{Path: "volatile", Kind: "evtx", Size: 1, Open: func() ([]parsers.Unit, func() error, error) {
		return units, nil, nil
	}}}
	var hits []*hunt.Hit
	p.Options.Sink = hunt.NewSortingSink(func(h *hunt.Hit) error { hits = append(hits, h); return nil })
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, h := range hits {
		seen[h.Rule.Engine] = true
		switch h.Rule.Engine {
		case "sigma":
			if h.Rule.Title != "Zebrocy-like command line" {
				continue
			}
			if v, _ := h.Event.Get("CommandLine"); v != cmdline || h.Event.Computer != "WS01.corp.local" {
				t.Errorf("sigma hit event: CommandLine %q, Computer %q", v, h.Event.Computer)
			}
			if len(h.Matched) != 1 || h.Matched[0].Value != cmdline {
				t.Errorf("sigma hit matched values: %+v", h.Matched)
			}
		case "sigma-correlation":
			if len(h.Matched) != 1 || h.Matched[0].Value != "alice" {
				t.Errorf("correlation group: %+v", h.Matched)
			}
			for _, r := range h.Related {
				if r.Computer != "DC01" || r.Channel != "Security" {
					t.Errorf("correlation event: %q %q", r.Computer, r.Channel)
				}
			}
		case "kql":
			var row []string
			for _, c := range h.Row {
				row = append(row, c.Name+"="+c.Value)
			}
			if got := strings.Join(row, " "); got != `DeviceName=ws01.corp.local ProcessCommandLine=`+cmdline+` AccountName=alice` {
				t.Errorf("KQL row: %s", got)
			}
		}
	}
	for _, e := range []string{"sigma", "sigma-correlation", "kql"} {
		if !seen[e] {
			t.Errorf("no %s hit: %d hits", e, len(hits))
		}
	}
}
