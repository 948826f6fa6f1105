package evtx

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/parsers"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func dumpFixture(t *testing.T, name string, f Format, threads int) string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := DumpFile(context.Background(), &buf, fixture(name), Options{}, f, threads, nil); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestRenderRoundTrip parses our XML and JSON output back and checks it
// against the events of the same records.
func TestRenderRoundTrip(t *testing.T) {
	for _, name := range fuzzFixtures {
		t.Run(name, func(t *testing.T) {
			evs, _, _ := readAll(t, fixture(name), Options{})
			xs, err := parseXMLEvents(strings.NewReader(dumpFixture(t, name, FormatXML, 1)))
			if err != nil {
				t.Fatalf("our XML does not parse: %v", err)
			}
			if len(xs) != len(evs) {
				t.Fatalf("%d <Event> elements for %d records", len(xs), len(evs))
			}
			for i, x := range xs {
				e := evs[i].Clone()
				for j, f := range e.Fields {
					e.Fields[j].Value = strings.Map(func(r rune) rune {
						if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
							return 0x2400 + r
						}
						return r
					}, f.Value)
				}
				if d := compareXML(e, xmlToEvent(x)); len(d) > 0 {
					t.Fatalf("record %d: XML and event differ: %v", evs[i].RecordID, d)
				}
			}
			lines := strings.Split(strings.TrimSuffix(dumpFixture(t, name, FormatJSON, 1), "\n"), "\n")
			if len(lines) != len(evs) {
				t.Fatalf("%d JSON lines for %d records", len(lines), len(evs))
			}
			for i, l := range lines {
				var v map[string]any
				if err := json.Unmarshal([]byte(l), &v); err != nil {
					t.Fatalf("line %d is not JSON: %v", i+1, err)
				}
				if _, ok := v["Event"].(map[string]any)["System"]; !ok {
					t.Fatalf("line %d has no Event.System", i+1)
				}
			}
		})
	}
}

// TestDumpParallelSameOutput checks that the thread count does not change
// the output.
func TestDumpParallelSameOutput(t *testing.T) {
	for _, f := range []Format{FormatXML, FormatJSON} {
		one := dumpFixture(t, "hello_for_business.evtx", f, 1)
		four := dumpFixture(t, "hello_for_business.evtx", f, 4)
		if one != four || one == "" {
			t.Errorf("%s: output with 4 threads differs from 1 thread", f)
		}
	}
}

// TestFileDecodeParallel checks File.Decode against ReadFile on a file of
// several chunks built from the fixtures.
func TestFileDecodeParallel(t *testing.T) {
	var data []byte
	for i, name := range []string{"security_chunk0.evtx", "capi2_chunk0.evtx", "system_chunk0.evtx", "sysmon_chunk0.evtx"} {
		b, err := os.ReadFile(fixture(name))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			data = append(data, b[:FileHeaderSize]...)
		}
		data = append(data, b[FileHeaderSize:FileHeaderSize+ChunkSize]...)
	}
	p := filepath.Join(t.TempDir(), "four.evtx")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	seq, _, sst := readAll(t, p, Options{})
	f, err := Open(bytes.NewReader(data), int64(len(data)), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var par []*parsers.Event
	pst, err := f.Decode(context.Background(), 3, func(e *parsers.Event) error {
		par = append(par, e.Clone())
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sst != pst || len(seq) != len(par) {
		t.Fatalf("parallel stats %+v, sequential %+v", pst, sst)
	}
	for i := range seq {
		if seq[i].Source != par[i].Source || fmt.Sprint(seq[i].Fields) != fmt.Sprint(par[i].Fields) {
			t.Fatalf("event %d differs", i)
		}
	}
}

// TestGolden compares the first records of each fixture, as events, XML and
// JSON, with testdata/golden (go test -run TestGolden -update rewrites).
func TestGolden(t *testing.T) {
	for _, name := range []string{"security_chunk0.evtx", "capi2_chunk0.evtx", "system_chunk0.evtx"} {
		evs, _, _ := readAll(t, fixture(name), Options{})
		var fields strings.Builder
		for _, e := range evs[:3] {
			fmt.Fprintf(&fields, "record %d time %s computer %q channel %q provider %q event %d level %d flags %d\n",
				e.RecordID, e.Time.Format("2006-01-02T15:04:05.0000000Z07:00"), e.Computer, e.Channel, e.Provider, e.EventID, e.Level, e.Flags)
			for _, f := range e.Fields {
				fmt.Fprintf(&fields, "\t%s = %q\n", f.Name, f.Value)
			}
		}
		xmlOut := strings.SplitAfterN(dumpFixture(t, name, FormatXML, 1), "</Event>\n", 4)
		jsonOut := strings.SplitAfterN(dumpFixture(t, name, FormatJSON, 1), "\n", 4)
		base := strings.TrimSuffix(name, ".evtx")
		for ext, got := range map[string]string{
			".fields.txt": fields.String(),
			".xml":        strings.Join(xmlOut[:3], ""),
			".jsonl":      strings.Join(jsonOut[:3], ""),
		} {
			p := filepath.Join("testdata", "golden", base+ext)
			if *update {
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if string(want) != got {
				t.Errorf("%s differs from the golden file; review with -update and git diff", p)
			}
		}
	}
}

func TestXMLNameSanitized(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Event", "Event"},
		{"xmlns:auto-ns2", "xmlns:auto-ns2"},
		{"a:b:c", "a:b_c"},
		{"1st", "_st"},
		{"bad name<", "bad_name_"},
		{"", "_"},
		{"é", "__"},
	}
	for _, tt := range tests {
		if got := string(appendXMLName(nil, tt.in)); got != tt.want {
			t.Errorf("appendXMLName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestJSONScalarOfWrongSizeIsAString(t *testing.T) {
	var r renderer
	if got := string(r.jsonScalar(nil, 0x0a /* UInt64 */, []byte{0, 1, 0, 1})); got != `"00010001"` {
		t.Errorf("got %s, want a hex string", got)
	}
	if got := string(r.jsonScalar(nil, 0x08 /* UInt32 */, []byte{42, 0, 0, 0})); got != `42` {
		t.Errorf("got %s, want 42", got)
	}
}
