package tuning

import (
	"errors"
	"testing"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/sigma"
	"github.com/loghunt/loghunt/parsers"
)

const sysmon = "Microsoft-Windows-Sysmon/Operational"

func proc(kv ...string) *parsers.Event {
	e := &parsers.Event{Channel: sysmon, EventID: 1, Computer: "WS1"}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Add(kv[i], kv[i+1])
	}
	return e
}

var (
	panda   = &hunt.Rule{ID: "panda", Engine: "sigma", Title: "Panda"}
	pandaKQ = &hunt.Rule{ID: "panda", Engine: "kql", Title: "Panda"}
	twin    = &hunt.Rule{ID: "k-77", Detection: "azure", Engine: "kql"}
	other   = &hunt.Rule{ID: "other", Engine: "sigma"}
)

const file = `exclusions:
  - name: veeam
    rules: [PANDA, azure]
    detection:
      parent:
        ParentImage|endswith: '\veeambackup.exe'
      condition: parent
  - name: archive-words
    rule: panda
    detection:
      ps:
        Image|endswith: '\powershell.exe'
      words:
        CommandLine|contains|all: [archive, log]
      condition: ps and words
global:
  - name: lab
    detection:
      lab:
        Host|startswith: 'LAB-'
      condition: lab
  - name: also-veeam
    detection:
      parent:
        ParentImage|endswith: '\veeambackup.exe'
      condition: parent
`

