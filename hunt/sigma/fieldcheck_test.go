package sigma

import (
	"github.com/loghunt/loghunt/parsers/winevent"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/internal/testshared"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtx"
)

// fcRule is a rule document with the given logsource and detection lines.
func fcRule(id, logsource, detection string) string {
	return "title: t " + id + "\nid: " + id + "\nlogsource:\n" + logsource + "detection:\n" + detection
}

const (
	fcProc    = "  category: process_creation\n  product: windows\n"
	fcNet     = "  category: network_connection\n  product: windows\n"
	fcReg     = "  category: registry_event\n  product: windows\n"
	fcService = "  service: system\n  product: windows\n"
	fcLinux   = "  category: process_creation\n  product: linux\n"
)

// fcGaps loads docs and returns the field gaps by rule id, checking that
// the Report carries exactly the same gaps as notes.
func fcGaps(t *testing.T, docs ...string) map[string][]FieldGap {
	t.Helper()
	l := NewLoader(LoadOptions{})
	for i, d := range docs {
		l.AddBytes(filepath.Join("t", string(rune('a'+i))+".yml"), []byte(d))
	}
	rs, rep := l.Compile()
	if len(rep.Failed) > 0 {
		t.Fatalf("rule did not load: %v", rep.Failed[0])
	}
	gaps := rs.FieldGaps()
	var notes []Note
	for _, n := range rep.Warnings {
		if IsFieldGap(n) {
			notes = append(notes, n)
		}
	}
	if len(notes) != len(gaps) {
		t.Fatalf("%d field notes in the report, %d gaps: %+v", len(notes), len(gaps), notes)
	}
	out := map[string][]FieldGap{}
	for i, g := range gaps {
		if notes[i].RuleID != g.Rule.ID || notes[i].Text != g.Text() {
			t.Errorf("note %d = %+v, want gap %q of %s", i, notes[i], g.Text(), g.Rule.ID)
		}
		out[g.Rule.ID] = append(out[g.Rule.ID], g)
	}
	return out
}

func gapSummary(gs []FieldGap) string {
	var parts []string
	for _, g := range gs {
		var names []string
		for _, m := range g.Missing {
			names = append(names, m.Name+"="+m.Effect.String())
		}
		sep := ":"
		if g.Dead {
			sep = "!"
		}
		parts = append(parts, g.Source+sep+strings.Join(names, ","))
	}
	return strings.Join(parts, " | ")
}

