package rules

import (
	"errors"
	"testing"

	"github.com/loghunt/loghunt/hunt"
)

func TestSelectionWhy(t *testing.T) {
	sigma := func(id, level, status string, tags ...string) Meta {
		return Meta{ID: id, Name: "n-" + id, Level: level, Status: status, Tags: tags}
	}
	kql := KQLMeta(&hunt.Rule{ID: "x", Level: "medium", Tags: []string{"attack.t1102"}})
	tests := []struct {
		name   string
		sel    Selection
		m      Meta
		reason string
		option string
	}{
		{"zero keeps", Selection{}, sigma("a", "", ""), "", ""},
		{"min-level drops", Selection{MinLevel: "High"}, sigma("a", "low", "stable"), "level low below min-level high", OptMinLevel},
		{"min-level keeps equal", Selection{MinLevel: "high"}, sigma("a", "HIGH", "stable"), "", ""},
		{"no level is informational", Selection{MinLevel: "low"}, sigma("a", "", "stable"), "level (none) below min-level low", OptMinLevel},
		{"unknown level is informational", Selection{MinLevel: "low"}, sigma("a", "severe", "stable"), "level severe below min-level low", OptMinLevel},
		{"status drops", Selection{Status: []string{"stable", "test"}}, sigma("a", "low", "experimental"), "status experimental not in stable,test", OptStatus},
		{"status keeps any case", Selection{Status: []string{"Stable"}}, sigma("a", "low", "stable"), "", ""},
		{"no status", Selection{Status: []string{"stable"}}, sigma("a", "low", ""), "status (none) not in stable", OptStatus},
		{"tags drop", Selection{Tags: []string{"attack.t1", "attack.t3"}}, sigma("a", "low", "", "attack.t2"), "no tag in attack.t1,attack.t3", OptTags},
		{"tags keep any case", Selection{Tags: []string{"ATTACK.T2"}}, sigma("a", "low", "", "attack.t2"), "", ""},
		{"exclude by id", Selection{ExcludeIDs: []string{"A"}}, sigma("a", "low", ""), "excluded by id", OptExclude},
		{"exclude by name", Selection{ExcludeIDs: []string{"n-a"}}, sigma("a", "low", ""), "excluded by id", OptExclude},
		{"exclude comes first", Selection{ExcludeIDs: []string{"a"}, MinLevel: "high"}, sigma("a", "low", ""), "excluded by id", OptExclude},
		{"min-level before status", Selection{MinLevel: "high", Status: []string{"stable"}}, sigma("a", "low", "test"), "level low below min-level high", OptMinLevel},
		{"empty exclude matches nothing", Selection{ExcludeIDs: []string{""}}, Meta{}, "", ""},

		{"kql zero", Selection{}, kql, "", ""},
		{"kql min-level", Selection{MinLevel: "high"}, kql, "level medium below min-level high", OptMinLevel},
		{"kql min-level keeps", Selection{MinLevel: "low"}, kql, "", ""},
		{"kql exclude", Selection{ExcludeIDs: []string{"X"}}, kql, "excluded by id", OptExclude},
		{"kql tags keep", Selection{Tags: []string{"ATTACK.T1102"}}, kql, "", ""},
		{"kql tags drop", Selection{Tags: []string{"attack.t1059"}}, kql, "no tag in attack.t1059", OptTags},
		{"kql has no status", Selection{Status: []string{"stable"}}, kql, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, option := tt.sel.Why(tt.m)
			if reason != tt.reason || option != tt.option {
				t.Errorf("Why = %q, %q; want %q, %q", reason, option, tt.reason, tt.option)
			}
		})
	}
}

func TestSelectionValidate(t *testing.T) {
	if err := (Selection{MinLevel: "Critical"}).Validate(); err != nil {
		t.Errorf("critical: %v", err)
	}
	if err := (Selection{MinLevel: "severe"}).Validate(); !errors.Is(err, ErrUnknownLevel) {
		t.Errorf("severe: %v, want ErrUnknownLevel", err)
	}
}
