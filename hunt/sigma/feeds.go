package sigma

import "strings"

// FeedsCorrelation reports whether matches of r are input to a correlation
// rule, so a caller need only keep those for the Correlator.
func (rs *Ruleset) FeedsCorrelation(r *Rule) bool {
	for _, c := range rs.corrs {
		for _, ref := range c.refs {
			if ref == r {
				return true
			}
		}
	}
	return false
}

// CorrelationFields returns, lower-cased, every event field a correlation
// rule reads: its group-by fields, the fields its aliases map to, and the
// field of a value_* correlation. A caller that keeps events for the
// Correlator need keep only these fields.
func (rs *Ruleset) CorrelationFields() map[string]bool {
	out := map[string]bool{}
	for _, c := range rs.corrs {
		for _, g := range c.groupBy {
			out[strings.ToLower(g)] = true
		}
		for _, byRule := range c.aliases {
			for _, f := range byRule {
				out[strings.ToLower(f)] = true
			}
		}
		if c.field != "" {
			out[strings.ToLower(c.field)] = true
		}
	}
	return out
}
