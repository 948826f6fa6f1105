package kql

import (
	"sort"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// maxPivotColumns bounds the columns evaluate pivot() makes, one per
// distinct value of the pivot column.
const maxPivotColumns = 1 << 12

// pivot implements evaluate pivot(PivotColumn[, Aggregation][, Column,
// ...]) as the pivot plugin page describes it: the rows are grouped by the
// listed columns (by default every column but the pivot column and those
// the aggregation reads), and each distinct value of the pivot column
// becomes a column holding the aggregation (count() by default) over the
// group's rows with that value. The new columns are named by the values,
// in sorted order; a group without rows for a value gets the aggregation
// of no rows (0 for count). The output's columns depend on the data, so
// the checker does not report the columns a later operator reads.
func (r *run) pivot(o *EvaluateOp, in *value.Table, env *scope) *value.Table {
	args := o.Call.Args
	if len(args) < 1 {
		fail(o.P, "pivot() needs the pivot column")
	}
	c := r.compiler(in, env, true)
	pivot := c.compile(args[0])
	pivotName := exprName(args[0])
	rest := args[1:]
	aggCall := &Call{P: o.P, Name: "count"}
	if len(rest) > 0 {
		if call, ok := rest[0].(*Call); ok {
			if _, isAgg := aggregates[call.Name]; isAgg {
				aggCall, rest = call, rest[1:]
			}
		}
	}
	def, ok := aggregates[aggCall.Name]
	if !ok || def.make == nil {
		failWrap(aggCall.P, ErrUnsupported, "aggregate %s() in pivot()", aggCall.Name)
	}
	if len(aggCall.Args) < def.min || (def.max >= 0 && len(aggCall.Args) > def.max) {
		fail(aggCall.P, "%s() takes %d to %d arguments, got %d", aggCall.Name, def.min, def.max, len(aggCall.Args))
	}
	var aggArgs []*cexpr
	for _, a := range aggCall.Args {
		if _, star := a.(*Star); star {
			aggArgs = append(aggArgs, konst(true, value.Bool))
			continue
		}
		aggArgs = append(aggArgs, c.compile(a))
	}
	mk := def.make(aggArgs)
	var byIdx []int
	if len(rest) > 0 {
		for _, a := range rest {
			id, ok := a.(*Ident)
			if !ok {
				fail(a.Position(), "pivot(): expected a column name")
			}
			i := in.Index(id.Name)
			if i < 0 {
				if !r.opaque[in] {
					r.warn(id.P, "pivot(): unknown column %s", id.Name)
				}
				continue
			}
			byIdx = append(byIdx, i)
		}
	} else {
		used := map[string]bool{pivotName: true}
		for _, a := range aggCall.Args {
			for _, n := range predColumns(a) {
				used[n] = true
			}
		}
		for i, col := range in.Columns {
			if !used[col.Name] {
				byIdx = append(byIdx, i)
			}
		}
	}
	type group struct {
		by     []any
		states map[string]aggState
	}
	var groups []*group
	index := map[string]int{}
	values := map[string]bool{}
	var buf []byte
	for _, row := range in.Rows {
		r.tick(o.P)
		buf = buf[:0]
		by := make([]any, len(byIdx))
		for k, j := range byIdx {
			by[k] = row[j]
			buf = keyOf(buf, by[k])
		}
		gi, ok := index[string(buf)]
		if !ok {
			gi = len(groups)
			index[string(buf)] = gi
			groups = append(groups, &group{by: by, states: map[string]aggState{}})
		}
		v := toStr(pivot.fn(row))
		if !values[v] {
			if len(values) >= maxPivotColumns {
				fail(o.P, "pivot(): the pivot column has more than %d distinct values", maxPivotColumns)
			}
			values[v] = true
		}
		st := groups[gi].states[v]
		if st == nil {
			st = mk()
			groups[gi].states[v] = st
		}
		st.add(row)
	}
	names := make([]string, 0, len(values))
	for v := range values {
		names = append(names, v)
	}
	sort.Strings(names)
	var cols []value.Column
	for _, j := range byIdx {
		cols = append(cols, in.Columns[j])
	}
	typ := def.typ(aggArgs)
	for _, n := range names {
		cols = append(cols, value.Column{Name: n, Type: typ})
	}
	cols = dedupeNames(cols)
	out := r.derived(in, cols, len(groups))
	r.opaque[out] = true
	empty := mk().result()
	for _, g := range groups {
		r.tick(o.P)
		r.grow(rowBytes(len(g.by) + len(names)))
		row := append([]any(nil), g.by...)
		for _, n := range names {
			v := empty
			if st := g.states[n]; st != nil {
				v = st.result()
			}
			if v == nil && typ == value.String {
				v = ""
			}
			row = append(row, v)
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}
