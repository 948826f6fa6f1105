package evtxwrite_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtxwrite"
)

// The oracle tier: other EVTX readers read the files we write, and each
// of their records has the fields of the event we wrote, in order.

// normValue maps the renderings of one value by different readers to one
// form: GUIDs without braces in lower case, hex integers in decimal (libevtx
// pads them with zeros), times as UTC instants to the microsecond
// (python-evtx prints microseconds, with a space for the T), text in
// lower case, CR LF as LF and without surrounding white space (XML readers
// normalize both).
func normValue(v string) string {
	v = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return -1 // see sanitize
		}
		return r
	}, v)
	v = strings.TrimSpace(strings.ReplaceAll(v, "\r\n", "\n"))
	if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") && len(v) == 38 {
		v = v[1:37]
	}
	if len(v) > 2 && (strings.HasPrefix(v, "0x") || strings.HasPrefix(v, "0X")) {
		if n, err := strconv.ParseUint(v[2:], 16, 64); err == nil {
			return strconv.FormatUint(n, 10)
		}
	}
	if len(v) >= 19 && v[4] == '-' && v[7] == '-' && (v[10] == 'T' || v[10] == ' ') {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
			}
		}
	}
	return strings.ToLower(v)
}

type xmlElem struct {
	name     string
	attrs    []xml.Attr
	text     strings.Builder
	children []*xmlElem
}

