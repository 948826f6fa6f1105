package evtx

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/loghunt/loghunt/parsers"
)

// TestRecordIDIsEventRecordID: the event's RecordID is the System
// EventRecordID, the number Windows shows, for every fixture record.
func TestRecordIDIsEventRecordID(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.evtx"))
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	n := 0
	for _, f := range files {
		_, err := ReadFile(f, Options{}, func(ev *parsers.Event) error {
			s, ok := ev.Get("EventRecordID")
			if !ok {
				return nil
			}
			want, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				t.Errorf("%s: EventRecordID %q", ev.Source, s)
				return nil
			}
			if want == 0 {
				// A zero (damaged) System value falls back to the
				// record header's id.
				if ev.RecordID == 0 {
					t.Errorf("%s: RecordID 0: no fallback to the header id", ev.Source)
				}
				return nil
			}
			if ev.RecordID != want {
				t.Errorf("%s: RecordID %d, EventRecordID %d", ev.Source, ev.RecordID, want)
			}
			n++
			return nil
		}, nil)
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if n == 0 {
		t.Fatal("no record had an EventRecordID")
	}
}
