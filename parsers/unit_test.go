package parsers_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/loghunt/loghunt/internal/volatile"
	"github.com/loghunt/loghunt/parsers"
)

// TestCloneCopiesValues checks that a clone keeps its values after the
// parser's memory is overwritten, as the EVTX decoder does from chunk to
// chunk.
func TestCloneCopiesValues(t *testing.T) {
	orig := &parsers.Event{Time: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Computer: "WS01", Channel: "Security",
		Provider: "Microsoft-Windows-Security-Auditing", EventID: 4688, RecordID: 7,
		Source: parsers.Source{Path: "a.evtx", Offset: 4096},
		Fields: []parsers.Field{{Name: "NewProcessName", Value: `C:\Users\Public\7za.exe`}, {Name: "Data", Value: "x"}, {Name: "Data", Value: ""}}}
	want := *orig
	want.Fields = append([]parsers.Field(nil), orig.Fields...)
	ev, overwrite := volatile.Event(orig)
	c := ev.Clone()
	overwrite()
	if ev.Computer == orig.Computer {
		t.Fatal("volatile.Event did not share memory: the test cannot see a shallow copy")
	}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("clone changed when the parser's memory was reused:\n got %+v\nwant %+v", *c, want)
	}
	c.Fields[0].Value = "changed"
	if orig.Fields[0].Value == "changed" {
		t.Error("clone shares its Fields slice with the original")
	}
}
