package goevtx

import (
	"path/filepath"
	"testing"

	"github.com/loghunt/loghunt/parsers"
)

// The fixtures of the native decoder serve here too.
func fixture(name string) string {
	return filepath.Join("..", "..", "parsers", "evtx", "testdata", name)
}

func TestReadFile(t *testing.T) {
	var evs []*parsers.Event
	st, err := ReadFile(fixture("security_chunk0.evtx"), func(e *parsers.Event) error {
		evs = append(evs, e.Clone())
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 91 || len(evs) != 91 {
		t.Fatalf("stats %+v, %d events; want 91 records", st, len(evs))
	}
	e := evs[0]
	if e.EventID != 4608 || e.Computer != "37L4247F27-25" || e.Channel != "Security" || e.RecordID != 1 ||
		e.Provider != "Microsoft-Windows-Security-Auditing" || e.Time.IsZero() {
		t.Errorf("first event %+v", e)
	}
	if v, _ := evs[1].Get("TargetUserName"); v != "SYSTEM" {
		t.Errorf("TargetUserName = %q", v)
	}
}

// TestPanicsAreContained: golang-evtx panics on this dirty file; the
// adapter must report it and return, not crash.
func TestPanicsAreContained(t *testing.T) {
	var reports []*parsers.ParseError
	st, err := ReadFile(fixture("hello_for_business.evtx"), nil, func(pe *parsers.ParseError) {
		reports = append(reports, pe)
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.BadChunks+st.Failed == 0 || len(reports) == 0 {
		t.Fatalf("stats %+v, %d reports: the damage went unreported", st, len(reports))
	}
}
