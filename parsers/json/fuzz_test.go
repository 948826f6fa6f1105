package json

import (
	"bytes"
	stdjson "encoding/json"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/loghunt/loghunt/parsers"
)

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json*")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`[{"a":1},2,{"b":[null,true]}]`))
	f.Add([]byte("\xEF\xBB\xBF{\"EventID\":\"1\"}\n{"))
	f.Fuzz(checkDecode)
}

// checkDecode asserts the invariants of decoding any input.
func checkDecode(t *testing.T, data []byte) {
	opts := Options{MaxDocument: 4096, MaxDepth: 64}
	evs, errs, st, err := decodeAll(t, bytes.NewReader(data), "fuzz", opts)
	if err != nil {
		t.Fatalf("final error on in-memory input: %v", err)
	}
	if st.Records != int64(len(evs)) || st.Failed != int64(len(errs)) {
		t.Fatalf("stats %+v for %d events, %d reports", st, len(evs), len(errs))
	}
	lines := int64(bytes.Count(data, []byte{'\n'})) + 1
	noTime := int64(0)
	for _, e := range evs {
		if e.Source.Line < 1 || e.Source.Line > lines || e.Source.Offset < 0 || e.Source.Offset >= int64(len(data)) {
			t.Fatalf("event source %+v outside the input", e.Source)
		}
		if e.Time.IsZero() {
			noTime++
		} else if e.Time.Location() != time.UTC {
			t.Fatalf("time %v not UTC", e.Time)
		}
	}
	if st.NoTime != noTime {
		t.Fatalf("NoTime %d, counted %d", st.NoTime, noTime)
	}
	for _, e := range errs {
		if e.Line < 1 || e.Line > lines || e.Offset < 0 || e.Offset > int64(len(data)) {
			t.Fatalf("report %v outside the input", e)
		}
	}
	// Buffer boundaries must not change the result.
	evs2, errs2, st2, err := decodeAll(t, iotest.OneByteReader(bytes.NewReader(data)), "fuzz", opts)
	if err != nil || st2 != st || len(evs2) != len(evs) || len(errs2) != len(errs) {
		t.Fatalf("one-byte reader: %+v %v, whole: %+v", st2, err, st)
	}
	for i := range evs {
		if d := diffEvents(evs[i], evs2[i]); d != "" {
			t.Fatalf("event %d: %s", i, d)
		}
	}
	// A document encoding/json accepts is one event, or one event per
	// object element of an array.
	if len(data) <= opts.MaxDocument && utf8.Valid(data) && stdjson.Valid(data) && depth(data) <= opts.MaxDepth {
		var v any
		if stdjson.Unmarshal(data, &v) == nil {
			want := int64(0)
			switch v := v.(type) {
			case map[string]any:
				want = 1
			case []any:
				for _, el := range v {
					if _, ok := el.(map[string]any); ok {
						want++
					}
				}
			}
			if st.Records != want {
				t.Fatalf("valid JSON gave %d events, want %d (reports %v)", st.Records, want, errs)
			}
		}
	}
}

// depth returns the maximum nesting of data, ignoring strings.
func depth(data []byte) int {
	d, max := 0, 0
	inStr, esc := false, false
	for _, c := range data {
		switch {
		case esc:
			esc = false
		case inStr:
			esc = c == '\\'
			inStr = c != '"'
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			d++
			if d > max {
				max = d
			}
		case c == '}' || c == ']':
			d--
		}
	}
	return max
}

var _ = parsers.Event{}
