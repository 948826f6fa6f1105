package kql

import (
	"fmt"
	"testing"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// TestUses: only the main pipeline's source table gets a filter (the
// row-local conjuncts of its leading where clauses) and, when an operator
// names the output columns before rows are passed on whole, the columns.
func TestUses(t *testing.T) {
	tests := []struct {
		src        string
		table      string
		filter     bool
		filterCols string
		cols       string
		keep, lose []any // rows of (A, B, C) the filter keeps and rejects
	}{
		{src: `T | where Timestamp > ago(7d) | where A == 1 | top 10 by Timestamp desc`, table: "T", filter: true, filterCols: "[A]", cols: "[]",
			keep: []any{int64(1), "", ""}, lose: []any{int64(2), "", ""}},
		{src: `T | where A == 1 and B has "x" | project A, C`, table: "T", filter: true, filterCols: "[A B]", cols: "[A B C]",
			keep: []any{int64(1), "a x b", ""}, lose: []any{int64(1), "axb", ""}},
		{src: `T | where A == 1 or B == "y" | summarize count() by C`, table: "T", filter: true, filterCols: "[A B]", cols: "[A B C]",
			keep: []any{int64(2), "y", ""}, lose: []any{int64(2), "z", ""}},
		{src: "let x = 1;\nT | where A == x | project A", table: "T", cols: "[A x]"}, // names, not all columns
		{src: `T | join (T) on A | where B == "y"`, table: "T", cols: "[]"},
		{src: `T | where A in ((U | project A)) | count`, table: "T", cols: "[]"}, // a subquery: every column
		{src: `T | where A == 1 | project-away B`, table: "T", filter: true, filterCols: "[A]", cols: "[]",
			keep: []any{int64(1), "", ""}, lose: []any{nil, "", ""}},
		{src: `T | where A == 1 | project pack_all()`, table: "T", filter: true, filterCols: "[A]", cols: "[]",
			keep: []any{int64(1), "", ""}, lose: []any{int64(0), "", ""}},
	}
	cols := []value.Column{{Name: "A", Type: value.Long}, {Name: "B", Type: value.String}, {Name: "C", Type: value.String}}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			var u *TableUse
			uses := mustParse(t, tt.src).Uses(nil)
			for i := range uses {
				if uses[i].Table == tt.table {
					u = &uses[i]
				}
			}
			if u == nil {
				t.Fatalf("no use of %s in %v", tt.table, uses)
			}
			if (u.Filter != nil) != tt.filter {
				t.Fatalf("filter %v, want one: %v", u.Filter, tt.filter)
			}
			if got := fmt.Sprint(u.Columns); got != tt.cols {
				t.Errorf("columns %s, want %s", got, tt.cols)
			}
			if !tt.filter {
				return
			}
			if got := fmt.Sprint(u.FilterColumns); got != tt.filterCols {
				t.Errorf("filter columns %s, want %s", got, tt.filterCols)
			}
			f := CompileFilter(u.Filter, cols)
			if f == nil {
				t.Fatal("filter does not compile")
			}
			if !f(tt.keep) || f(tt.lose) {
				t.Errorf("filter keeps %v: %v, %v: %v", tt.keep, f(tt.keep), tt.lose, f(tt.lose))
			}
		})
	}
	// a filter naming a column the table lacks is not compiled
	u := mustParse(t, `T | where D == 1`).Uses(nil)
	if CompileFilter(u[0].Filter, cols) != nil {
		t.Error("filter over a missing column compiled")
	}
}
