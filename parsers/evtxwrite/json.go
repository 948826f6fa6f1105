package evtxwrite

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// jsonState is scratch memory of Write and WriteJSON.
type jsonState struct {
	data []int
}

// jv is one JSON value, with object members in document order.
type jv struct {
	kind byte // 's' string, 'n' number, 'b' bool, 'z' null, 'o' object, 'a' array
	s    string
	keys []string
	vals []*jv
}

// Limits of WriteJSON's input: an event is at most a chunk, so its JSON
// cannot sensibly be much larger.
const (
	maxJSON      = 8 << 20
	maxJSONDepth = 64
)

// WriteJSON writes one event given as JSON in the evtx_dump shape, as
// "loghunt dump --format jsonl" and the evtx_dump tool print it:
// {"Event":{"System":{...},"EventData":{...}}}, with attributes under
// "#attributes", text beside them under "#text", <Data Name="X"> as
// "X": value, unnamed <Data> as "Data":{"#text":[...]}, and repeated
// elements as name, name_1, ... (UserData and other sections keep their
// element tree). Numbers and booleans keep a numeric or boolean type;
// strings are typed as by Write unless Options.Strings.
func (w *Writer) WriteJSON(doc []byte) error {
	w.rec.Reset()
	if err := w.fromJSON(&w.rec, doc); err != nil {
		ev := w.events
		w.events++
		return &WriteError{Event: ev, Err: err}
	}
	return w.WriteRecord(&w.rec)
}

func (w *Writer) fromJSON(r *Record, doc []byte) error {
	if len(doc) > maxJSON {
		return fmt.Errorf("%d bytes of JSON: %w", len(doc), ErrTooLarge)
	}
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	v, err := readJSON(d, 0)
	if err != nil {
		return fmt.Errorf("%v: %w", err, ErrBadJSON)
	}
	if _, err := d.Token(); err != io.EOF {
		return fmt.Errorf("data after the event: %w", ErrBadJSON)
	}
	if v.kind != 'o' {
		return fmt.Errorf("not an object: %w", ErrBadJSON)
	}
	ev := v.get("Event")
	if ev == nil {
		if v.get("System") == nil {
			return fmt.Errorf("no Event or System member: %w", ErrBadJSON)
		}
		ev = v
	}
	if ev.kind != 'o' {
		return fmt.Errorf("member Event is not an object: %w", ErrBadJSON)
	}
	if sys := ev.get("System"); sys != nil {
		if tc := sys.get("TimeCreated"); tc != nil {
			if a := tc.get("#attributes"); a != nil {
				if st := a.get("SystemTime"); st != nil && st.kind == 's' {
					if t, ok := asType(st.s, FileTime); ok {
						r.Written = fileTimeToTime(t.N)
					}
				}
			}
		}
	}
	r.Open("Event")
	if a := ev.get("#attributes"); a == nil || a.get("xmlns") == nil {
		r.LiteralAttr("xmlns", EventNS)
	}
	return w.jsonContent(r, "Event", ev, "")
}

func (v *jv) get(k string) *jv {
	if v == nil || v.kind != 'o' {
		return nil
	}
	for i, key := range v.keys {
		if key == k {
			return v.vals[i]
		}
	}
	return nil
}

func readJSON(d *json.Decoder, depth int) (*jv, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("nested too deep")
	}
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := &jv{kind: 'o'}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				c, err := readJSON(d, depth+1)
				if err != nil {
					return nil, err
				}
				v.keys = append(v.keys, k)
				v.vals = append(v.vals, c)
			}
			_, err := d.Token()
			return v, err
		case '[':
			v := &jv{kind: 'a'}
			for d.More() {
				c, err := readJSON(d, depth+1)
				if err != nil {
					return nil, err
				}
				v.vals = append(v.vals, c)
			}
			_, err := d.Token()
			return v, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case string:
		return &jv{kind: 's', s: t}, nil
	case json.Number:
		return &jv{kind: 'n', s: t.String()}, nil
	case bool:
		if t {
			return &jv{kind: 'b', s: "true"}, nil
		}
		return &jv{kind: 'b', s: "false"}, nil
	case nil:
		return &jv{kind: 'z'}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// jsonContent writes the attributes, children and text of the element
