package evtxwrite_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtx"
	"github.com/loghunt/loghunt/parsers/evtxwrite"
)

// TestCorpusJSONRoundTrip renders every corpus file as JSON Lines in the
// evtx_dump shape (loghunt dump --format jsonl), writes the lines with
// WriteJSON and reads the result: each event has the fields of the
// original record, in order. UserData keeps its element tree, so its
// leaves come back under their names.
func TestCorpusJSONRoundTrip(t *testing.T) {
	files := corpusFiles(t)
	dir := t.TempDir()
	var nfiles, nrec, bad int
	for i, p := range files {
		src, _, _ := readEvents(t, p)
		if len(src) == 0 {
			continue
		}
		var js bytes.Buffer
		if _, err := evtx.DumpFile(context.Background(), &js, p, evtx.Options{}, evtx.FormatJSON, 1, nil); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out := filepath.Join(dir, fmt.Sprintf("%d.evtx", i))
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		w, err := evtxwrite.New(f, evtxwrite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(&js)
		sc.Buffer(nil, 16<<20)
		line := 0
		for sc.Scan() {
			line++
			if err := w.WriteJSON(sc.Bytes()); err != nil {
				t.Fatalf("%s line %d: %v", p, line, err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		got, st, reports := readEvents(t, out)
		nfiles++
		if reports != 0 || st.Failed != 0 {
			t.Errorf("%s: reading back: %d reports, %+v", p, reports, st)
		}
		if len(got) != len(src) {
			t.Errorf("%s: %d events back, want %d", p, len(got), len(src))
			continue
		}
		fileBad := 0
		first := ""
		for k := range src {
			nrec++
			// The record header's id is the writer's sequence (the JSON
			// has only EventRecordID), so RecordID is compared only when
			// System has EventRecordID.
			want := src[k]
			g := *got[k]
			if _, ok := want.Get("EventRecordID"); !ok {
				g.RecordID = want.RecordID
			}
			// Likewise the time when System has none, or a zero
			// FILETIME (1601), which the decoder replaces with the
			// record header's.
			if tc, ok := want.Get("TimeCreated_SystemTime"); !ok || strings.HasPrefix(tc, "1601-01-01T00:00:00.0000000") {
				g.Time = want.Time
			}
			if d := diffEvent(want, &g); len(d) > 0 {
				fileBad++
				if first == "" {
					first = fmt.Sprintf("record %d: %s", want.RecordID, strings.Join(d, "; "))
				}
			}
		}
		bad += fileBad
		if fileBad > 0 {
			t.Errorf("%s: %d of %d events differ; first: %s", p, fileBad, len(src), first)
		}
		os.Remove(out)
	}
	t.Logf("JSON round trip: %d files, %d records, %d differ", nfiles, nrec, bad)
}

// TestWriteJSONShapes checks the evtx_dump mapping on hand-written events.
func TestWriteJSONShapes(t *testing.T) {
	tests := []struct {
		name, json string
		want       []parsers.Field
	}{
		{"named data and System",
			`{"Event":{"System":{"Provider":{"#attributes":{"Name":"P"}},"EventID":4688,"Channel":"Security","Computer":"H"},"EventData":{"A":"x","B":5}}}`,
			fields("Provider_Name", "P", "EventID", "4688", "Channel", "Security", "Computer", "H", "A", "x", "B", "5")},
		{"qualifiers and unnamed data",
			`{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":7036}},"EventData":{"Data":{"#text":["a","b"]}}}}`,
			fields("EventID_Qualifiers", "16384", "EventID", "7036", "Data", "a", "Data", "b")},
		{"user data tree and repeated elements",
			`{"Event":{"System":{"EventID":104},"UserData":{"LogFileCleared":{"#attributes":{"xmlns":"urn:x"},"SubjectUserName":"bob","Item":"1","Item_1":"2"}}}}`,
			fields("EventID", "104", "SubjectUserName", "bob", "Item", "1", "Item", "2")},
		{"booleans, floats and nulls",
			`{"Event":{"System":{"EventID":1},"EventData":{"T":true,"F":1.5,"N":null}}}`,
			fields("EventID", "1", "T", "true", "F", "1.5", "N", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := writeAndRead(t, func(w *evtxwrite.Writer) error { return w.WriteJSON([]byte(tt.json)) })
			if len(got) != 1 {
				t.Fatalf("%d events", len(got))
			}
			if fmt.Sprint(got[0].Fields) != fmt.Sprint(tt.want) {
				t.Errorf("fields\n got %q\nwant %q", got[0].Fields, tt.want)
			}
		})
	}
}

// fields makes fields from name, value pairs.
func fields(nv ...string) []parsers.Field {
	var fs []parsers.Field
	for i := 0; i+1 < len(nv); i += 2 {
		fs = append(fs, parsers.Field{Name: nv[i], Value: nv[i+1]})
	}
	return fs
}

// writeAndRead writes with fn into a temporary file and reads it back.
func writeAndRead(t *testing.T, fn func(w *evtxwrite.Writer) error) []*parsers.Event {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.evtx")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := evtxwrite.New(f, evtxwrite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := fn(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	evs, st, reports := readEvents(t, p)
	if reports != 0 || st.Failed != 0 || st.BadChecksum != 0 {
		t.Fatalf("reading back: %d reports, %+v", reports, st)
	}
	return evs
}
