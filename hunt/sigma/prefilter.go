package sigma

type prefilter struct{}

func (p *prefilter) pass(sc *scratch) bool { return true }

type prefilterSet struct{}

func (p *prefilterSet) scan(sc *scratch) {}

func (rs *Ruleset) buildPrefilter() {}