func TestFieldGaps(t *testing.T) {
	tests := []struct {
		name      string
		logsource string
		detection string
		want      string // gapSummary ("!" after the source: Dead), "" for none
		text      string // substring of the first gap's note
	}{
		{"sysmon-only field on 4688", fcProc,
			"  s:\n    OriginalFileName: x.exe\n  condition: s\n",
			"Security 4688!OriginalFileName=cannot match",
			"field OriginalFileName is not in Security 4688 events: searches on it cannot match there, so the rule never matches Security 4688 events (Sysmon 1 has it)"},
		{"alternative on a missing field", fcProc,
			"  s:\n    - Image|endswith: x.exe\n    - OriginalFileName: x.exe\n  condition: s\n",
			"Security 4688:OriginalFileName=cannot match",
			"field OriginalFileName is not in Security 4688 events: searches on it cannot match there (Sysmon 1 has it)"},
		{"one of two searches", fcProc,
			"  a:\n    Image|endswith: x.exe\n  b:\n    Product: y\n  condition: a or b\n",
			"Security 4688:Product=cannot match", ""},
		{"both searches needed", fcProc,
			"  a:\n    Image|endswith: x.exe\n  b:\n    Product: y\n  condition: all of them\n",
			"Security 4688!Product=cannot match", "so the rule never matches Security 4688 events"},
		{"mapped fields", fcProc,
			"  s:\n    Image|endswith: x.exe\n    ParentImage|endswith: y.exe\n    ProcessId: 4\n    User|contains: AUTH\n    IntegrityLevel: High\n    CommandLine|contains: z\n  condition: s\n",
			"", ""},
		{"case-insensitive names", fcProc,
			"  s:\n    image|endswith: x.exe\n    COMMANDLINE: y\n  condition: s\n",
			"", ""},
		{"system fields", fcProc,
			"  s:\n    Provider_Name: x\n    Computer: y\n    EventID: 1\n  condition: s\n",
			"", ""},
		{"made-up field on the only source", fcNet,
			"  s:\n    DestinationIp: 10.0.0.1\n    MadeUpField: 1\n  condition: s\n",
			"Sysmon 3!MadeUpField=cannot match",
			"field MadeUpField is not in Sysmon 3 events: searches on it cannot match there, so the rule never matches Sysmon 3 events"},
		{"filter only", fcProc,
			"  s:\n    Image|endswith: x.exe\n  filter:\n    Company: Microsoft\n  condition: s and not filter\n",
			"Security 4688:Company=never excludes",
			"filters on it (under not, or in a filter rule) never exclude anything there"},
		{"null test", fcProc,
			"  s:\n    Image|endswith: x.exe\n    OriginalFileName: null\n  condition: s\n",
			"Security 4688:OriginalFileName=always holds", "always hold there (Sysmon 1 has it)"},
		{"null under not", fcProc,
			"  s:\n    Image|endswith: x.exe\n  f:\n    Product: null\n  condition: s and not f\n",
			"Security 4688!Product=excludes all", "exclude every event there, so the rule never matches Security 4688 events (Sysmon 1 has it)"},
		{"positive use wins over filter use", fcProc,
			"  s:\n    Company: a\n  f:\n    Company: b\n  condition: s and not f\n",
			"Security 4688!Company=cannot match", ""},
		{"several fields in one note", fcProc,
			"  s:\n    Hashes|contains: MD5=\n    Imphash: abc\n  f:\n    Description: d\n  condition: s and not f\n",
			"Sysmon 1!Imphash=cannot match | Security 4688!Description=never excludes,Hashes=cannot match,Imphash=cannot match",
			"field Imphash is not in Sysmon 1 events: searches on it cannot match there, so the rule never matches Sysmon 1 events"},
		{"fieldref target", fcProc,
			"  s:\n    Image|fieldref: OriginalFileName\n  condition: s\n",
			"Security 4688!OriginalFileName=cannot match", ""},
		{"keywords are not checked", fcNet,
			"  keywords:\n    - evil\n  condition: keywords\n",
			"", ""},
		{"per event id", fcReg,
			"  s:\n    Details: x\n  condition: s\n",
			"Sysmon 12!Details=cannot match | Sysmon 14!Details=cannot match",
			"field Details is not in Sysmon 12 events: searches on it cannot match there, so the rule never matches Sysmon 12 events (Sysmon 13 has it)"},
		{"unknown field set: service channel", fcService,
			"  s:\n    MadeUpField: 1\n  condition: s\n",
			"", ""},
		{"unknown source: no Windows channel", fcLinux,
			"  s:\n    MadeUpField: 1\n  condition: s\n",
			"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gaps := fcGaps(t, fcRule("r1", tt.logsource, tt.detection))["r1"]
			if got := gapSummary(gaps); got != tt.want {
				t.Errorf("gaps = %q, want %q", got, tt.want)
			}
			if tt.text != "" && (len(gaps) == 0 || !strings.Contains(gaps[0].Text(), tt.text)) {
				var got string
				if len(gaps) > 0 {
					got = gaps[0].Text()
				}
				t.Errorf("note = %q, want it to contain %q", got, tt.text)
			}
		})
	}
}

// TestFieldGapsFilterRule: fields of a Sigma filter rule count as filter
// fields of the rules it is attached to.
func TestFieldGapsFilterRule(t *testing.T) {
	rule := fcRule("r1", fcProc, "  s:\n    Image|endswith: x.exe\n  condition: s\n")
	filter := "title: f\nid: f1\nlogsource:\n" + fcProc + "filter:\n  rules: [r1]\n  sel:\n    Company: Microsoft\n  condition: sel\n"
	gaps := fcGaps(t, rule, filter)
	if got, want := gapSummary(gaps["r1"]), "Security 4688:Company=never excludes"; got != want {
		t.Errorf("gaps = %q, want %q", got, want)
	}
}

