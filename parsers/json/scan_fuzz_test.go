package json

import (
	"bytes"
	stdjson "encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/loghunt/loghunt/parsers"
)

// refLeaves flattens one JSON value with encoding/json's tokenizer the
// way modePlain does: dotted paths, arrays repeated, nulls dropped.
func refLeaves(dec *stdjson.Decoder, path string, out *[]parsers.Field) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case stdjson.Delim:
		switch v {
		case '{':
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				p := k.(string)
				if path != "" {
					p = path + "." + p
				}
				if err := refLeaves(dec, p, out); err != nil {
					return err
				}
			}
		case '[':
			for dec.More() {
				if err := refLeaves(dec, path, out); err != nil {
					return err
				}
			}
		}
		_, err := dec.Token() // closing delimiter
		return err
	case nil:
	case bool:
		s := "false"
		if v {
			s = "true"
		}
		*out = append(*out, parsers.Field{Name: path, Value: s})
	case stdjson.Number:
		*out = append(*out, parsers.Field{Name: path, Value: string(v)})
	case string:
		*out = append(*out, parsers.Field{Name: path, Value: v})
	}
	return nil
}

// FuzzScannerDifferential checks the hand-written scanner against
// encoding/json: same verdict on validity for one UTF-8 document, and the
// same leaves, in the same order, with the same text.
func FuzzScannerDifferential(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json*")
	for _, p := range files {
		data, _ := os.ReadFile(p)
		for _, line := range bytes.Split(data, []byte("\n")) {
			f.Add(line)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"a":"\ud83d\ude00\ud800\u0041","b":-0.5e+10,"c":[[],{}],"d":{"e":null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) || depth(data) > 100 {
			return
		}
		valid := stdjson.Valid(data)
		var sc scanner
		sc.maxDepth = 1000
		sc.maxValues = 1 << 20
		sc.reset(data, true)
		root, n, err := sc.parse()
		if err == nil {
			// The scanner reads one value; what follows must be blank for
			// the input to be one document.
			if len(bytes.TrimLeft(data[n:], " \t\r\n")) != 0 {
				err = io.ErrUnexpectedEOF
			}
		}
		if (err == nil) != valid {
			t.Fatalf("scanner error %v, encoding/json valid %v", err, valid)
		}
		if !valid || sc.nodes[root].kind != kObj {
			return
		}
		m := mapper{sc: &sc, names: map[string]string{}}
		var ev parsers.Event
		m.ev = &ev
		m.s = string(sc.vals)
		m.walk(root, modePlain)

		var want []parsers.Field
		dec := stdjson.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := refLeaves(dec, "", &want); err != nil {
			t.Fatalf("reference: %v", err)
		}
		if len(want) != len(ev.Fields) {
			t.Fatalf("%d leaves, encoding/json %d:\n%v\n%v", len(ev.Fields), len(want), ev.Fields, want)
		}
		for i := range want {
			if want[i] != ev.Fields[i] {
				t.Fatalf("leaf %d: %q=%q, encoding/json %q=%q", i, ev.Fields[i].Name, ev.Fields[i].Value, want[i].Name, want[i].Value)
			}
		}
	})
}
