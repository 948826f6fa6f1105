package sigma

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// treeOf loads one rule document and returns its detection tree.
func treeOf(t *testing.T, doc string) *Detection {
	t.Helper()
	l := NewLoader(LoadOptions{})
	l.AddBytes("test.yml", []byte(doc))
	_, rep := l.Compile()
	if len(rep.Failed) > 0 {
		t.Fatalf("rule did not load: %v", rep.Failed[0])
	}
	if len(rep.Rules) == 0 {
		t.Fatal("no rule loaded")
	}
	d := rep.Rules[0].Detection()
	if d == nil {
		t.Fatal("loaded rule has no detection tree")
	}
	return d
}

// zeroPos clears every Pos in v, so that trees compare by content.
func zeroPos(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			zeroPos(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[Pos]() {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				zeroPos(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			zeroPos(v.Index(i))
		}
	}
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func lit(s string) PatternPart { return PatternPart{Kind: Literal, Text: s} }

var (
	anyRun  = PatternPart{Kind: AnyRun}
	anyChar = PatternPart{Kind: AnyChar}
)

// str is a string value compared as a pattern.
func str(raw string, pat ...PatternPart) Value {
	return Value{Kind: StringValue, Raw: raw, Pattern: pat}
}

func field(name string, mods []Modifier, vals ...Value) FieldMatcher {
	return FieldMatcher{Field: name, Modifiers: mods, Values: vals}
}

func mapSearch(name string, fields ...FieldMatcher) Search {
	return Search{Name: name, Maps: []FieldMap{{Fields: fields}}}
}

func cond(text string, e Expr) []Condition { return []Condition{{Text: text, Expr: e}} }

func ref(name string, i int) *SearchRef { return &SearchRef{Name: name, Index: i} }

func TestDetectionTree(t *testing.T) {
	tests := []struct {
		name string
		det  string // detection body, indented two spaces
		want *Detection
	}{
		{
			name: "modifiers",
			det: `  sel:
    CommandLine|contains|all:
      - ' -enc '
      - 'IEX'
    Image|EndsWith: '\powershell.exe'
    Hash|re|i: '^[0-9a-f]{32}$'
    Payload|base64offset|contains: 'http://'
    Flags|windash|contains: ' -nop'
    DestinationIp|cidr: 10.0.0.0/8
    EventID|gt: 4000
    SubjectUserName|fieldref: TargetUserName
    TargetFilename|expand: '%Workstations%\x'
  condition: sel
`,
			want: &Detection{
				Searches: []Search{mapSearch("sel",
					field("CommandLine", []Modifier{ModContains, ModAll}, str(" -enc ", lit(" -enc ")), str("IEX", lit("IEX"))),
					field("Image", []Modifier{ModEndsWith}, str(`\powershell.exe`, lit(`\powershell.exe`))),
					field("Hash", []Modifier{ModRe, ModReIgnoreCase}, Value{Raw: "^[0-9a-f]{32}$"}),
					field("Payload", []Modifier{ModBase64Offset, ModContains}, str("http://", lit("http://"))),
					field("Flags", []Modifier{ModWindash, ModContains}, str(" -nop", lit(" -nop"))),
					field("DestinationIp", []Modifier{ModCIDR}, Value{Raw: "10.0.0.0/8"}),
					field("EventID", []Modifier{ModGt}, Value{Kind: NumberValue, Raw: "4000"}),
					field("SubjectUserName", []Modifier{ModFieldRef}, Value{Raw: "TargetUserName"}),
					field("TargetFilename", []Modifier{ModExpand}, str(`%Workstations%\x`, lit(`%Workstations%\x`))),
				)},
				Conditions: cond("sel", ref("sel", 0)),
			},
		},
		{
			name: "null, empty, numbers and exists",
			det: `  sel:
    CommandLine: null
    ParentCommandLine: ''
    EventID: 4688
    ProcessId: 0x1410
    User|exists: true
    Hashes|exists: false
  condition: sel
`,
			want: &Detection{
				Searches: []Search{mapSearch("sel",
					field("CommandLine", nil, Value{Kind: NullValue}),
					field("ParentCommandLine", nil, str("")),
					field("EventID", nil, Value{Kind: NumberValue, Raw: "4688", Pattern: []PatternPart{lit("4688")}}),
					field("ProcessId", nil, Value{Kind: NumberValue, Raw: "0x1410", Pattern: []PatternPart{lit("0x1410")}}),
					field("User", []Modifier{ModExists}, Value{Kind: BoolValue, Raw: "true"}),
					field("Hashes", []Modifier{ModExists}, Value{Kind: BoolValue, Raw: "false"}),
				)},
				Conditions: cond("sel", ref("sel", 0)),
			},
		},
		{
			// sigma-rules-specification.md, "Escape Character".
			name: "wildcards and escapes",
			det: `  sel:
    Image:
      - 'C:\Windows\System32'
      - 'foo\*bar'
      - 'C:\Windows\\*'
      - 'C:\\\*'
      - 'a?b*'
      - 'what\?'
      - '**x'
      - 'a\\b'
  condition: sel
`,
			want: &Detection{
				Searches: []Search{mapSearch("sel",
					field("Image", nil,
						str(`C:\Windows\System32`, lit(`C:\Windows\System32`)),
						str(`foo\*bar`, lit(`foo*bar`)),
						str(`C:\Windows\\*`, lit(`C:\Windows\`), anyRun),
						str(`C:\\\*`, lit(`C:\*`)),
						str(`a?b*`, lit("a"), anyChar, lit("b"), anyRun),
						str(`what\?`, lit("what?")),
						str(`**x`, anyRun, lit("x")),
						str(`a\\b`, lit(`a\b`)),
					),
				)},
				Conditions: cond("sel", ref("sel", 0)),
			},
		},
		{
			name: "1 of pattern, all of pattern, not",
			det: `  selection_img:
    Image|endswith: '\a.exe'
  selection_cli:
    CommandLine|contains: 'x'
  filter_main:
    User: SYSTEM
  condition: 1 of selection_* and not all of filter*
`,
			want: &Detection{
				Searches: []Search{
					mapSearch("selection_img", field("Image", []Modifier{ModEndsWith}, str(`\a.exe`, lit(`\a.exe`)))),
					mapSearch("selection_cli", field("CommandLine", []Modifier{ModContains}, str("x", lit("x")))),
					mapSearch("filter_main", field("User", nil, str("SYSTEM", lit("SYSTEM")))),
				},
				Conditions: cond("1 of selection_* and not all of filter*", &AndExpr{X: []Expr{
					&OfExpr{Pattern: "selection_*", Searches: []int{0, 1}},
					&NotExpr{X: &OfExpr{All: true, Pattern: "filter*", Searches: []int{2}}},
				}}),
			},
		},
		{
			name: "them skips underscore names; 1 of a name",
			det: `  sel:
    Image: a
  _helper:
    Image: b
  condition: all of them or 1 of _helper
`,
			want: &Detection{
				Searches: []Search{
					mapSearch("sel", field("Image", nil, str("a", lit("a")))),
					mapSearch("_helper", field("Image", nil, str("b", lit("b")))),
				},
				Conditions: cond("all of them or 1 of _helper", &OrExpr{X: []Expr{
					&OfExpr{All: true, Pattern: "them", Searches: []int{0}},
					&OfExpr{Pattern: "_helper", Searches: []int{1}},
				}}),
			},
		},
		{
			name: "nested parentheses",
			det: `  a: {Image: a}
  b: {Image: b}
  c: {Image: c}
  d: {Image: d}
  e: {Image: e}
  condition: (a or b) and not (c and (d or e))
`,
			want: &Detection{
				Searches: []Search{
					mapSearch("a", field("Image", nil, str("a", lit("a")))),
					mapSearch("b", field("Image", nil, str("b", lit("b")))),
					mapSearch("c", field("Image", nil, str("c", lit("c")))),
					mapSearch("d", field("Image", nil, str("d", lit("d")))),
					mapSearch("e", field("Image", nil, str("e", lit("e")))),
				},
				Conditions: cond("(a or b) and not (c and (d or e))", &AndExpr{X: []Expr{
					&OrExpr{X: []Expr{ref("a", 0), ref("b", 1)}},
					&NotExpr{X: &AndExpr{X: []Expr{ref("c", 2), &OrExpr{X: []Expr{ref("d", 3), ref("e", 4)}}}}},
				}}),
			},
		},
		{
			name: "keywords, a list of maps and a condition list",
			det: `  keywords:
    - 'mimikatz'
    - 'sekurlsa::*'
  one: 'evil'
  maps:
    - Image: a
    - Image: b
      User: c
    - 'kw'
  condition:
    - keywords
    - one OR maps
`,
			want: &Detection{
				Searches: []Search{
					{Name: "keywords", Keywords: &FieldMatcher{Values: []Value{
						str("mimikatz", lit("mimikatz")), str("sekurlsa::*", lit("sekurlsa::"), anyRun)}}},
					{Name: "one", Keywords: &FieldMatcher{Values: []Value{str("evil", lit("evil"))}}},
					{Name: "maps",
						Maps: []FieldMap{
							{Fields: []FieldMatcher{field("Image", nil, str("a", lit("a")))}},
							{Fields: []FieldMatcher{field("Image", nil, str("b", lit("b"))), field("User", nil, str("c", lit("c")))}},
						},
						Keywords: &FieldMatcher{Values: []Value{str("kw", lit("kw"))}},
					},
				},
				Conditions: []Condition{
					{Text: "keywords", Expr: ref("keywords", 0)},
					{Text: "one OR maps", Expr: &OrExpr{X: []Expr{ref("one", 1), ref("maps", 2)}}},
				},
			},
		},
		{
			name: "legacy aggregation",
			det: `  sel:
    EventID: 4625
  timeframe: 5m
  condition: sel | count(TargetUserName) by IpAddress > 10
`,
			want: &Detection{
				Searches: []Search{mapSearch("sel", field("EventID", nil, Value{Kind: NumberValue, Raw: "4625", Pattern: []PatternPart{lit("4625")}}))},
				Conditions: []Condition{{
					Text:        "sel | count(TargetUserName) by IpAddress > 10",
					Expr:        ref("sel", 0),
					Aggregation: &Aggregation{Func: "count", Field: "TargetUserName", GroupBy: "IpAddress", Op: ">", Threshold: 10},
				}},
				Timeframe: "5m",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := treeOf(t, ruleWith(tt.det))
			zeroPos(reflect.ValueOf(got))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("tree\n%s\nwant\n%s", dump(got), dump(tt.want))
			}
		})
	}
}

func TestDetectionTreePositions(t *testing.T) {
	// ruleWith's detection key is on line 6.
	d := treeOf(t, ruleWith(`  sel:
    Image|endswith: '\a.exe'
  filter_x:
    User: SYSTEM
  condition: sel and not 1 of filter_*
`))
	check := func(what string, got, want Pos) {
		t.Helper()
		if got != want {
			t.Errorf("%s at %v, want %v", what, got, want)
		}
	}
	check("detection", d.Pos, Pos{7, 3})
	check("search sel", d.Searches[0].Pos, Pos{7, 3})
	check("field Image", d.Searches[0].Maps[0].Fields[0].Pos, Pos{8, 5})
	check("value of Image", d.Searches[0].Maps[0].Fields[0].Values[0].Pos, Pos{8, 21})
	check("field User", d.Searches[1].Maps[0].Fields[0].Pos, Pos{10, 5})
	c := d.Conditions[0]
	check("condition", c.Pos, Pos{11, 14})
	and := c.Expr.(*AndExpr)
	check("and", and.Pos, Pos{11, 14})
	check("sel", and.X[0].Position(), Pos{11, 14})
	not := and.X[1].(*NotExpr)
	check("not", not.Pos, Pos{11, 22})
	check("1 of", not.X.Position(), Pos{11, 26})

	// A quoted condition: columns count from inside the quotes.
	d = treeOf(t, ruleWith("  a: {Image: a}\n  b: {Image: b}\n  condition: 'a or (b)'\n"))
	or := d.Conditions[0].Expr.(*OrExpr)
	check("quoted a", or.X[0].Position(), Pos{9, 15})
	check("quoted b", or.X[1].Position(), Pos{9, 21})

	// A block scalar: every node is at the condition.
	d = treeOf(t, ruleWith("  a: {Image: a}\n  b: {Image: b}\n  condition: >\n    a or\n    b\n"))
	or = d.Conditions[0].Expr.(*OrExpr)
	check("block b", or.X[1].Position(), d.Conditions[0].Pos)
}

func TestFilterRuleTree(t *testing.T) {
	doc := ruleWith("  sel: {Image: a}\n  condition: sel\n") + `---
title: f
logsource:
  category: process_creation
  product: windows
filter:
  rules:
    - 11111111-0000-0000-0000-000000000000
  sel:
    User: SYSTEM
  condition: not sel
`
	l := NewLoader(LoadOptions{})
	l.AddBytes("test.yml", []byte(doc))
	_, rep := l.Compile()
	if len(rep.Failed) > 0 || len(rep.Rules) != 2 {
		t.Fatalf("failed %v, rules %d", rep.Failed, len(rep.Rules))
	}
	got := rep.Rules[1].Detection()
	zeroPos(reflect.ValueOf(got))
	want := &Detection{
		Searches:   []Search{mapSearch("sel", field("User", nil, str("SYSTEM", lit("SYSTEM"))))},
		Conditions: cond("not sel", &NotExpr{X: ref("sel", 0)}),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("filter tree\n%s\nwant\n%s", dump(got), dump(want))
	}
}

// TestDetectionErrorOrder checks that of several errors in a rule the
// first in the file is reported, whichever of the parser (structure,
// modifiers, condition) and the compiler (what values mean) finds it.
func TestDetectionErrorOrder(t *testing.T) {
	tests := []struct {
		name string
		det  string
		err  error
		line int
	}{
		{"compiler's error first", "  a:\n    Hash|re: '('\n  b:\n    X|bogus: 1\n  condition: a or b\n", ErrRegexp, 8},
		{"parser's error first", "  a:\n    X|bogus: 1\n  b:\n    Hash|re: '('\n  condition: a or b\n", ErrModifier, 8},
		{"same map", "  a:\n    Ip|cidr: nonsense\n    X|contains|endswith: 1\n  condition: a\n", ErrValue, 8},
		{"value before missing condition", "  a:\n    N|gt: many\n", ErrValue, 8},
		{"missing condition", "  a:\n    N|gt: 1\n", ErrCondition, 7},
		{"undefined search", "  a:\n    N|gt: 1\n  condition: a and b\n", ErrCondition, 9},
		{"keyword null", "  a:\n    - x\n    - null\n  condition: a\n", ErrValue, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLoader(LoadOptions{})
			l.AddBytes("test.yml", []byte(ruleWith(tt.det)))
			_, rep := l.Compile()
			if len(rep.Failed) != 1 {
				t.Fatalf("failed = %v, want one error", rep.Failed)
			}
			e := rep.Failed[0]
			if !errors.Is(e, tt.err) || e.Line != tt.line {
				t.Errorf("error %v (line %d), want %v at line %d", e, e.Line, tt.err, tt.line)
			}
		})
	}
}

func TestModifierNames(t *testing.T) {
	for name, m := range modifierByName {
		if m.String() != name {
			t.Errorf("%q parses to %v", name, m)
		}
	}
	if len(modifierByName) != int(ModYear) {
		t.Errorf("%d names for %d modifiers", len(modifierByName), ModYear)
	}
}

// checkTree checks the invariants of a loaded rule's detection tree.
func checkTree(d *Detection) error {
	if len(d.Searches) == 0 || len(d.Conditions) == 0 {
		return fmt.Errorf("%d searches, %d conditions", len(d.Searches), len(d.Conditions))
	}
	for _, s := range d.Searches {
		if len(s.Maps) == 0 && s.Keywords == nil {
			return fmt.Errorf("search %q is empty", s.Name)
		}
		if s.Pos.Line < 1 {
			return fmt.Errorf("search %q has no position", s.Name)
		}
		fms := []*FieldMatcher{}
		for _, m := range s.Maps {
			if len(m.Fields) == 0 {
				return fmt.Errorf("search %q has an empty map", s.Name)
			}
			for i := range m.Fields {
				fms = append(fms, &m.Fields[i])
			}
		}
		if s.Keywords != nil {
			if s.Keywords.Field != "" || len(s.Keywords.Modifiers) > 0 {
				return fmt.Errorf("search %q: keywords with field %q, modifiers %v", s.Name, s.Keywords.Field, s.Keywords.Modifiers)
			}
			fms = append(fms, s.Keywords)
		}
		for _, f := range fms {
			if len(f.Values) == 0 || f.Pos.Line < 1 {
				return fmt.Errorf("search %q field %q: %d values, at %v", s.Name, f.Field, len(f.Values), f.Pos)
			}
			ms := readModifiers(f.Modifiers)
			for _, v := range f.Values {
				want := []PatternPart(nil)
				if ms.stringCompared() && v.Kind != NullValue {
					want = wildcardPattern(v.Raw)
				}
				if !reflect.DeepEqual(v.Pattern, want) {
					return fmt.Errorf("search %q field %q value %q: pattern %v, want %v", s.Name, f.Field, v.Raw, v.Pattern, want)
				}
				if v.Pos.Line < 1 {
					return fmt.Errorf("search %q field %q value %q has no position", s.Name, f.Field, v.Raw)
				}
			}
		}
	}
	var walk func(e Expr) error
	walk = func(e Expr) error {
		switch x := e.(type) {
		case *AndExpr:
			for _, y := range x.X {
				if err := walk(y); err != nil {
					return err
				}
			}
		case *OrExpr:
			for _, y := range x.X {
				if err := walk(y); err != nil {
					return err
				}
			}
		case *NotExpr:
			return walk(x.X)
		case *SearchRef:
			if x.Index < 0 || x.Index >= len(d.Searches) || d.Searches[x.Index].Name != x.Name {
				return fmt.Errorf("reference %q to search %d", x.Name, x.Index)
			}
		case *OfExpr:
			if len(x.Searches) == 0 || !x.IsPattern() && len(x.Searches) != 1 {
				return fmt.Errorf("%q covers %v", x.Pattern, x.Searches)
			}
			for _, i := range x.Searches {
				if i < 0 || i >= len(d.Searches) {
					return fmt.Errorf("%q covers search %d", x.Pattern, i)
				}
			}
		default:
			return fmt.Errorf("condition node %T", e)
		}
		if e.Position().Line < 1 {
			return fmt.Errorf("condition node %T has no position", e)
		}
		return nil
	}
	for _, c := range d.Conditions {
		if err := walk(c.Expr); err != nil {
			return fmt.Errorf("condition %q: %v", c.Text, err)
		}
	}
	return nil
}

// checkConditionPositions checks, for conditions written on one line, that
// each node's position in the file is where its text starts. It returns
// the number of nodes checked.
func checkConditionPositions(lines []string, d *Detection) (int, error) {
	n := 0
	for _, c := range d.Conditions {
		if c.Pos.Line < 1 || c.Pos.Line > len(lines) {
			return n, fmt.Errorf("condition %q at %v, outside the file", c.Text, c.Pos)
		}
		at := func(p Pos) string {
			r := []rune(lines[p.Line-1])
			if p.Column < 1 || p.Column > len(r) {
				return ""
			}
			return string(r[p.Column-1:])
		}
		rest := at(c.Pos)
		if !strings.HasPrefix(rest, c.Text) && !strings.HasPrefix(rest, "'"+c.Text) && !strings.HasPrefix(rest, `"`+c.Text) {
			continue // not on one line as written
		}
		var walk func(e Expr) error
		walk = func(e Expr) error {
			s := strings.ToLower(at(e.Position()))
			n++
			switch x := e.(type) {
			case *AndExpr:
				for _, y := range x.X {
					if err := walk(y); err != nil {
						return err
					}
				}
			case *OrExpr:
				for _, y := range x.X {
					if err := walk(y); err != nil {
						return err
					}
				}
			case *NotExpr:
				if !strings.HasPrefix(s, "not") {
					return fmt.Errorf("not at %v: %q", x.Pos, s)
				}
				return walk(x.X)
			case *SearchRef:
				if !strings.HasPrefix(s, strings.ToLower(x.Name)) {
					return fmt.Errorf("%s at %v: %q", x.Name, x.Pos, s)
				}
			case *OfExpr:
				if !strings.HasPrefix(s, "1") && !strings.HasPrefix(s, "all") {
					return fmt.Errorf("of %s at %v: %q", x.Pattern, x.Pos, s)
				}
			}
			return nil
		}
		if err := walk(c.Expr); err != nil {
			return n, fmt.Errorf("condition %q: %v", c.Text, err)
		}
	}
	return n, nil
}

// TestCorpusDetectionTrees loads every SigmaHQ rule folder and checks the
// tree of every loaded detection and filter rule: non-empty, references
// resolved, patterns and positions set, condition positions on the text
// they name. (That the matcher compiled from the tree behaves as before is
// the regression samples' and the golden outputs' job.)
func TestCorpusDetectionTrees(t *testing.T) {
	shared := sharedDir(t)
	dirs, _ := filepath.Glob(filepath.Join(shared, "sigma", "rules*"))
	l := NewLoader(LoadOptions{})
	for _, d := range dirs {
		l.AddPath(d)
	}
	_, rep := l.Compile()
	files := map[string][]string{}
	trees, nodes := 0, 0
	for _, r := range rep.Rules {
		d := r.Detection()
		if r.Kind == KindCorrelation {
			if d != nil {
				t.Errorf("%s: correlation %q has a detection tree", r.Path, r.Title)
			}
			continue
		}
		if d == nil {
			t.Errorf("%s: %s rule %q has no detection tree", r.Path, r.Kind, r.Title)
			continue
		}
		trees++
		if err := checkTree(d); err != nil {
			t.Errorf("%s: %v", r.Path, err)
		}
		lines, ok := files[r.Path]
		if !ok {
			data, err := os.ReadFile(r.Path)
			if err != nil {
				t.Fatal(err)
			}
			lines = strings.Split(string(data), "\n")
			files[r.Path] = lines
		}
		n, err := checkConditionPositions(lines, d)
		if err != nil {
			t.Errorf("%s: %v", r.Path, err)
		}
		nodes += n
	}
	t.Logf("%d trees checked, %d condition nodes at their text", trees, nodes)
	if trees < 3000 {
		t.Errorf("only %d trees", trees)
	}
}

// FuzzDetectionTree loads arbitrary rule files: loading never panics, and
// every rule that loads has a well-formed tree.
func FuzzDetectionTree(f *testing.F) {
	f.Add([]byte(ruleWith("  sel:\n    Image|endswith: '\\a.exe'\n  filter_x:\n    User: SYSTEM\n  condition: sel and not 1 of filter_*\n")))
	f.Add([]byte(ruleWith("  k:\n    - 'a*b\\\\*'\n    - 'x?'\n  m:\n    - A|contains|all: [a, b]\n    - B: null\n  condition: (k or m) and not all of them\n")))
	f.Add([]byte(ruleWith("  sel: {EventID: 4625}\n  timeframe: 5m\n  condition: sel | count(User) by Ip > 10\n")))
	f.Add([]byte(ruleWith("  a:\n    Hash|re|i: '^ab'\n    Ip|cidr: 10.0.0.0/8\n    N|gte: 3\n    U|fieldref: V\n    F|windash|base64offset|contains: ' -x'\n  condition:\n    - a\n    - '1 of a*'\n")))
	if files, err := filepath.Glob(filepath.Join("testdata", "rules", "*.yml")); err == nil {
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		l := NewLoader(LoadOptions{})
		l.AddBytes("fuzz.yml", data)
		_, rep := l.Compile()
		lines := strings.Split(string(data), "\n")
		for _, r := range rep.Rules {
			if r.Kind == KindCorrelation {
				continue
			}
			d := r.Detection()
			if d == nil {
				t.Fatalf("%s rule %q has no tree", r.Kind, r.Title)
			}
			if err := checkTree(d); err != nil {
				t.Fatal(err)
			}
			if _, err := checkConditionPositions(lines, d); err != nil {
				t.Fatal(err)
			}
		}
	})
}