// TestFieldGapsMatchUnchanged checks that what the notes say is what the
// matcher does: the check changes no matching.
func TestFieldGapsMatchUnchanged(t *testing.T) {
	doc := fcRule("r1", fcProc, "  s:\n    Image|endswith: \\x.exe\n  f:\n    Company: Microsoft\n  condition: s and not f\n")
	l := NewLoader(LoadOptions{})
	l.AddBytes("r.yml", []byte(doc))
	rs, rep := l.Compile()
	if len(rep.Failed) > 0 {
		t.Fatal(rep.Failed[0])
	}
	count := func(e *parsers.Event) int {
		n := 0
		rs.Match(e, func(*Match) { n++ })
		return n
	}
	sysmon := &parsers.Event{Channel: "Microsoft-Windows-Sysmon/Operational", EventID: 1}
	sysmon.Add("Image", `C:\x.exe`)
	sysmon.Add("Company", "Microsoft")
	if count(sysmon) != 0 {
		t.Error("Sysmon 1: the filter on Company should exclude the event")
	}
	sec := &parsers.Event{Channel: "Security", EventID: 4688}
	sec.Add("NewProcessName", `C:\x.exe`)
	if count(sec) != 1 {
		t.Error("Security 4688: the filter on Company never excludes, so the rule should match")
	}
}

func TestSourceFieldsTable(t *testing.T) {
	st, err := loadSourceFields()
	if err != nil {
		t.Fatal(err)
	}
	rt, err := loadRouting()
	if err != nil {
		t.Fatal(err)
	}
	sysmon := "microsoft-windows-sysmon/operational"
	for _, id := range []int64{1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 22, 23, 24, 25, 26} {
		ks := st[bucketKey{sysmon, id}]
		if ks == nil {
			t.Errorf("Sysmon %d is not in the table", id)
			continue
		}
		if !ks.fields["utctime"] || !ks.fields["provider_name"] {
			t.Errorf("Sysmon %d lacks UtcTime or the common fields", id)
		}
	}
	if ks := st[bucketKey{"security", 4688}]; ks == nil || !ks.fields["newprocessname"] {
		t.Fatal("Security 4688 missing or without NewProcessName")
	}
	// Every mapping a category route uses computes fields from ones its
	// source has, when that source is known.
	for cat, specs := range rt.Categories {
		for _, r := range expand(specs) {
			ks := st[bucketKey{r.channel, r.eventID}]
			if ks == nil || r.mapping == "" {
				continue
			}
			for name, mf := range rt.Mappings[r.mapping] {
				for _, from := range mf.From {
					if !ks.fields[strings.ToLower(from)] {
						t.Errorf("%s: mapping %s.%s reads %s, which %s does not have", cat, r.mapping, name, from, ks.label)
					}
				}
			}
		}
	}
	if IsFieldGap(Note{Text: "Image: 'all' with a single value"}) || IsFieldGap(Note{Text: "filter names rule \"x\", which is not loaded"}) {
		t.Error("IsFieldGap accepts other warnings")
	}
}

