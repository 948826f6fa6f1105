package kqlhunt

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/rules"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/winevent"
)

// TestFindEveryTable: a find without in(...) names no table, yet the
// engine builds every derived table for it, so it finds rows of tables no
// query names. Events: a Sysmon 1 that starts whoami.exe, a Sysmon 11 that
// writes C:\Temp\whoami.exe and a Sysmon 3 of another process. By Kusto's
// find, FileName =~ "whoami.exe" holds in the process row and the file
// row, and the result names their tables in source_.
func TestFindEveryTable(t *testing.T) {
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	ev := func(id uint32, rec uint64, kv ...string) *parsers.Event {
		e := &parsers.Event{Time: at.Add(time.Duration(rec) * time.Second), Computer: "WS01", Channel: winevent.Sysmon,
			Provider: winevent.SysmonProvider, EventID: id, RecordID: rec, Source: parsers.Source{Path: "s.evtx", Offset: int64(rec)}}
		for i := 0; i+1 < len(kv); i += 2 {
			e.Fields = append(e.Fields, parsers.Field{Name: kv[i], Value: kv[i+1]})
		}
		return e
	}
	evs := []*parsers.Event{
		ev(1, 1, "ProcessGuid", "{1}", "ProcessId", "100", "Image", `C:\Windows\System32\whoami.exe`, "CommandLine", "whoami /all", "User", `CORP\alice`),
		ev(11, 2, "ProcessGuid", "{2}", "ProcessId", "200", "Image", `C:\Windows\explorer.exe`, "TargetFilename", `C:\Temp\whoami.exe`),
		ev(3, 3, "ProcessGuid", "{3}", "ProcessId", "300", "Image", `C:\Windows\svchost.exe`, "Initiated", "true", "DestinationIp", "10.0.0.9", "DestinationPort", "443"),
	}
	def := &rules.KQL{ID: "find-whoami", Name: "find whoami", Path: "find.kql", Query: `find where FileName =~ "whoami.exe"`}
	e, failed := New([]*rules.KQL{def}, Options{Now: at.Add(time.Hour)})
	if len(failed) != 0 {
		t.Fatalf("failed: %v", failed)
	}
	w := e.Worker()
	for _, x := range evs {
		w(x)
	}
	var got []string
	err := e.Finish(context.Background(), func(h *hunt.Hit) error {
		for _, c := range h.Row {
			if c.Name == "source_" {
				got = append(got, c.Value)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	if want := []string{"DeviceFileEvents", "DeviceProcessEvents"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("source_ of the hits: %v, want %v (warnings %v)", got, want, e.Warnings())
	}
	found := false
	for _, n := range e.Notes() {
		found = found || strings.Contains(n, "reads every table")
	}
	if !found {
		t.Errorf("notes %v do not say every table was built", e.Notes())
	}
}
