package kql

import (
	"sort"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// topLevel is one compiled clause of top-nested.
type topLevel struct {
	n      int64 // < 0: all values
	of     rowFn
	agg    func() aggState
	others any
	hasOth bool
	desc   bool
}

// topNested implements top-nested: the first clause groups the input by
// its of-expression, aggregates each group and keeps the N groups with the
// highest aggregate (lowest with asc); each further clause does the same
// within every group kept by the clause before it. A row of the output is
// one path through the levels, with two columns per level: the
// of-expression's value (named as the expression or its Name =) and the
// aggregate (named aggregated_<of-name> unless named). "with others = X"
// adds, at its level, a row whose value is X and whose aggregate covers
// the groups not kept; the levels below it are null. Without N, every
// group is kept. Rows are ordered level by level by the aggregate.
func (r *run) topNested(o *TopNestedOp, in *value.Table, env *scope) *value.Table {
	c := r.compiler(in, env, true)
	var cols []value.Column
	var levels []topLevel
	n := 0
	for _, lv := range o.Levels {
		tl := topLevel{n: -1, desc: lv.Desc}
		if lv.N != nil {
			v, ok := toLong(c.constant(lv.N))
			if !ok || v.(int64) < 0 {
				fail(lv.N.Position(), "top-nested: N must be a constant number of at least 0")
			}
			tl.n = v.(int64)
		}
		of := c.compile(lv.Of.X)
		tl.of = of.fn
		ofName := assignName(lv.Of, &n)
		call, ok := lv.By.X.(*Call)
		if !ok {
			fail(lv.By.X.Position(), "top-nested: by needs an aggregate function call")
		}
		def, ok := aggregates[call.Name]
		if !ok || def.make == nil {
			failWrap(call.P, ErrUnsupported, "aggregate %s() in top-nested", call.Name)
		}
		if len(call.Args) < def.min || (def.max >= 0 && len(call.Args) > def.max) {
			fail(call.P, "%s() takes %d to %d arguments, got %d", call.Name, def.min, def.max, len(call.Args))
		}
		var args []*cexpr
		for _, arg := range call.Args {
			if _, star := arg.(*Star); star {
				args = append(args, konst(true, value.Bool))
				continue
			}
			args = append(args, c.compile(arg))
		}
		tl.agg = def.make(args)
		if lv.Others != nil {
			tl.others, tl.hasOth = c.constant(lv.Others), true
		}
		aggName := lv.By.Name
		if aggName == "" {
			aggName = "aggregated_" + ofName
		}
		cols = append(cols, value.Column{Name: ofName, Type: of.typ}, value.Column{Name: aggName, Type: def.typ(args)})
		levels = append(levels, tl)
	}
	cols = dedupeNames(cols)
	out := r.derived(in, cols, 0)
	rows := make([]int, len(in.Rows))
	for i := range rows {
		rows[i] = i
	}
	prefix := make([]any, 0, len(cols))
	r.topNestedLevel(o, levels, in.Rows, rows, prefix, out)
	for _, row := range out.Rows {
		for k := range row {
			if row[k] == nil && cols[k].Type == value.String {
				row[k] = ""
			}
		}
	}
	return out
}

// topNestedLevel emits the rows below prefix for the input rows idx.
func (r *run) topNestedLevel(o *TopNestedOp, levels []topLevel, all [][]any, idx []int, prefix []any, out *value.Table) {
	lv := levels[0]
	type group struct {
		val   any
		rows  []int
		state aggState
		res   any
	}
	var groups []*group
	index := map[string]int{}
	var buf []byte
	for _, i := range idx {
		r.tick(o.P)
		row := all[i]
		v := lv.of(row)
		buf = keyOf(buf[:0], v)
		gi, ok := index[string(buf)]
		if !ok {
			gi = len(groups)
			index[string(buf)] = gi
			groups = append(groups, &group{val: v, state: lv.agg()})
			r.grow(entryOverhead*2 + int64(len(buf)))
		}
		g := groups[gi]
		r.grow(8)
		g.rows = append(g.rows, i)
		g.state.add(row)
	}
	for _, g := range groups {
		g.res = g.state.result()
	}
	// by aggregate, nulls last; ties keep the order of first appearance
	sort.SliceStable(groups, func(a, b int) bool {
		x, y := groups[a].res, groups[b].res
		if x == nil || y == nil {
			return y == nil && x != nil
		}
		c, _ := compareCells(x, y)
		if lv.desc {
			return c > 0
		}
		return c < 0
	})
	keep := len(groups)
	if lv.n >= 0 && lv.n < int64(keep) {
		keep = int(lv.n)
	}
	for _, g := range groups[:keep] {
		p := append(prefix[:len(prefix):len(prefix)], g.val, g.res)
		if len(levels) == 1 {
			r.grow(rowBytes(len(p)))
			out.Rows = append(out.Rows, p)
			r.checkRows(o.P, len(out.Rows))
			continue
		}
		r.topNestedLevel(o, levels[1:], all, g.rows, p, out)
	}
	if lv.hasOth && keep < len(groups) {
		st := lv.agg()
		for _, g := range groups[keep:] {
			for _, i := range g.rows {
				st.add(all[i])
			}
		}
		p := append(prefix[:len(prefix):len(prefix)], lv.others, st.result())
		p = append(p, make([]any, 2*(len(levels)-1))...)
		out.Rows = append(out.Rows, p)
		r.checkRows(o.P, len(out.Rows))
	}
}
