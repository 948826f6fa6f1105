package output

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/winevent"
)

// A hit whose event keeps only the fields KeepField keeps is written the
// same, byte for byte, as with the whole event, in every format that
// slims; JSON Lines keeps everything.
func TestKeepFieldWritesTheSame(t *testing.T) {
	ev := &parsers.Event{Time: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), Computer: "WS01", Channel: winevent.Sysmon,
		Provider: winevent.SysmonProvider, EventID: 1, RecordID: 9, Source: parsers.Source{Path: "a.evtx", Offset: 4096}}
	for i := range 30 {
		ev.Fields = append(ev.Fields, parsers.Field{Name: fmt.Sprintf("Other%d", i), Value: "v"})
	}
	ev.Fields = append(ev.Fields, parsers.Field{Name: "ProcessId", Value: "500"}, parsers.Field{Name: "Image", Value: `C:\a.exe`},
		parsers.Field{Name: "CommandLine", Value: "a.exe -x"}, parsers.Field{Name: "User", Value: "CORP\\bob"},
		parsers.Field{Name: "TargetFilename", Value: `C:\t.txt`})
	rule := &hunt.Rule{ID: "r", Title: "R", Level: "high", Engine: "sigma"}
	full := &hunt.Hit{Rule: rule, Time: ev.Time, Event: ev, Matched: []hunt.Matched{{Search: "selection", Field: "Other3", Value: "v"}}}
	for _, f := range []Format{Table, CSV} {
		keep := KeepField(f)
		if keep == nil {
			t.Fatalf("%s keeps every field", f)
		}
		slimEv := *ev
		slimEv.Fields = nil
		for _, fl := range ev.Fields {
			if keep(fl.Name) {
				slimEv.Fields = append(slimEv.Fields, fl)
			}
		}
		if len(slimEv.Fields) != 5 {
			t.Errorf("%s keeps %d fields, want the 5 key and process fields", f, len(slimEv.Fields))
		}
		slim := *full
		slim.Event = &slimEv
		var a, b bytes.Buffer
		for _, x := range []struct {
			buf *bytes.Buffer
			h   *hunt.Hit
		}{{&a, full}, {&b, &slim}} {
			w, err := NewWriter(x.buf, f, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.WriteHit(x.h); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(nil); err != nil {
				t.Fatal(err)
			}
		}
		if a.String() != b.String() {
			t.Errorf("%s differs:\n full %q\n slim %q", f, a.String(), b.String())
		}
	}
	if KeepField(JSONL) != nil {
		t.Error("JSON Lines drops fields")
	}
}
