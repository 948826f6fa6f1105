package json

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/internal/testshared"
	"github.com/loghunt/loghunt/parsers"
)

// sharedDir returns ../shared, or skips (see internal/testshared).
func sharedDir(t *testing.T) string {
	t.Helper()
	return testshared.Dir(t)
}

// Every .json of the Sigma regression data parses without a failed
// record, into events that all have a time, an event ID and a channel.
func TestCorpusSigmaRegressionData(t *testing.T) {
	root := filepath.Join(sharedDir(t), "sigma", "regression_data")
	var files, multi int
	var total parsers.Stats
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		files++
		var n int64
		st, err := NewUnit(f, path, Options{}).Decode(func(e *parsers.Event) error {
			n++
			if e.Time.IsZero() || e.EventID == 0 || e.Channel == "" || e.Computer == "" || e.RecordID == 0 {
				t.Errorf("%s: incomplete core %v %d %q %q %d", e.Source, e.Time, e.EventID, e.Channel, e.Computer, e.RecordID)
			}
			if _, ok := e.Get("TimeCreated_SystemTime"); !ok {
				t.Errorf("%s: no TimeCreated_SystemTime field", e.Source)
			}
			return nil
		}, func(pe *parsers.ParseError) { t.Errorf("report: %v", pe) })
		if err != nil {
			t.Errorf("%s: %v", path, err)
		}
		if n == 0 || st.Records != n {
			t.Errorf("%s: %d events, stats %+v", path, n, st)
		}
		if n > 1 {
			multi++
		}
		total.Add(st)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 || total.Failed != 0 || total.NoTime != 0 || multi == 0 {
		t.Errorf("%d files (%d with several documents): %+v", files, multi, total)
	}
	t.Logf("%d files, %d with several documents: %+v", files, multi, total)
}
