package sigma

import (
	"encoding/json"
	"errors"
	"reflect"
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