// TestSetMatch: an exclusion covers the rules it names (by id or
// detection id, any case), global ones every rule; the first that matches
// in file order (per-rule, then global) is the one; a hit without an
// event is never suppressed.
func TestSetMatch(t *testing.T) {
	s, err := Parse("t.yml", []byte(file), Options{})
	if err != nil {
		t.Fatal(err)
	}
	veeam := proc("ParentImage", `C:\Veeam\VeeamBackup.exe`, "CommandLine", "7za a 1.7z")
	ps := proc("Image", `C:\x\PowerShell.exe`, "CommandLine", "Archive-Logs.ps1")
	psNoLog := proc("Image", `C:\x\powershell.exe`, "CommandLine", "Archive-Data.ps1")
	lab := proc("Host", "lab-07", "ParentImage", `C:\Windows\explorer.exe`)
	tests := []struct {
		name string
		hit  *hunt.Hit
		want string // exclusion name, "" for none
	}{
		{"per-rule by id", &hunt.Hit{Rule: panda, Event: veeam}, "veeam"},
		{"kql form of the same id", &hunt.Hit{Rule: pandaKQ, Event: veeam}, "veeam"},
		{"by detection id", &hunt.Hit{Rule: twin, Event: veeam}, "veeam"},
		{"other rule: only the global copy", &hunt.Hit{Rule: other, Event: veeam}, "also-veeam"},
		{"all words", &hunt.Hit{Rule: panda, Event: ps}, "archive-words"},
		{"one word missing", &hunt.Hit{Rule: panda, Event: psNoLog}, ""},
		{"words, other rule", &hunt.Hit{Rule: other, Event: ps}, ""},
		{"global", &hunt.Hit{Rule: other, Event: lab}, "lab"},
		{"no event (correlation)", &hunt.Hit{Rule: panda, Related: []*parsers.Event{veeam}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if ex := s.Match(tt.hit); ex != nil {
				got = ex.Name
			}
			if got != tt.want {
				t.Errorf("Match = %q, want %q", got, tt.want)
			}
		})
	}

	f := s.Filter()
	for _, h := range []*hunt.Hit{{Rule: panda, Event: veeam}, {Rule: pandaKQ, Event: veeam}, {Rule: other, Event: ps}, {Rule: other, Event: lab}} {
		f.Keep(h)
	}
	want := []Count{{"veeam", 2}, {"archive-words", 0}, {"lab", 1}, {"also-veeam", 0}}
	got := f.Counts()
	if len(got) != len(want) {
		t.Fatalf("counts = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("count %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	unknown := s.UnknownRules(func(ref string) bool { return ref == "PANDA" || ref == "panda" })
	if len(unknown) != 1 || unknown[0] != `t.yml:3:20: exclusion "veeam" names rule "azure", which is not loaded` {
		t.Errorf("unknown = %q", unknown)
	}
}

// TestParseYAMLSyntax: a YAML syntax error keeps the line yaml.v3 names
// in its message (it has no typed position).
func TestParseYAMLSyntax(t *testing.T) {
	_, err := Parse("t.yml", []byte("global:\n  - name: [x\n"), Options{})
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrSyntax) || e.Line == 0 || e.Column != 0 {
		t.Fatalf("err = %v", err)
	}
}

// TestParseErrors: every problem is an *Error at its line and column,
// with its cause.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		line, col int
		cause     error
	}{
		{"empty", "", 0, 0, ErrSyntax},
		{"not a mapping", "- a\n", 1, 1, ErrSyntax},
		{"unknown top key", "exclusion:\n  - name: x\n", 1, 1, ErrSyntax},
		{"list expected", "global: x\n", 1, 9, ErrSyntax},
		{"no name", "global:\n  - detection: {s: {A: b}, condition: s}\n", 2, 5, ErrSyntax},
		{"rules in global", "global:\n  - name: x\n    rules: [a]\n", 3, 5, ErrSyntax},
		{"no rules", "exclusions:\n  - name: x\n    detection: {s: {A: b}, condition: s}\n", 2, 5, ErrSyntax},
		{"empty rules", "exclusions:\n  - name: x\n    rules: []\n    detection: {s: {A: b}, condition: s}\n", 3, 5, ErrSyntax},
		{"no detection", "global:\n  - name: x\n", 2, 5, ErrSyntax},
		{"duplicate name", "global:\n  - name: x\n    detection: {s: {A: b}, condition: s}\n  - name: X\n    detection: {s: {A: b}, condition: s}\n", 4, 5, ErrSyntax},
		{"bad modifier", "global:\n  - name: x\n    detection:\n      s:\n        A|nope: b\n      condition: s\n", 5, 9, sigma.ErrModifier},
		{"bad condition", "global:\n  - name: x\n    detection:\n      s:\n        A: b\n      condition: s or t\n", 6, 18, sigma.ErrCondition},
		{"aggregation", "global:\n  - name: x\n    detection:\n      s:\n        A: b\n      condition: s | count() > 1\n", 6, 18, sigma.ErrUnsupported},
		{"two documents", "global:\n---\nglobal:\n", 2, 1, ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.yml", []byte(tt.src), Options{})
			var e *Error
			if s != nil || !errors.As(err, &e) {
				t.Fatalf("Parse = %v, %v; want an *Error", s, err)
			}
			if e.Path != "t.yml" || e.Line != tt.line || (tt.col != 0 && e.Column != tt.col) || !errors.Is(err, tt.cause) {
				t.Errorf("err = %v (at %d:%d), want t.yml:%d:%d and %v", err, e.Line, e.Column, tt.line, tt.col, tt.cause)
			}
		})
	}
}

// FuzzParse: Parse never panics; it returns a Set or an *Error, never
// both, and a Set's exclusions each have a name and a matcher.
func FuzzParse(f *testing.F) {
	f.Add([]byte(file))
	f.Add([]byte("global:\n  - name: x\n    detection: {s: {A|re: '(a+)+'}, condition: s}\n"))
	f.Add([]byte("exclusions: ~\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f.yml", data, Options{})
		if (s == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v", s, err)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err %T %v is not an *Error", err, err)
			}
			return
		}
		for _, ex := range s.Exclusions {
			if ex.Name == "" || ex.match == nil || !ex.Global && len(ex.Rules) == 0 {
				t.Fatalf("exclusion %+v", ex)
			}
			s.Match(&hunt.Hit{Rule: panda, Event: proc("A", "b")})
		}
	})
}
