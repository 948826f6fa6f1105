package sigma

import (
	"slices"
	"testing"
)

func TestFilterRules(t *testing.T) {
	rule := "title: rar\nid: rar-1\nname: rar\nlogsource: {category: process_creation, product: windows}\ndetection:\n  s:\n    Image|endswith: '\\rar.exe'\n  condition: s\n"
	filter := `title: Filter admin accounts
id: flt-1
logsource:
  category: process_creation
  product: windows
filter:
  rules:
    - rar-1
    - not-loaded-rule
  selection:
    User|startswith: 'adm_'
  condition: selection
`
	l := NewLoader(LoadOptions{})
	l.AddBytes("r.yml", []byte(rule))
	l.AddBytes("f.yml", []byte(filter))
	rs, rep := l.Compile()
	if len(rep.Failed) > 0 || rep.Filter != 1 || rep.Detection != 1 {
		t.Fatalf("load: %+v", rep)
	}
	if len(rep.Warnings) != 1 || rep.Warnings[0].RuleID != "flt-1" {
		t.Errorf("warnings = %+v, want the unknown rule noted", rep.Warnings)
	}
	if got := hits(rs, proc("Image", `C:\x\rar.exe`, "User", "ADM_bob")); len(got) != 0 {
		t.Errorf("filtered event hit %v", got)
	}
	if got := hits(rs, proc("Image", `C:\x\rar.exe`, "User", "bob")); !slices.Equal(got, []string{"rar-1"}) {
		t.Errorf("unfiltered event hits %v", got)
	}
	if got := hits(rs, proc("Image", `C:\x\rar.exe`)); !slices.Equal(got, []string{"rar-1"}) {
		t.Errorf("event without User hits %v", got)
	}

	// A filter's own condition can negate and combine searches.
	l = NewLoader(LoadOptions{})
	l.AddBytes("r.yml", []byte(rule))
	l.AddBytes("f.yml", []byte("title: f\nlogsource: {product: windows}\nfilter:\n  rules: [rar]\n  a:\n    User: x\n  b:\n    CommandLine|contains: backup\n  condition: a and not b\n"))
	rs, rep = l.Compile()
	if len(rep.Failed) > 0 {
		t.Fatalf("load: %v", rep.Failed)
	}
	if len(hits(rs, proc("Image", `C:\rar.exe`, "User", "x", "CommandLine", "y"))) != 0 {
		t.Error("filter a and not b should suppress")
	}
	if len(hits(rs, proc("Image", `C:\rar.exe`, "User", "x", "CommandLine", "backup"))) != 1 {
		t.Error("filter a and not b should not suppress when b")
	}

	// A broken filter is a load failure, positioned.
	l = NewLoader(LoadOptions{})
	l.AddBytes("f.yml", []byte("title: f\nlogsource: {product: windows}\nfilter:\n  rules: [rar]\n  a:\n    User|bogus: x\n  condition: a\n"))
	if _, rep := l.Compile(); len(rep.Failed) != 1 || rep.Failed[0].Line != 6 {
		t.Errorf("broken filter: %v", rep.Failed)
	}
}
