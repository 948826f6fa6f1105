package sigma

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
