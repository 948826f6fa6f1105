package evtx

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/internal/goevtx"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/winevent"
)

// Differential tests: our events against golang-evtx (through
// internal/goevtx) and against libevtx's evtxexport -f xml.

// normValue maps the different renderings of one value to one form: GUIDs
// without braces, lower case; hex integers without leading zeros; times as
// UTC instants with 100 ns precision.
func normValue(v string) string {
	// XML parsers turn CR LF into LF.
	v = strings.TrimSpace(strings.ReplaceAll(v, "\r\n", "\n"))
	if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") && len(v) == 38 {
		v = v[1:37]
	}
	if len(v) > 2 && (strings.HasPrefix(v, "0x") || strings.HasPrefix(v, "0X")) {
		if n, err := strconv.ParseUint(v[2:], 16, 64); err == nil {
			// Decimal: evtxexport renders size_t in decimal, Windows
			// in hex.
			return strconv.FormatUint(n, 10)
		}
	}
	if len(v) >= 20 && v[4] == '-' && v[10] == 'T' && strings.HasSuffix(v, "Z") {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t.UTC().Truncate(100 * time.Nanosecond).Format(time.RFC3339Nano)
		}
	}
	if strings.ContainsRune(v, '.') {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
	}
	return strings.ToLower(v)
}

type fieldSet map[string][]string

func fieldsOf(e *parsers.Event) fieldSet {
	fs := fieldSet{}
	for _, f := range e.Fields {
		fs[f.Name] = append(fs[f.Name], normValue(f.Value))
	}
	return fs
}

func (fs fieldSet) has(name, v string) bool {
	for _, x := range fs[name] {
		if x == v {
			return true
		}
	}
	return false
}

var renamedRepeat = regexp.MustCompile(`^(.*[^0-9])([0-9]+)$`)

// compareGoEvtx reports the fields of g (golang-evtx) that ours lacks or
// renders differently. golang-evtx renames repeated elements Data1, Data2…
// and treats only the value 1 as a true boolean.
func compareGoEvtx(ours, g *parsers.Event) []string {
	of := fieldsOf(ours)
	var diffs []string
	for _, f := range g.Fields {
		name, v := f.Name, normValue(f.Value)
		if of.has(name, v) {
			continue
		}
		if m := renamedRepeat.FindStringSubmatch(name); m != nil && of.has(m[1], v) {
			continue
		}
		if v == "false" && len(of[name]) == 1 && of[name][0] == "true" {
			continue // irregular boolean (neither 0 nor 1)
		}
		if v == "null" && len(of[name]) == 0 {
			continue
		}
		if strings.HasPrefix(f.Value, "Unknown value: ") {
			continue // golang-evtx cannot read this type (4-byte size_t)
		}
		diffs = append(diffs, fmt.Sprintf("%s=%q (ours %q)", name, f.Value, of[name]))
	}
	if !ours.Time.Equal(g.Time) && !g.Time.IsZero() {
		diffs = append(diffs, fmt.Sprintf("Time %v (ours %v)", g.Time, ours.Time))
	}
	if ours.EventID != g.EventID || ours.Computer != g.Computer || ours.Channel != g.Channel {
		diffs = append(diffs, fmt.Sprintf("core %d/%s/%s (ours %d/%s/%s)", g.EventID, g.Computer, g.Channel, ours.EventID, ours.Computer, ours.Channel))
	}
	return diffs
}

type recKey struct {
	id  uint64
	off int64
}

func collect(t *testing.T, read func(parsers.EmitFunc) (parsers.Stats, error)) (map[recKey]*parsers.Event, parsers.Stats, error) {
	m := map[recKey]*parsers.Event{}
	st, err := read(func(e *parsers.Event) error {
		m[recKey{e.RecordID, e.Source.Offset}] = e.Clone()
		return nil
	})
	return m, st, err
}

// TestOracleGoEvtx compares every record golang-evtx decodes, on every
// corpus file, field by field with ours, and checks that we decode at least
// as many records.
func TestOracleGoEvtx(t *testing.T) {
	files := corpusFiles(t)
	var compared, records int
	for _, p := range files {
		ours, ost, err := collect(t, func(emit parsers.EmitFunc) (parsers.Stats, error) {
			return ReadFile(p, Options{}, emit, nil)
		})
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		theirs, gst, gerr := collect(t, func(emit parsers.EmitFunc) (parsers.Stats, error) {
			return goevtx.ReadFile(p, emit, nil)
		})
		if gerr != nil {
			continue
		}
		if ost.Records < gst.Records {
			t.Errorf("%s: %d records, golang-evtx %d", p, ost.Records, gst.Records)
		}
		var diffs []string
		for k, g := range theirs {
			o, ok := ours[k]
			if !ok {
				diffs = append(diffs, fmt.Sprintf("record %d at 0x%x missing", k.id, k.off))
				continue
			}
			compared++
			// Both sides normalised alike: Sysmon's time from UtcTime,
			// Defender's names without spaces.
			winevent.Normalize(g)
			for _, d := range compareGoEvtx(o, g) {
				diffs = append(diffs, fmt.Sprintf("record %d: %s", k.id, d))
			}
		}
		records += len(theirs)
		if len(diffs) > 0 {
			t.Errorf("%s: %d differences with golang-evtx, first: %s", p, len(diffs), strings.Join(diffs[:min(5, len(diffs))], "; "))
		}
	}
	t.Logf("compared %d records field by field with golang-evtx", compared)
}

// xmlElem is a parsed XML element of evtxexport's output.
type xmlElem struct {
	name     string
	attrs    []xml.Attr
	text     strings.Builder
	children []*xmlElem
}