// parseXMLEvents reads the <Event> elements of a reader's XML output.
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
			switch {
			case len(stack) > 0:
				p := stack[len(stack)-1]
				p.children = append(p.children, e)
			case e.name == "Event":
				out = append(out, e)
			default:
				continue // <Events> around python-evtx's output
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

// sanitize drops the control characters XML 1.0 cannot hold, which
// evtxexport prints as they are (python-evtx drops them; normValue drops
// them from our values).
func sanitize(b []byte) []byte {
	out := b[:0]
	for _, c := range b {
		if c >= 0x20 || c == '\t' || c == '\n' || c == '\r' {
			out = append(out, c)
		}
	}
	return out
}

// xmlFields flattens an <Event> written by Writer.Write (System, then
// EventData of <Data Name=...>) with the decoder's naming rules.
func xmlFields(root *xmlElem) []parsers.Field {
	var fs []parsers.Field
	for _, sec := range root.children {
		switch sec.name {
		case "System":
			for _, c := range sec.children {
				for _, a := range c.attrs {
					name := c.name + "_" + a.Name.Local
					if c.name == "Execution" {
						name = a.Name.Local
					}
					fs = append(fs, parsers.Field{Name: name, Value: a.Value})
				}
				if len(c.attrs) == 0 || c.text.Len() > 0 {
					fs = append(fs, parsers.Field{Name: c.name, Value: c.text.String()})
				}
			}
		case "EventData":
			for _, c := range sec.children {
				name := "Data"
				for _, a := range c.attrs {
					if a.Name.Local == "Name" && a.Value != "" {
						name = a.Value
					}
				}
				fs = append(fs, parsers.Field{Name: name, Value: c.text.String()})
			}
		}
	}
	return fs
}

// sameBinary reports whether ours is the upper-case hex rendering of the
// bytes python-evtx renders as theirs, in base64.
func sameBinary(ours, theirs string) bool {
	b, err := base64.StdEncoding.DecodeString(theirs)
	return err == nil && len(b) > 0 && strings.ToUpper(hex.EncodeToString(b)) == ours
}

// closeTimes reports whether a and b are both times, less than 3 µs
// apart: python-evtx converts FILETIMEs through a float, which is off by
// a microsecond or two.
func closeTimes(a, b string) bool {
	ta, ok1 := parseTime(a)
	tb, ok2 := parseTime(b)
	if !ok1 || !ok2 {
		return false
	}
	d := ta.Sub(tb)
	return d > -3*time.Microsecond && d < 3*time.Microsecond
}

func parseTime(v string) (time.Time, bool) {
	if len(v) < 19 || v[4] != '-' || v[7] != '-' || (v[10] != 'T' && v[10] != ' ') {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// diffFields compares our fields with a reader's, in order, after
// normalization; it returns the first difference.
func diffFields(ours, theirs []parsers.Field) string {
	for i := 0; i < max(len(ours), len(theirs)); i++ {
		var o, t parsers.Field
		if i < len(ours) {
			o = ours[i]
		}
		if i < len(theirs) {
			t = theirs[i]
		}
		if o.Name == t.Name && (closeTimes(o.Value, t.Value) || sameBinary(o.Value, t.Value)) {
			continue
		}
		if o.Name != t.Name || normValue(o.Value) != normValue(t.Value) {
			return fmt.Sprintf("field %d: reader %s=%q, ours %s=%q", i, t.Name, t.Value, o.Name, o.Value)
		}
	}
	return ""
}

// oracleRoundTrip writes the events of every stride-th corpus file, has the reader's
// command print the written file as XML, and compares each record with
// the event written.
func oracleRoundTrip(t *testing.T, stride int, reader string, args ...string) {
	bin, err := exec.LookPath(reader)
	if err != nil {
		t.Skipf("%s not installed (CI installs libevtx-utils and python3-evtx); skipping this oracle", reader)
	}
	files := corpusFiles(t)
	dir := t.TempDir()
	var nfiles, nrec, bad, nskip int
	for i, p := range files {
		if i%stride != 0 {
			continue
		}
		src, _, _ := readEvents(t, p)
		if len(src) == 0 {
			continue
		}
		out := writeEvents(t, dir, fmt.Sprintf("%d.evtx", i), src, evtxwrite.Options{})
		evs, err := readXML(bin, args, out)
		if err != nil {
			t.Errorf("%s on the events of %s: %v", reader, p, err)
			continue
		}
		nfiles++
		// A record the reader cannot read in the original file is one it
		// may skip in ours: Windows leaves degenerate records (all zero
		// values) that our decoder reads and the others do not.
		skippable := 0
		if len(evs) < len(src) {
			orig, err := readXML(bin, args, p)
			if err == nil && len(orig) < len(src) {
				skippable = len(src) - len(orig)
			}
		}
		fileBad, skipped := 0, 0
		first := ""
		k := 0
		for _, x := range evs {
			fs := xmlFields(x)
			for k < len(src) && skipped < skippable && diffFields(src[k].Fields, fs) != "" {
				k++
				skipped++
			}
			if k == len(src) {
				break
			}
			nrec++
			if d := diffFields(src[k].Fields, fs); d != "" {
				fileBad++
				if first == "" {
					first = fmt.Sprintf("record %d: %s", src[k].RecordID, d)
				}
			}
			k++
		}
		if rem := len(src) - k; rem > 0 && skipped+rem <= skippable {
			skipped += rem
		}
		nskip += skipped
		if len(evs)+skipped != len(src) {
			t.Errorf("%s: %s reads %d records of %d (it reads %d fewer in the original)", p, reader, len(evs), len(src), skippable)
		}
		bad += fileBad
		if fileBad > 0 {
			t.Errorf("%s: %s reads %d of %d records differently; first: %s", p, reader, fileBad, len(src), first)
		}
		os.Remove(out)
	}
	t.Logf("%s: %d written files, %d records compared field by field, %d differ; %d records it does not read in the originals either", reader, nfiles, nrec, bad, nskip)
}

// readXML runs the reader on path and parses its XML output.
func readXML(bin string, args []string, path string) ([]*xmlElem, error) {
	out, err := exec.Command(bin, append(args, path)...).Output()
	if err != nil && len(out) == 0 {
		return nil, err
	}
	// python-evtx declares XML 1.1, which encoding/xml refuses; the
	// records are XML 1.0 all the same.
	out = bytes.Replace(out, []byte(`<?xml version="1.1"`), []byte(`<?xml version="1.0"`), 1)
	return parseXMLEvents(bytes.NewReader(sanitize(out)))
}

// TestOracleEvtxexport: libevtx reads what we write.
func TestOracleEvtxexport(t *testing.T) {
	oracleRoundTrip(t, 1, "evtxexport", "-f", "xml")
}

// TestOraclePythonEvtx: python-evtx reads what we write. It reads about
// 300 records a second, so it gets every twentieth file (31 files, the
// corpus' directories all represented); evtxexport reads every file.
func TestOraclePythonEvtx(t *testing.T) {
	oracleRoundTrip(t, 20, "evtx_dump.py")
}
