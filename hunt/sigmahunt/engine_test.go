package sigmahunt

import (
	"testing"

	"github.com/loghunt/loghunt/hunt/rules"
)

// TestNewSelects: the Selection decides which Sigma rules load, and what
// it leaves out is in the report with its reason and option.
func TestNewSelects(t *testing.T) {
	rule := func(id, level string) string {
		return "title: r" + id + "\nid: " + id + "\nlevel: " + level + "\nstatus: test\nlogsource: {category: process_creation, product: windows}\ndetection:\n  s:\n    Image: a\n  condition: s\n"
	}
	files := []rules.File{{Path: "r.yml", Name: "r.yml", Kind: rules.KindSigma, Data: []byte(rule("a", "low") + "---\n" + rule("b", "high"))}}
	e := New(files, Options{Select: rules.Selection{MinLevel: "medium"}})
	rep := e.Report()
	if rep.Detection != 1 || len(rep.Skipped) != 1 || rep.Skipped[0].RuleID != "a" || rep.Skipped[0].Reason != "level low below min-level medium" || rep.SkippedBy[rules.OptMinLevel] != 1 {
		t.Errorf("report: %d loaded, skipped %+v by %v", rep.Detection, rep.Skipped, rep.SkippedBy)
	}
	if e.HasCorrelations() {
		t.Error("no correlation loaded, but HasCorrelations")
	}
}