// parseXMLEvents reads a stream of <Event> documents.
func parseXMLEvents(r io.Reader) ([]*xmlElem, error) {
	d := xml.NewDecoder(r)
	d.Strict = false
	var out []*xmlElem
	var stack []*xmlElem
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			e := &xmlElem{name: tk.Name.Local, attrs: tk.Attr}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, e)
			} else {
				out = append(out, e)
			}
			stack = append(stack, e)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(tk)
			}
		}
	}
}

// xmlToEvent flattens an <Event> element with the naming rules of
// normalizer (see event.go), so that XML renderings can be compared with
// our events.
func xmlToEvent(root *xmlElem) *parsers.Event {
	ev := &parsers.Event{}
	attrName := func(a xml.Attr) string { return a.Name.Local }
	var leaves func(e *xmlElem, prefix string)
	leaves = func(e *xmlElem, prefix string) {
		for _, a := range e.attrs {
			if a.Name.Local == "xmlns" || a.Name.Space == "xmlns" {
				continue
			}
			ev.Add(prefix+attrName(a), a.Value)
		}
		for _, c := range e.children {
			if len(c.children) > 0 {
				leaves(c, prefix)
				continue
			}
			for _, a := range c.attrs {
				if a.Name.Local == "xmlns" || a.Name.Space == "xmlns" {
					continue
				}
				ev.Add(prefix+attrName(a), a.Value)
			}
			if len(c.attrs) == 0 || c.text.Len() > 0 {
				ev.Add(prefix+c.name, c.text.String())
			}
		}
	}
	for _, sec := range root.children {
		switch sec.name {
		case "System":
			for _, c := range sec.children {
				for _, a := range c.attrs {
					name := c.name + "_" + attrName(a)
					if c.name == "Execution" {
						name = attrName(a)
					}
					ev.Add(name, a.Value)
				}
				if c.text.Len() > 0 {
					ev.Add(c.name, c.text.String())
				}
			}
		case "EventData":
			for _, c := range sec.children {
				switch {
				case c.name == "Data":
					name := "Data"
					for _, a := range c.attrs {
						if a.Name.Local == "Name" && a.Value != "" {
							name = a.Value
						}
					}
					ev.Add(name, c.text.String())
				case len(c.children) > 0:
					leaves(c, "")
				default:
					ev.Add(c.name, c.text.String())
				}
			}
		case "RenderingInfo":
			leaves(sec, "RenderingInfo_")
		default:
			leaves(sec, "")
		}
	}
	return ev
}

// TestOracleEvtxexport compares our records with libevtx's evtxexport -f xml
// on every corpus file: we decode at least as many records, and every field
// of its XML has the same value in our event.
func TestOracleEvtxexport(t *testing.T) {
	bin, err := exec.LookPath("evtxexport")
	if err != nil {
		t.Skip("evtxexport not installed (apt-get install libevtx-utils); skipping the libevtx oracle")
	}
	files := corpusFiles(t)
	compared := 0
	for _, p := range files {
		out, err := exec.Command(bin, "-f", "xml", p).Output()
		if err != nil && len(out) == 0 {
			continue
		}
		evs, perr := parseXMLEvents(bytes.NewReader(out))
		ours, ost, err := collect(t, func(emit parsers.EmitFunc) (parsers.Stats, error) {
			return ReadFile(p, Options{}, emit, nil)
		})
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if ost.Records < int64(len(evs)) {
			t.Errorf("%s: %d records, evtxexport %d", p, ost.Records, len(evs))
		}
		if perr != nil {
			continue // damaged XML output: counts only
		}
		// Match on the EventRecordID of the XML: exported logs renumber
		// the record headers but keep the original EventRecordID.
		byID := map[uint64][]*parsers.Event{}
		for _, e := range ours {
			s, _ := e.Get("EventRecordID")
			id, _ := strconv.ParseUint(s, 10, 64)
			byID[id] = append(byID[id], e)
		}
		var diffs []string
		for _, x := range evs {
			xe := xmlToEvent(x)
			xe.Channel, _ = xe.Get("Channel")
			winevent.Normalize(xe)
			ids, _ := xe.Get("EventRecordID")
			id, _ := strconv.ParseUint(ids, 10, 64)
			cands := byID[id]
			if len(cands) == 0 {
				diffs = append(diffs, fmt.Sprintf("record %d missing", id))
				continue
			}
			best := []string(nil)
			for i, o := range cands {
				d := compareXML(o, xe)
				if i == 0 || len(d) < len(best) {
					best = d
				}
			}
			compared++
			for _, d := range best {
				diffs = append(diffs, fmt.Sprintf("record %d: %s", id, d))
			}
		}
		if len(diffs) > 0 {
			t.Errorf("%s: %d differences with evtxexport, first: %s", p, len(diffs), strings.Join(diffs[:min(5, len(diffs))], "; "))
		}
	}
	t.Logf("compared %d records field by field with evtxexport", compared)
}

func compareXML(ours, x *parsers.Event) []string {
	of := fieldsOf(ours)
	var diffs []string
	for _, f := range x.Fields {
		v := normValue(f.Value)
		if of.has(f.Name, v) {
			continue
		}
		if v == "" && len(of[f.Name]) == 1 && strings.HasPrefix(of[f.Name][0], "<") {
			continue // evtxexport writes XML text values unescaped
		}
		diffs = append(diffs, fmt.Sprintf("%s=%q (ours %q)", f.Name, f.Value, of[f.Name]))
	}
	return diffs
}
