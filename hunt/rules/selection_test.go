package rules

import (
	"testing"

	"github.com/loghunt/loghunt/hunt"
)

func TestSelectionKeepKQL(t *testing.T) {
	r := &hunt.Rule{ID: "x", Level: "medium", Tags: []string{"attack.t1102"}}
	tests := []struct {
		sel  Selection
		want bool
	}{
		{Selection{}, true},
		{Selection{MinLevel: "high"}, false},
		{Selection{MinLevel: "low"}, true},
		{Selection{ExcludeIDs: []string{"X"}}, false},
		{Selection{Tags: []string{"ATTACK.T1102"}}, true},
		{Selection{Tags: []string{"attack.t1059"}}, false},
		{Selection{Status: []string{"stable"}}, true},
	}
	for _, tt := range tests {
		if got := tt.sel.Keep(r); got != tt.want {
			t.Errorf("%+v: keep = %v, want %v", tt.sel, got, tt.want)
		}
	}
}
