package evtx

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/internal/testshared"
)

// decodeBoth decodes data with plans (the normal path) and with every
// record normalized from its tree, and returns both and how many records
// the first decode replayed from a plan.
func decodeBoth(t testing.TB, data []byte, opts Options) (withPlans, tree decoded, replays int64, ok bool) {
	for _, noPlans := range []bool{false, true} {
		f, err := Open(bytes.NewReader(data), int64(len(data)), "plan.evtx", opts)
		if err != nil {
			return decoded{}, decoded{}, 0, false
		}
		f.noPlans = noPlans
		d := decodeFile(t, f)
		if noPlans {
			tree = d
		} else {
			withPlans, replays = d, f.replays.Load()
		}
	}
	return withPlans, tree, replays, true
}

// sameDecode fails unless a and b hold the same events, errors and stats.
func sameDecode(t testing.TB, what string, a, b decoded) {
	t.Helper()
	if a.stats != b.stats || a.errs != b.errs || len(a.events) != len(b.events) {
		t.Fatalf("%s: stats %+v (%d errors, %d events) vs %+v (%d errors, %d events)", what, a.stats, a.errs, len(a.events), b.stats, b.errs, len(b.events))
	}
	for i := range a.events {
		x, y := a.events[i], b.events[i]
		if !x.Time.Equal(y.Time) || x.Computer != y.Computer || x.Channel != y.Channel || x.Provider != y.Provider ||
			x.EventID != y.EventID || x.RecordID != y.RecordID || x.Level != y.Level || x.Source != y.Source || x.Flags != y.Flags {
			t.Fatalf("%s: record %d (%s): core fields differ:\n%+v\n%+v", what, i, x.Source, *x, *y)
		}
		if len(x.Fields) != len(y.Fields) {
			t.Fatalf("%s: record %d (%s): %d fields vs %d:\n%v\n%v", what, i, x.Source, len(x.Fields), len(y.Fields), x.Fields, y.Fields)
		}
		for j := range x.Fields {
			if x.Fields[j] != y.Fields[j] {
				t.Fatalf("%s: record %d (%s): field %d is %q=%q vs %q=%q", what, i, x.Source, j, x.Fields[j].Name, x.Fields[j].Value, y.Fields[j].Name, y.Fields[j].Value)
			}
		}
	}
}

// TestPlansMatchTree: records normalized by a template's plan are the
// records normalized from their trees, field for field, and most records
// of real chunks do take the plan.
func TestPlansMatchTree(t *testing.T) {
	for _, name := range fuzzFixtures {
		data, err := os.ReadFile(fixture(name))
		if err != nil {
			t.Fatal(err)
		}
		for _, opts := range []Options{{}, {Carve: true}, {Fields: []string{"EventID", "Data", "TargetUserName", "Image", "Computer"}}} {
			p, tree, replays, ok := decodeBoth(t, data, opts)
			if !ok {
				t.Fatalf("%s: not EVTX", name)
			}
			sameDecode(t, name, p, tree)
			// CAPI2's event data is markup in a BinXml value, not a
			// template instance: its records keep the tree path.
			if opts.Carve || len(p.events) < 10 || name == "capi2_chunk0.evtx" {
				continue
			}
			if replays < int64(len(p.events))/2 {
				t.Errorf("%s %+v: only %d of %d records replayed a plan", name, opts, replays, len(p.events))
			}
		}
	}
}

// TestCorpusPlansMatchTree runs the same comparison over every EVTX file
// of the corpus, dirty ones included.
func TestCorpusPlansMatchTree(t *testing.T) {
	root := filepath.Join(testshared.Dir(t), "corpora", "evtx")
	var files, records, replayed int64
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.EqualFold(filepath.Ext(p), ".evtx") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, opts := range []Options{{}, {Carve: true}} {
			a, b, n, ok := decodeBoth(t, data, opts)
			if !ok {
				continue
			}
			sameDecode(t, p, a, b)
			if !opts.Carve {
				files++
				records += int64(len(a.events))
				replayed += n
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files, %d records, %d (%.1f%%) normalized by a plan", files, records, replayed, 100*float64(replayed)/float64(max(records, 1)))
	if files == 0 || replayed < records/2 {
		t.Errorf("plans normalized %d of %d records in %d files", replayed, records, files)
	}
}
