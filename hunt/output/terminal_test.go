package output

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/kql/value"
	"github.com/loghunt/loghunt/parsers"
)

// wideHit is a hit whose title, source and details are long.
func wideHit(level, computer string) *hunt.Hit {
	ev := &parsers.Event{Time: time.Date(2026, 11, 3, 9, 14, 40, 0, time.UTC), Computer: computer, EventID: 1,
		Source: parsers.Source{Path: "evidence/" + strings.Repeat("deep/", 12) + "Sysmon.evtx", Offset: 4096},
		Fields: []parsers.Field{{Name: "CommandLine", Value: "powershell.exe " + strings.Repeat("-enc AAAA ", 20)}}}
	r := &hunt.Rule{ID: "r", Title: "A rule title that goes on and on about what it detects", Level: level, Engine: "sigma"}
	return &hunt.Hit{Rule: r, Time: ev.Time, Event: ev, Matched: []hunt.Matched{{Field: "CommandLine", Value: ev.Fields[0].Value}}}
}

func writeTable(t *testing.T, opts Options, hits ...*hunt.Hit) string {
	t.Helper()
	var b bytes.Buffer
	w, err := NewWriter(&b, Table, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if err := w.WriteHit(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestTableFitsWidth: at 100 columns every line fits; time, level,
// computer and event are whole; the cut columns end in an ellipsis.
func TestTableFitsWidth(t *testing.T) {
	const computer = "WS-FIN-07"
	out := writeTable(t, Options{Width: 100}, wideHit("critical", computer), wideHit("low", "DC1"))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > 100 {
			t.Errorf("line of %d runes: %q", n, l)
		}
	}
	for _, whole := range []string{"2026-11-03 09:14:40.000", "critical", "low", computer, "DC1"} {
		if !strings.Contains(out, whole) {
			t.Errorf("%q cut or missing:\n%s", whole, out)
		}
	}
	// The source is cut at its start, keeping the file and offset.
	if !regexp.MustCompile(`  …\S*@0x1000  `).MatchString(lines[1]) || strings.Contains(out, "evidence/") {
		t.Errorf("source not cut at its start:\n%s", out)
	}
	// The first line of the rows: the details are cut last, with "…" at
	// the end of the line.
	if !strings.HasSuffix(lines[1], "…") {
		t.Errorf("details not cut: %q", lines[1])
	}

	// Width 0: whole lines, every cell whole.
	full := writeTable(t, Options{}, wideHit("critical", computer))
	for _, whole := range []string{"A rule title that goes on and on about what it detects", "deep/Sysmon.evtx@0x1000", strings.Repeat("-enc AAAA ", 19) + "-enc AAAA"} {
		if !strings.Contains(full, whole) {
			t.Errorf("wide table lacks %q:\n%s", whole, full)
		}
	}
	if strings.Contains(full, "…") {
		t.Errorf("wide table cut:\n%s", full)
	}
}

// TestTableShortColumnsKeepTheirWidth: a cut column that fits in its
// share is not cut; the others share the rest.
func TestTableShortColumnsKeepTheirWidth(t *testing.T) {
	h := wideHit("high", "PC")
	h.Rule.Title = "Short"
	out := writeTable(t, Options{Width: 100}, h)
	if !strings.Contains(out, "  Short  ") {
		t.Fatalf("short title cut:\n%s", out)
	}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		// The header is shorter; the row uses the whole width.
		if n := utf8.RuneCountInString(l); n > 100 || (strings.HasPrefix(l, "2026") && n != 100) {
			t.Errorf("line of %d runes: %q", n, l)
		}
	}
}

// TestTableColor: rows are coloured by level, only with Color; the header
// and unknown levels are not.
func TestTableColor(t *testing.T) {
	hits := []*hunt.Hit{wideHit("critical", "A"), wideHit("high", "B"), wideHit("medium", "C"), wideHit("low", "D"), wideHit("informational", "E")}
	out := writeTable(t, Options{Width: 100, Color: true}, hits...)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := []string{"", "\x1b[1;31m", "\x1b[31m", "\x1b[33m", "\x1b[32m", ""}
	for i, l := range lines {
		if want[i] == "" {
			if strings.Contains(l, "\x1b") {
				t.Errorf("line %d coloured: %q", i, l)
			}
			continue
		}
		if !strings.HasPrefix(l, want[i]) || !strings.HasSuffix(l, "\x1b[0m") {
			t.Errorf("line %d: %q, want it in %q", i, l, want[i])
		}
		// The escapes take no columns.
		plain := strings.TrimSuffix(strings.TrimPrefix(l, want[i]), "\x1b[0m")
		if n := utf8.RuneCountInString(plain); n > 100 {
			t.Errorf("line %d: %d runes", i, n)
		}
	}
	if plain := writeTable(t, Options{Width: 100}, hits...); strings.Contains(plain, "\x1b") {
		t.Errorf("escapes without Color:\n%q", plain)
	}
}

// TestTableNeutralisesEscapes: log values cannot drive the terminal.
func TestTableNeutralisesEscapes(t *testing.T) {
	out := writeTable(t, Options{}, wideHit("high", "EVIL\x1b]0;owned\x07\x1b[2J\x9b1m"))
	if strings.Contains(out, "\x1b") || strings.Contains(out, "\x07") || strings.Contains(out, "\x9b") || strings.Contains(out, "\u009b") {
		t.Fatalf("control characters written: %q", out)
	}
	if !strings.Contains(out, "EVIL\uFFFD]0;owned\uFFFD\uFFFD[2J\uFFFD1m") {
		t.Fatalf("computer not shown with replacements: %q", out)
	}
}

// TestCSVNeutralisesFormulas: the OWASP characters at the start of a cell
// get a quote; elsewhere, or with CSVRaw, nothing changes.
func TestCSVNeutralisesFormulas(t *testing.T) {
	cases := map[string]string{
		"=HYPERLINK(\"http://x\",\"y\")": "'=HYPERLINK(\"http://x\",\"y\")",
		"=cmd|' /C calc'!A0":             "'=cmd|' /C calc'!A0",
		"+1+1":                           "'+1+1",
		"-2+3":                           "'-2+3",
		"@SUM(A1)":                       "'@SUM(A1)",
		"\tx":                            "'\tx",
		"\rx":                            "'\rx",
		"a=b":                            "a=b",
		"":                               "",
		" =x":                            " =x",
	}
	for in, want := range cases {
		if got := CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
	}
	h := wideHit("high", "=HYPERLINK(\"http://evil\",\"WS\")")
	h.Rule.Title = "@title"
	for _, raw := range []bool{false, true} {
		var b bytes.Buffer
		w, _ := NewWriter(&b, CSV, Options{CSVRaw: raw})
		if err := w.WriteHit(h); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(nil); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		computer, title := recs[1][1], recs[1][5]
		wantC, wantT := "'=HYPERLINK(\"http://evil\",\"WS\")", "'@title"
		if raw {
			wantC, wantT = "=HYPERLINK(\"http://evil\",\"WS\")", "@title"
		}
		if computer != wantC || title != wantT || recs[0][0] != "timestamp" {
			t.Errorf("raw=%v: computer %q title %q, want %q %q", raw, computer, title, wantC, wantT)
		}
	}
	// KQL result tables too.
	tab := &value.Table{Columns: []value.Column{{Name: "DeviceName"}}, Rows: [][]any{{"=1+1"}}}
	var b bytes.Buffer
	if err := WriteResult(&b, CSV, tab, func(v any) string { return v.(string) }, Options{}); err != nil {
		t.Fatal(err)
	}
	if b.String() != "DeviceName\n'=1+1\n" {
		t.Errorf("result CSV %q", b.String())
	}
}

// TestSummaryTextOrder: hits per level, rules by level then count, hits
// per computer, then what was left out; field warnings are a count.
func TestSummaryTextOrder(t *testing.T) {
	s := &Summary{Files: 2, RulesLoaded: map[string]int{"sigma": 3}, HitsTotal: 9,
		HitsPerLevel: map[string]int{"low": 5, "critical": 1, "high": 3},
		HitsPerRule: []RuleCount{{ID: "1", Title: "Crit", Engine: "sigma", Level: "critical", Hits: 1},
			{ID: "2", Title: "Hi", Engine: "sigma", Level: "high", Hits: 3}, {ID: "3", Title: "Lo", Engine: "sigma", Level: "low", Hits: 5}},
		HitsPerComputer: []ComputerCount{{"PC1", 8}, {"PC2", 1}},
		Skipped:         []hunt.Skipped{{Path: "missing.evtx", Reason: "no such file"}},
		RulesOff:        []hunt.Skipped{{Path: "bad.yml", Line: 3, Reason: "bad condition"}},
		FieldWarnings:   736, FieldWarningRules: 400, Warnings: []string{"other warning"},
	}
	var b bytes.Buffer
	s.WriteText(&b, false)
	out := b.String()
	order := []string{
		"\nHits per level\n  critical           1\n  high               3\n  low                5\n",
		"\nRules with hits (by level, then hits)\n  critical           1  Crit [sigma, 1]\n  high               3  Hi [sigma, 2]\n  low                5  Lo [sigma, 3]\n",
		"\nHits per computer\n       8  PC1\n       1  PC2\n",
		"\nLeft out\n  skipped input: missing.evtx: no such file\n  rule not loaded: bad.yml:3: bad condition\n",
		"  warning: other warning\n",
		"  field warnings:    736 in 400 rules that name fields some of their event sources lack; run \"loghunt rules check\" on the same rules to list them\n",
	}
	at := 0
	for _, part := range order {
		i := strings.Index(out[at:], part)
		if i < 0 {
			t.Fatalf("missing or out of order: %q in\n%s", part, out)
		}
		at += i + len(part)
	}
	if strings.Contains(out, "INTERRUPTED") {
		t.Errorf("not interrupted, says it was")
	}
	s.Interrupted = true
	s.PerFile = []FileSummary{{Path: "a"}, {Path: "b", Unfinished: true}}
	b.Reset()
	s.WriteText(&b, false)
	if !strings.Contains(b.String(), "  INTERRUPTED:       the run was stopped; 1 of 2 files were not read to their end; the hits are those found so far\n") {
		t.Errorf("interrupted summary:\n%s", b.String())
	}
}