// TestCorpusFieldGaps loads SigmaHQ's rules/windows and reports the rules
// with fields their sources do not have. Every name reported must really
// be absent from the source's field set.
func TestCorpusFieldGaps(t *testing.T) {
	dir := testshared.Dir(t, "sigma", "rules", "windows")
	l := NewLoader(LoadOptions{})
	l.AddPath(dir)
	rs, rep := l.Compile()
	st, err := loadSourceFields()
	if err != nil {
		t.Fatal(err)
	}
	rt, err := loadRouting()
	if err != nil {
		t.Fatal(err)
	}
	byLabel := map[string]map[string]bool{}
	for _, specs := range rt.Categories {
		for _, r := range expand(specs) {
			if ks := st[bucketKey{r.channel, r.eventID}]; ks != nil {
				byLabel[ks.label] = withMapped(ks.fields, rt.Mappings[r.mapping])
			}
		}
	}
	flat := map[string]bool{}
	for _, f := range winevent.SystemFields {
		if f.Flat {
			flat[strings.ToLower(f.Name)] = true
		}
	}
	byLabel[winevent.FlatShape] = flat
	gaps := rs.FieldGaps()
	rules := map[*Rule]bool{}
	bySource := map[string]int{}
	byField := map[string]int{}
	dead := map[*Rule]bool{}
	for _, g := range gaps {
		rules[g.Rule] = true
		if g.Dead {
			dead[g.Rule] = true
		}
		bySource[g.Source]++
		fields, ok := byLabel[g.Source]
		if !ok {
			t.Errorf("%s: gap on %s, a source with no known field set", g.Rule.Path, g.Source)
		}
		for _, m := range g.Missing {
			byField[m.Name]++
			if fields[strings.ToLower(m.Name)] {
				t.Errorf("%s: reports %s missing from %s, which has it", g.Rule.Path, m.Name, g.Source)
			}
		}
	}
	notes := 0
	for _, n := range rep.Warnings {
		if IsFieldGap(n) {
			notes++
		}
	}
	if notes != len(gaps) {
		t.Errorf("%d field notes in the report, %d gaps", notes, len(gaps))
	}
	t.Logf("%d of %d detection rules have field gaps (%d notes), %d of them never match on some source; by source: %v", len(rules), rep.Detection, len(gaps), len(dead), bySource)
	type kv struct {
		k string
		n int
	}
	var top []kv
	for k, n := range byField {
		top = append(top, kv{k, n})
	}
	sort.Slice(top, func(i, j int) bool { return top[i].n > top[j].n || top[i].n == top[j].n && top[i].k < top[j].k })
	if len(top) > 15 {
		top = top[:15]
	}
	t.Logf("most reported fields: %v", top)
	for i, g := range gaps {
		if i >= 8 {
			break
		}
		t.Logf("sample: %s: %s", filepath.Base(g.Rule.Path), g.Text())
	}
	if len(rules) == 0 {
		t.Error("no rule in rules/windows has a field gap; SigmaHQ has process_creation rules on Sysmon-only fields (OriginalFileName, Hashes)")
	}
}

// TestCorpusSourceFieldsComplete decodes the corpus EVTX files and checks
// that every field seen in an event of a known source is in the table, so
// that the check never reports a field real events carry.
func TestCorpusSourceFieldsComplete(t *testing.T) {
	shared := testshared.Dir(t)
	st, err := loadSourceFields()
	if err != nil {
		t.Fatal(err)
	}
	unknown := map[string]map[string]bool{}
	checked := map[string]int{}
	for _, root := range []string{filepath.Join(shared, "corpora", "evtx"), filepath.Join(shared, "sigma", "regression_data")} {
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.EqualFold(filepath.Ext(p), ".evtx") {
				return nil
			}
			_, _ = evtx.ReadFile(p, evtx.Options{}, func(e *parsers.Event) error {
				ks := st[bucketKey{strings.ToLower(e.Channel), int64(e.EventID)}]
				if ks == nil {
					return nil
				}
				checked[ks.label]++
				for _, f := range e.Fields {
					if !ks.fields[strings.ToLower(f.Name)] {
						if unknown[ks.label] == nil {
							unknown[ks.label] = map[string]bool{}
						}
						unknown[ks.label][f.Name] = true
					}
				}
				return nil
			}, func(*parsers.ParseError) {})
			return nil
		})
	}
	t.Logf("events checked by source: %v", checked)
	if len(checked) == 0 {
		t.Fatal("no event of a known source in the corpus")
	}
	for label, names := range unknown {
		var list []string
		for n := range names {
			list = append(list, n)
		}
		sort.Strings(list)
		t.Errorf("%s events carry fields the table lacks: %s", label, strings.Join(list, ", "))
	}
}
