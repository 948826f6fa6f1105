package rules

import (
	"strings"

	"github.com/loghunt/loghunt/hunt"
)

// BundledPrefix marks the paths of embedded rules in reports.
const BundledPrefix = "bundled:"

// Selection narrows the rules that run.
type Selection struct {
	MinLevel   string   // informational, low, medium, high, critical; "" = all
	Status     []string // keep rules with one of these statuses; empty = all
	Tags       []string // keep rules with one of these tags; empty = all
	ExcludeIDs []string // leave these rule ids out
}

var levels = []string{"informational", "low", "medium", "high", "critical"}

// ValidLevel reports whether s names a Sigma level.
func ValidLevel(s string) bool {
	for _, l := range levels {
		if strings.EqualFold(s, l) {
			return true
		}
	}
	return false
}

func levelRank(s string) int {
	for i, l := range levels {
		if strings.EqualFold(s, l) {
			return i
		}
	}
	return 0
}

// Keep applies the selection to a KQL rule (Sigma applies it itself).
func (s Selection) Keep(r *hunt.Rule) bool {
	for _, id := range s.ExcludeIDs {
		if strings.EqualFold(id, r.ID) {
			return false
		}
	}
	if s.MinLevel != "" && levelRank(r.Level) < levelRank(s.MinLevel) {
		return false
	}
	if len(s.Tags) > 0 {
		found := false
		for _, t := range s.Tags {
			for _, rt := range r.Tags {
				found = found || strings.EqualFold(t, rt)
			}
		}
		if !found {
			return false
		}
	}
	// KQL rules have no status; --status does not select them out.
	return true
}
