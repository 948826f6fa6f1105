package kqlhunt

import (
	"errors"
	"testing"

	"github.com/loghunt/loghunt/hunt/kql"
	"github.com/loghunt/loghunt/hunt/rules"
)

// TestParseReportsFilePositions: a query that does not parse is reported at
// the line and column of the error in its file, not in the query. The
// positions were counted by hand in each file below.
func TestParseReportsFilePositions(t *testing.T) {
	tests := []struct {
		name, file, data string
		line, col        int
		msg              string
	}{
		{
			name: "literal block", file: "failed_logons.yaml",
			data: "id: q-a\n" +
				"name: failed logons\n" +
				"severity: Medium\n" +
				"query: |\n" +
				"  SecurityEvent\n" +
				"  | wher EventID == 4625\n" +
				"  | take 10\n",
			line: 6, col: 5, msg: `unknown tabular operator "wher"`,
		},
		{
			// The acceptance case of issue 10: a syntax error on line 5 of
			// a Sentinel YAML file (line 2 of the query) is at line 5.
			name: "line 5", file: "line5.yaml",
			data: "id: q-5\n" +
				"name: line five\n" +
				"query: |\n" +
				"  SecurityEvent\n" +
				"  | where EventID == )\n",
			line: 5, col: 22, msg: `unexpected ")"`,
		},
		{
			name: "strip chomping, blank first line, deeper indent", file: "b.yaml",
			data: "id: q-b\n" +
				"query: |-\n" +
				"\n" +
				"    SecurityEvent\n" +
				"    | where EventID == )\n" +
				"severity: High\n",
			line: 5, col: 24, msg: `unexpected ")"`,
		},
		{
			name: "explicit indentation", file: "c.yaml",
			data: "id: q-c\n" +
				"query: |2\n" +
				"    SecurityEvent\n" +
				"  | where EventID == )\n",
			line: 4, col: 22, msg: `unexpected ")"`,
		},
		{
			name: "double-quoted", file: "d.yaml",
			data: "id: q-d\n" +
				`query: "SecurityEvent | where EventID == )"` + "\n",
			line: 2, col: 42, msg: `unexpected ")"`,
		},
		{
			name: "plain", file: "e.yaml",
			data: "name: e\n" +
				"query: SecurityEvent | wher x\n",
			line: 2, col: 24, msg: `unknown tabular operator "wher"`,
		},
		{
			// Folded lines are joined in the query: the error is past the
			// first line, so it is reported where the query starts.
			name: "folded", file: "f.yaml",
			data: "id: q-f\n" +
				"query: >\n" +
				"  SecurityEvent\n" +
				"  | where EventID == )\n",
			line: 3, col: 3, msg: `unexpected ")"`,
		},
		{
			name: "kql file", file: "g.kql",
			data: "SecurityEvent\n| where EventID == )\n",
			line: 2, col: 20, msg: `unexpected ")"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := rules.ParseKQL(rules.File{Path: "rules/" + tt.file, Name: tt.file, Data: []byte(tt.data), Kind: rules.KindKQL})
			if err != nil {
				t.Fatal(err)
			}
			_, sk := Parse(d)
			if sk == nil {
				t.Fatal("query parsed")
			}
			if sk.Path != "rules/"+tt.file || sk.Line != tt.line || sk.Column != tt.col || sk.Reason != "query does not parse: "+tt.msg || sk.RuleID != d.ID {
				t.Errorf("got %+v, want %d:%d %q", *sk, tt.line, tt.col, tt.msg)
			}
			var se *kql.SyntaxError
			if !errors.As(sk, &se) || se.Line != tt.line || se.Col != tt.col || se.Msg != tt.msg {
				t.Errorf("cause %#v, want a *kql.SyntaxError at %d:%d", se, tt.line, tt.col)
			}
		})
	}
}

// TestParseCommandLine: a query not from a file keeps its own positions.
func TestParseCommandLine(t *testing.T) {
	_, sk := Parse(&rules.KQL{ID: "query", Query: "SecurityEvent\n| where EventID == )", Path: "command line"})
	if sk == nil || sk.Line != 2 || sk.Column != 20 || sk.Error() != `command line:2:20 [query]: query does not parse: unexpected ")"` {
		t.Fatalf("got %v", sk)
	}
}
