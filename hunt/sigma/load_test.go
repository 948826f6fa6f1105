package sigma

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"
)

func TestLoadReport(t *testing.T) {
	withID := func(id, det string) []byte {
		return []byte(strings.Replace(ruleWith(det), "11111111-0000-0000-0000-000000000000", id, 1))
	}
	good := "  s:\n    Image: a\n  condition: s\n"
	fsys := fstest.MapFS{
		"r/good.yml":         {Data: withID("id-good", good)},
		"r/badmod.yml":       {Data: withID("id-badmod", "  s:\n    Image|frobnicate: a\n  condition: s")},
		"r/badyaml.yml":      {Data: []byte("title: x\ndetection: [\n")},
		"r/z_dup.yml":        {Data: withID("id-good", good)},
		"r/notes.txt":        {Data: []byte("not a rule")},
		"r/sub/linux.yaml":   {Data: []byte("title: l\nid: id-linux\nlogsource:\n  product: linux\n  service: auditd\ndetection:\n  s:\n    a: b\n  condition: s\n")},
		"r/sub/nodetect.yml": {Data: []byte("title: l\nlogsource:\n  product: linux\n")},
		"r/sub/two.yml":      {Data: append(append(withID("id-two-a", good), "---\n"...), withID("id-two-b", "  s:\n    Image: a\n  condition: t\n")...)},
	}
	l := NewLoader(LoadOptions{})
	l.AddFS(fsys, "r")
	l.AddFS(fsys, "missing")
	rs, rep := l.Compile()

	if rep.Files != 7 {
		t.Errorf("files = %d, want 7 (the .txt is not a rule)", rep.Files)
	}
	var ids []string
	for _, r := range rs.Rules() {
		ids = append(ids, r.ID)
	}
	if strings.Join(ids, ",") != "id-good,id-linux,id-two-a" || rep.Detection != 3 {
		t.Errorf("loaded %v (count %d), want id-good,id-linux,id-two-a", ids, rep.Detection)
	}
	if len(rep.Unrouted) != 1 || rep.Unrouted[0].RuleID != "id-linux" {
		t.Errorf("unrouted = %+v, want the linux rule", rep.Unrouted)
	}
	want := map[string]struct {
		err  error
		line int
	}{
		"r/badmod.yml":       {ErrModifier, 8},
		"r/badyaml.yml":      {ErrYAML, 2},
		"r/z_dup.yml":        {ErrDuplicateID, 1},
		"r/sub/nodetect.yml": {ErrYAML, 1},
		"r/sub/two.yml":      {ErrCondition, 19},
		"missing":            {ErrUnreadable, 0},
	}
	got := map[string]*LoadError{}
	for _, f := range rep.Failed {
		got[f.Path] = f
	}
	if len(rep.Failed) != len(want) {
		t.Errorf("failed = %v, want %d failures", rep.Failed, len(want))
	}
	for p, w := range want {
		f, ok := got[p]
		if !ok {
			t.Errorf("%s: not reported as failed (failed: %v)", p, rep.Failed)
			continue
		}
		if !errors.Is(f, w.err) || f.Line != w.line {
			t.Errorf("%s: %v at line %d, want %v at line %d", p, f, f.Line, w.err, w.line)
		}
	}
	if !strings.Contains(got["r/z_dup.yml"].Error(), "r/good.yml") {
		t.Errorf("duplicate does not name the first file: %v", got["r/z_dup.yml"])
	}
}

func TestLoadFailuresHavePositions(t *testing.T) {
	cases := []struct {
		name, det string
		err       error
		line, col int
	}{
		{"unknown modifier", "  s:\n    Image|frobnicate: a\n  condition: s", ErrModifier, 8, 5},
		{"undefined search", "  s:\n    Image: a\n  condition: s and nosuch", ErrCondition, 9, 14},
		{"bad regexp", "  s:\n    Image|re: '(?<=a)b'\n  condition: s", ErrRegexp, 8, 5},
		{"null in list", "  s:\n    Image:\n      - a\n      - null\n  condition: s", ErrValue, 8, 5},
		{"conflicting modifiers", "  s:\n    Image|contains|endswith: a\n  condition: s", ErrModifier, 8, 5},
		{"bad cidr", "  s:\n    Ip|cidr: 300.1.1.1/8\n  condition: s", ErrValue, 8, 5},
		{"missing condition", "  s:\n    Image: a\n", ErrCondition, 7, 3},
		{"pattern matches nothing", "  s:\n    Image: a\n  condition: 1 of filter_*", ErrCondition, 9, 14},
		{"near is obsolete", "  s:\n    Image: a\n  condition: s | near s", ErrCondition, 9, 14},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLoader(LoadOptions{})
			l.AddBytes("x.yml", []byte(ruleWith(tt.det)))
			_, rep := l.Compile()
			if len(rep.Failed) != 1 {
				t.Fatalf("failed = %v, want one", rep.Failed)
			}
			f := rep.Failed[0]
			if !errors.Is(f, tt.err) || f.Line != tt.line || f.Column != tt.col {
				t.Errorf("got %v (line %d col %d), want %v at %d:%d", f, f.Line, f.Column, tt.err, tt.line, tt.col)
			}
			if f.RuleID == "" || f.Title == "" {
				t.Errorf("failure lacks rule id/title: %+v", f)
			}
		})
	}
}

