package schema

import (
	"slices"
	"testing"
	"time"
)

// TestOrigin: a row handed out by the catalog leads back to its event; a
// copy of it (a row the evaluator built anew) does not.
func TestOrigin(t *testing.T) {
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	b := NewBuilder(Options{Tables: []string{"DeviceProcessEvents"}})
	e1 := sysmon(1, 11, at, "Image", `C:\a.exe`, "CommandLine", "a")
	e1.Source.Path, e1.Source.Offset = "x.evtx", 0x1200
	b.Add(e1)
	e2 := security(4688, 22, at.Add(time.Second), "NewProcessName", `C:\b.exe`, "CommandLine", "b")
	e2.Source.Path, e2.Source.Offset, e2.Source.Line = "y.jsonl", -1, 7
	b.Add(e2)
	cat := b.Finish()
	tab, ok := cat.Table("DeviceProcessEvents", nil)
	if !ok || len(tab.Rows) != 2 {
		t.Fatalf("rows: %v", tab)
	}
	o, ok := cat.Origin(tab.Rows[0])
	if !ok || o.Source.Path != "x.evtx" || o.Source.Offset != 0x1200 || o.RecordID != 11 || o.EventID != 1 {
		t.Errorf("first row origin %+v %v", o, ok)
	}
	o, ok = cat.Origin(tab.Rows[1])
	if !ok || o.Source.Path != "y.jsonl" || o.Source.Line != 7 || o.Source.Offset != -1 || o.EventID != 4688 {
		t.Errorf("second row origin %+v %v", o, ok)
	}
	if _, ok := cat.Origin(slices.Clone(tab.Rows[0])); ok {
		t.Error("a copied row claims an origin")
	}
	if _, ok := cat.Origin(nil); ok {
		t.Error("an empty row claims an origin")
	}
}
