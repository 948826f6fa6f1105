package evtxwrite_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/internal/testshared"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtx"
	"github.com/loghunt/loghunt/parsers/evtxwrite"
)

func corpusFiles(t testing.TB) []string {
	root := testshared.Dir(t, "corpora", "evtx")
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.EqualFold(filepath.Ext(p), ".evtx") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// readEvents decodes an EVTX file and returns clones of its events, and
// the number of damaged parts reported.
func readEvents(t testing.TB, path string) ([]*parsers.Event, parsers.Stats, int) {
	t.Helper()
	var evs []*parsers.Event
	reports := 0
	st, err := evtx.ReadFile(path, evtx.Options{}, func(e *parsers.Event) error {
		evs = append(evs, e.Clone())
		return nil
	}, func(*parsers.ParseError) { reports++ })
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return evs, st, reports
}

// writeEvents writes evs to a new file in dir and returns its path.
func writeEvents(t testing.TB, dir, name string, evs []*parsers.Event, o evtxwrite.Options) string {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := evtxwrite.New(f, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if err := w.Write(e); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// diffEvent compares two events field by field: the core fields (time to
// the 100 ns of FILETIME), then every field's name and value, in order.
// It returns the differences.
func diffEvent(want, got *parsers.Event) []string {
	var d []string
	if !want.Time.Equal(got.Time) {
		d = append(d, fmt.Sprintf("Time %v, want %v", got.Time, want.Time))
	}
	if want.EventID != got.EventID || want.RecordID != got.RecordID || want.Level != got.Level {
		d = append(d, fmt.Sprintf("EventID/RecordID/Level %d/%d/%d, want %d/%d/%d", got.EventID, got.RecordID, got.Level, want.EventID, want.RecordID, want.Level))
	}
	if want.Channel != got.Channel || want.Computer != got.Computer || want.Provider != got.Provider {
		d = append(d, fmt.Sprintf("Channel/Computer/Provider %q/%q/%q, want %q/%q/%q", got.Channel, got.Computer, got.Provider, want.Channel, want.Computer, want.Provider))
	}
	n := max(len(want.Fields), len(got.Fields))
	for i := 0; i < n; i++ {
		var w, g parsers.Field
		if i < len(want.Fields) {
			w = want.Fields[i]
		}
		if i < len(got.Fields) {
			g = got.Fields[i]
		}
		if w != g {
			d = append(d, fmt.Sprintf("field %d: %s=%q, want %s=%q", i, g.Name, g.Value, w.Name, w.Value))
			break
		}
	}
	if len(want.Fields) != len(got.Fields) {
		d = append(d, fmt.Sprintf("%d fields, want %d", len(got.Fields), len(want.Fields)))
	}
	return d
}

// TestCorpusRoundTrip writes the events of every corpus file and reads
// them back: the same number of events, each equal field by field, with
// no damage reported.
func TestCorpusRoundTrip(t *testing.T) {
	files := corpusFiles(t)
	dir := t.TempDir()
	var nfiles, nrec, mismatched int
	var inBytes, outBytes int64
	for i, p := range files {
		src, _, _ := readEvents(t, p)
		if len(src) == 0 {
			continue
		}
		out := writeEvents(t, dir, fmt.Sprintf("%d.evtx", i), src, evtxwrite.Options{})
		got, st, reports := readEvents(t, out)
		nfiles++
		nrec += len(src)
		if fi, err := os.Stat(p); err == nil {
			inBytes += fi.Size()
		}
		if fi, err := os.Stat(out); err == nil {
			outBytes += fi.Size()
		}
		if reports != 0 || st.Failed != 0 || st.BadChecksum != 0 || st.BadChunks != 0 {
			t.Errorf("%s: reading the written file: %d reports, stats %+v", p, reports, st)
		}
		if len(got) != len(src) {
			t.Errorf("%s: %d events back, want %d", p, len(got), len(src))
			continue
		}
		var first []string
		bad := 0
		for k := range src {
			if d := diffEvent(src[k], got[k]); len(d) > 0 {
				bad++
				if first == nil {
					first = append([]string{fmt.Sprintf("record %d", src[k].RecordID)}, d...)
				}
			}
		}
		mismatched += bad
		if bad > 0 {
			t.Errorf("%s: %d of %d events differ; first: %s", p, bad, len(src), strings.Join(first, "; "))
		}
		os.Remove(out)
	}
	t.Logf("round trip: %d files, %d records, %d mismatched; %d bytes read, %d written", nfiles, nrec, mismatched, inBytes, outBytes)
}