// name (already opened) whose JSON value is v, and closes it. section is
// the child of Event it is in ("System", "EventData", ...), or "".
func (w *Writer) jsonContent(r *Record, name string, v *jv, section string) error {
	if v.kind != 'o' {
		if v.kind != 'z' {
			r.Text(w.jsonValue(v, section, name, ""))
		}
		r.Close()
		return nil
	}
	if a := v.get("#attributes"); a != nil {
		if a.kind != 'o' {
			return fmt.Errorf("%s: #attributes is not an object: %w", name, ErrBadJSON)
		}
		for i, k := range a.keys {
			if k == "xmlns" || strings.HasPrefix(k, "xmlns:") {
				if a.vals[i].kind == 's' {
					r.LiteralAttr(k, a.vals[i].s)
				}
				continue
			}
			if a.vals[i].kind == 'z' || a.vals[i].kind == 'o' || a.vals[i].kind == 'a' {
				continue
			}
			r.Attr(k, w.jsonValue(a.vals[i], section, name, k))
		}
	}
	seen := map[string]bool{}
	for i, k := range v.keys {
		c := v.vals[i]
		switch {
		case k == "#attributes" || k == "#text":
			continue
		case strings.HasPrefix(k, "#"):
			continue // #recovered, #bad_checksum
		}
		k = unrepeat(k, seen)
		seen[k] = true
		childSection := section
		if name == "Event" {
			childSection = k
		}
		if name == "EventData" && section == "EventData" {
			if err := w.jsonData(r, k, c); err != nil {
				return err
			}
			continue
		}
		r.Open(k)
		if c.kind == 'a' {
			// An array value (repeated elements are renamed, not
			// arrays): one element whose value is an array, which
			// readers expand to one field per item.
			w.jsonText(r, c, childSection, k)
			r.Close()
			continue
		}
		if err := w.jsonContent(r, k, c, childSection); err != nil {
			return err
		}
	}
	if t := v.get("#text"); t != nil {
		w.jsonText(r, t, section, name)
	}
	r.Close()
	return nil
}

// jsonData writes one member of EventData.
func (w *Writer) jsonData(r *Record, k string, c *jv) error {
	if k == "Data" && c.kind == 'o' && len(c.keys) == 1 && c.keys[0] == "#text" {
		t := c.vals[0]
		items := []*jv{t}
		if t.kind == 'a' {
			items = t.vals
		}
		for _, it := range items {
			r.Open("Data")
			if it.kind != 'z' {
				r.Text(w.jsonValue(it, "EventData", "Data", ""))
			}
			r.Close()
		}
		return nil
	}
	if c.kind == 'o' {
		r.Open(k)
		return w.jsonContent(r, k, c, "EventData")
	}
	r.Open("Data")
	r.LiteralAttr("Name", k)
	w.jsonText(r, c, "EventData", "Data")
	r.Close()
	return nil
}

// jsonText writes the text of an element: one value, or an array value.
func (w *Writer) jsonText(r *Record, t *jv, section, elem string) {
	switch t.kind {
	case 'z':
	case 'a':
		items := make([]string, 0, len(t.vals))
		for _, it := range t.vals {
			items = append(items, it.s)
		}
		r.Text(StringArray(items...))
	case 'o':
	default:
		r.Text(w.jsonValue(t, section, elem, ""))
	}
}

// jsonValue types a scalar JSON value.
func (w *Writer) jsonValue(v *jv, section, elem, attr string) Value {
	if section == "System" {
		if t, ok := sysType(elem, attr); ok {
			return w.typed(v.s, t)
		}
	}
	switch v.kind {
	case 'b':
		if w.o.Strings {
			return Str(v.s)
		}
		if v.s == "true" {
			return Uint(Bool, 1)
		}
		return Uint(Bool, 0)
	case 'n':
		if w.o.Strings {
			return Str(v.s)
		}
		if strings.ContainsAny(v.s, ".eE") {
			f, err := strconv.ParseFloat(v.s, 64)
			if err == nil && strconv.FormatFloat(f, 'g', -1, 64) == v.s {
				return Float(Real64, f)
			}
			return Str(v.s)
		}
	}
	return w.infer(v.s)
}

// unrepeat undoes evtx_dump's renaming of repeated elements: "X_2" is "X"
// when "X" came before in the same object.
func unrepeat(k string, seen map[string]bool) string {
	i := strings.LastIndexByte(k, '_')
	if i <= 0 || i == len(k)-1 {
		return k
	}
	if _, err := strconv.Atoi(k[i+1:]); err != nil || !seen[k[:i]] {
		return k
	}
	return k[:i]
}
