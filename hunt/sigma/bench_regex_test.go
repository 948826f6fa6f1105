package sigma

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// regexCost is what one pattern cost over the corpus.
type regexCost struct {
	rule, expr   string
	calls        int
	engine, bare time.Duration // matchValue (fast paths first); the regexp alone
	form         string
}

// BenchmarkRegexCost runs every regular expression of every SigmaHQ rule
// (all rules* folders) on every value of its field in Sysmon and Security
// events of the corpus (no routing, no prefilter: each pattern on every
// event) and logs (-v) the ten most expensive, by the regexp's own time,
// with the time the engine's path takes (run form, affix test, fast form,
// then the regexp). One op is one pass; use -benchtime 1x.
func BenchmarkRegexCost(b *testing.B) {
	shared := sharedDir(b)
	dirs, _ := filepath.Glob(filepath.Join(shared, "sigma", "rules*"))
	l := NewLoader(LoadOptions{})
	for _, d := range dirs {
		l.AddPath(d)
	}
	rs, rep := l.Compile()
	evs := corpusEvents(b, 50000)
	type pat struct {
		fm *fieldMatcher
		p  *valueMatcher
		c  *regexCost
	}
	var pats []pat
	for _, cr := range rs.rules {
		for _, s := range cr.det.searches {
			for _, alt := range s.alts {
				for _, fm := range alt {
					for i := range fm.pats {
						if p := &fm.pats[i]; p.kind == vmRegexp {
							form := "regexp"
							switch {
							case p.run != nil:
								form = "run"
							case p.fast != nil:
								form = "fast"
							case p.affix != nil:
								form = "affix+regexp"
							}
							pats = append(pats, pat{fm, p, &regexCost{rule: filepath.Base(cr.rule.Path), expr: p.text, form: form}})
						}
					}
				}
			}
		}
	}
	b.Logf("%d rules, %d regular expressions, %d events", rep.Detection, len(pats), len(evs))
	sc := rs.getScratch()
	values := func(fm *fieldMatcher, fn func(v int32)) {
		if fm.field < 0 {
			for v := 0; v < sc.nEvVals; v++ {
				fn(int32(v))
			}
			return
		}
		for e := sc.first(fm.field); e >= 0; e = sc.entries[e].next {
			fn(sc.entries[e].val)
		}
	}
	b.ResetTimer()
	var engine, bare time.Duration
	var vs []int32
	for i := 0; i < b.N; i++ {
		for _, pt := range pats {
			pt.c.calls, pt.c.engine, pt.c.bare = 0, 0, 0
		}
		for _, ev := range evs {
			sc.load(ev)
			for _, pt := range pats {
				vs = vs[:0]
				values(pt.fm, func(v int32) { vs = append(vs, v) })
				if len(vs) == 0 {
					continue
				}
				t0 := time.Now()
				for _, v := range vs {
					_ = pt.p.re.MatchString(sc.vals[v].raw)
				}
				t1 := time.Now()
				sc.memo = [memoSize]reMemo{} // the engine's cost for a first call
				for _, v := range vs {
					_ = sc.matchValue(pt.fm, pt.p, v)
				}
				t2 := time.Now()
				pt.c.calls += len(vs)
				pt.c.bare += t1.Sub(t0)
				pt.c.engine += t2.Sub(t1)
			}
		}
	}
	b.StopTimer()
	costs := make([]*regexCost, len(pats))
	for i, pt := range pats {
		costs[i] = pt.c
		engine += pt.c.engine
		bare += pt.c.bare
	}
	slices.SortFunc(costs, func(x, y *regexCost) int { return int(y.bare - x.bare) })
	out := "the ten most expensive regular expressions over the corpus (regexp alone; engine path):\n"
	for _, c := range costs[:min(10, len(costs))] {
		per := time.Duration(0)
		if c.calls > 0 {
			per = c.bare / time.Duration(c.calls)
		}
		out += fmt.Sprintf("  %9v %9v %7d calls %8v/call  %-12s %s  %q\n", c.bare.Round(time.Microsecond), c.engine.Round(time.Microsecond), c.calls, per, c.form, c.rule, c.expr)
	}
	b.Log(out)
	b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "regexp-ns/op")
	b.ReportMetric(float64(engine.Nanoseconds())/float64(b.N), "engine-ns/op")
}