// TestSelection: Select sees every detection and correlation rule (not
// filters) with its id, name, level, status and tags; what it drops is in
// Report.Skipped with the reason and counted by option in SkippedBy.
func TestSelection(t *testing.T) {
	mk := func(id, level, status, tags string) string {
		return "title: r" + id + "\nid: " + id + "\nlevel: " + level + "\nstatus: " + status + "\ntags: [" + tags + "]\nlogsource: {category: process_creation, product: windows}\ndetection:\n  s:\n    Image: a\n  condition: s\n"
	}
	filter := "title: f\nid: f\nlogsource: {category: process_creation, product: windows}\nfilter:\n  rules: [a]\n  selection:\n    User: x\n  condition: not selection\n"
	docs := mk("a", "low", "stable", "attack.t1") + "---\n" + mk("b", "High", "test", "attack.t2") + "---\n" + mk("c", "", "stable", "attack.t2") + "---\n" + filter
	var seen []string
	l := NewLoader(LoadOptions{Select: func(id, name, level, status string, tags []string) (string, string) {
		seen = append(seen, fmt.Sprintf("%s/%s/%s/%v", id, level, status, tags))
		switch id {
		case "b":
			return "level high too high", "max-level"
		case "c":
			return "no level", "min-level"
		}
		return "", ""
	}})
	l.AddBytes("multi.yml", []byte(docs))
	rs, rep := l.Compile()
	if want := "a/low/stable/[attack.t1] b/High/test/[attack.t2] c//stable/[attack.t2]"; strings.Join(seen, " ") != want {
		t.Errorf("Select saw %q, want %q", strings.Join(seen, " "), want)
	}
	var got string
	for _, r := range rs.Rules() {
		got += r.ID
	}
	if got != "a" || rep.Filter != 1 {
		t.Errorf("loaded %q and %d filters, want a and 1 (a filter is never selected out)", got, rep.Filter)
	}
	if len(rep.Skipped) != 2 || rep.Skipped[0].RuleID != "b" || rep.Skipped[0].Reason != "level high too high" || rep.Skipped[1].Title != "rc" {
		t.Errorf("skipped = %+v", rep.Skipped)
	}
	if rep.SkippedBy["max-level"] != 1 || rep.SkippedBy["min-level"] != 1 || len(rep.SkippedBy) != 2 {
		t.Errorf("skipped by = %v", rep.SkippedBy)
	}
}

// FuzzGlob checks the wildcard matcher against regexp.
func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{{"a*b", "axxb"}, {"*\\cmd.exe", "c:\\cmd.exe"}, {"a?c*", "abcd"}, {"**a", "ba"}, {"a\\*", "a*"}, {"é?x", "éyx"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pat, s string) {
		toks := parseWildcards(pat)
		if !utf8.ValidString(pat) || !utf8.ValidString(s) {
			// regexp cannot be the oracle for invalid UTF-8; the
			// matcher must still not panic on it.
			p := newStrPattern(append([]token(nil), toks...), false)
			p.match(s)
			return
		}
		var re strings.Builder
		re.WriteString("(?s)^")
		for _, tk := range toks {
			switch tk.kind {
			case tokStar:
				re.WriteString(".*")
			case tokOne:
				re.WriteString(".")
			default:
				re.WriteString(regexp.QuoteMeta(tk.lit))
			}
		}
		re.WriteString("$")
		want := regexp.MustCompile(re.String()).MatchString(s)
		p := newStrPattern(append([]token(nil), toks...), false)
		if got := p.match(s); got != want {
			t.Errorf("pattern %q on %q: got %v, want %v (%s)", pat, s, got, want, re.String())
		}
	})
}
