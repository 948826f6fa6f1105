package evtx

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestCorpusSnapshots checks our XML and JSON renderings against the
// reference output of the Rust evtx crate (tests/snapshots next to its
// samples). Content must match; whitespace, attribute and key order may
// differ, and so may the precision of times (the crate prints
// microseconds, we print the full 100 ns) and GUID braces.
func TestCorpusSnapshots(t *testing.T) {
	root := filepath.Join(corpusDir(t), "evtx-rs-samples")
	snaps, _ := filepath.Glob(filepath.Join(root, "tests", "snapshots", "*.snap"))
	if len(snaps) == 0 {
		t.Skip("corpus tier: no snapshots")
	}
	samples, _ := filepath.Glob(filepath.Join(root, "samples", "*.evtx"))
	rendered := map[string][]string{} // format|file -> records
	render := func(file string, f Format) []string {
		key := f.String() + "|" + file
		if r, ok := rendered[key]; ok {
			return r
		}
		var buf bytes.Buffer
		if _, err := DumpFile(context.Background(), &buf, file, Options{}, f, 0, nil); err != nil {
			t.Fatal(err)
		}
		var recs []string
		if f == FormatJSON {
			recs = strings.Split(strings.TrimSpace(buf.String()), "\n")
		} else {
			for _, r := range strings.SplitAfter(buf.String(), "</Event>\n") {
				if strings.TrimSpace(r) != "" {
					recs = append(recs, r)
				}
			}
		}
		rendered[key] = recs
		return recs
	}
	idRE := regexp.MustCompile(`(?:<EventRecordID>|"EventRecordID": )(\d+)`)
	compRE := regexp.MustCompile(`(?:<Computer>|"Computer": ")([^<"]+)`)
	provRE := regexp.MustCompile(`Name(?:="|": ")([^"]+)`)
	checked := 0
	for _, snap := range snaps {
		b, err := os.ReadFile(snap)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.SplitN(string(b), "---\n", 3)
		if len(parts) < 3 {
			continue
		}
		body := strings.TrimSpace(parts[2])
		var f Format
		switch {
		case strings.HasPrefix(body, "<?xml") || strings.HasPrefix(body, "<Event"):
			f = FormatXML
		case strings.HasPrefix(body, "{") && !strings.Contains(body, `_attributes"`):
			f = FormatJSON
		default:
			continue // not a record, or the crate's separate-attributes mode
		}
		id, comp, prov := idRE.FindStringSubmatch(body), compRE.FindStringSubmatch(body), provRE.FindStringSubmatch(body)
		if id == nil || comp == nil || prov == nil {
			continue
		}
		name := filepath.Base(snap)
		want, err := canon(f, body)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		found, matched := false, false
		var lastDiff string
		for _, file := range samples {
			for _, rec := range render(file, f) {
				if !strings.Contains(rec, ">"+id[1]+"</EventRecordID>") && !strings.Contains(rec, `"EventRecordID":`+id[1]+`,`) {
					continue
				}
				if !strings.Contains(rec, comp[1]) || !strings.Contains(rec, prov[1]) {
					continue
				}
				found = true
				got, err := canon(f, rec)
				if err != nil {
					t.Errorf("%s: our output does not parse: %v", name, err)
					continue
				}
				if reflect.DeepEqual(got, want) {
					matched = true
				} else {
					lastDiff = diffCanon(got, want)
				}
			}
		}
		switch {
		case matched:
			checked++
		case found:
			t.Errorf("%s: our %s rendering differs: %s", name, f, lastDiff)
		default:
			t.Logf("%s: record %s of %s is in none of the samples present; skipped", name, id[1], comp[1])
		}
	}
	if checked == 0 {
		t.Fatal("no snapshot checked")
	}
	t.Logf("%d snapshots match", checked)
}

// canonValue normalizes a value for snapshot comparison.
func canonValue(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 20 && s[4] == '-' && s[10] == 'T' && strings.HasSuffix(s, "Z") {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
		}
	}
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		s = s[1:37]
	}
	if len(s) == 36 && s[8] == '-' && s[13] == '-' {
		s = strings.ToUpper(s)
	}
	return s
}

func canon(f Format, s string) (any, error) {
	if f == FormatJSON {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, err
		}
		return canonJSON(v), nil
	}
	return canonXML(s)
}

func canonJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = canonJSON(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = canonJSON(e)
		}
		return x
	case string:
		return canonValue(x)
	}
	return v
}

// canonXML lists elements as path, sorted attributes and trimmed text.
func canonXML(s string) ([]string, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	var out, path []string
	var text []string
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
			path = append(path, tk.Name.Local)
			text = append(text, "")
			var attrs []string
			for _, a := range tk.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
					continue
				}
				attrs = append(attrs, a.Name.Local+"="+canonValue(a.Value))
			}
			sort.Strings(attrs)
			out = append(out, strings.Join(path, "/")+" "+strings.Join(attrs, " "))
		case xml.CharData:
			if len(text) > 0 {
				text[len(text)-1] += string(tk)
			}
		case xml.EndElement:
			if v := canonValue(text[len(text)-1]); v != "" {
				out = append(out, strings.Join(path, "/")+" = "+v)
			}
			path, text = path[:len(path)-1], text[:len(text)-1]
		}
	}
}

func diffCanon(got, want any) string {
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	gs, ws := string(g), string(w)
	i := 0
	for i < len(gs) && i < len(ws) && gs[i] == ws[i] {
		i++
	}
	lo := max(0, i-80)
	return fmt.Sprintf("ours …%s… want …%s…", gs[lo:min(len(gs), i+80)], ws[lo:min(len(ws), i+80)])
}
