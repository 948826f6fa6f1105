package kql

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// apply runs one tabular operator over in. The input is never modified.
func (r *run) apply(op TabOp, in *value.Table, env *scope) *value.Table {
	switch o := op.(type) {
	case *WhereOp:
		return r.where(o, in, env)
	case *ProjectOp:
		if o.Kind == "project" {
			return r.project(o, in, env)
		}
		return r.extend(o.Cols, o.P, in, env)
	case *NamesOp:
		return r.names(o, in)
	case *RenameOp:
		return r.rename(o, in)
	case *SummarizeOp:
		return r.summarize(o, in, env)
	case *TopOp:
		out := r.sort(o.Keys, in, env)
		return r.take(o.N, o.P, out, env)
	case *TakeOp:
		return r.take(o.N, o.P, in, env)
	case *SampleOp:
		return r.take(o.N, o.P, in, env)
	case *SortOp:
		return r.sort(o.Keys, in, env)
	case *DistinctOp:
		return r.distinct(o, in, env)
	case *CountOp:
		return &value.Table{Columns: []value.Column{{Name: "Count", Type: value.Long}}, Rows: [][]any{{int64(len(in.Rows))}}}
	case *UnionOp:
		return r.union(o, in, env)
	case *JoinOp:
		return r.join(o, in, env)
	case *MvExpandOp:
		return r.mvExpand(o, in, env)
	case *MvApplyOp:
		return r.mvApply(o, in, env)
	case *ParseOp:
		return r.parse(o, in, env)
	case *InvokeOp:
		b := env.lookup(o.Call.Name)
		if b == nil || b.fn == nil {
			fail(o.P, "invoke: unknown function %s", o.Call.Name)
		}
		return r.callTabular(b, o.Call, env, in)
	case *EvaluateOp:
		return r.evaluate(o, in, env)
	case *AsOp:
		return in
	case *IgnoredOp:
		return in
	case *GetSchemaOp:
		out := newTable([]value.Column{{Name: "ColumnName", Type: value.String}, {Name: "ColumnOrdinal", Type: value.Long}, {Name: "DataType", Type: value.String}, {Name: "ColumnType", Type: value.String}}, len(in.Columns))
		for i, c := range in.Columns {
			out.Rows = append(out.Rows, []any{c.Name, int64(i), c.Type.String(), c.Type.String()})
		}
		return out
	case *MakeSeriesOp:
		return r.makeSeries(o, in, env)
	case *TopNestedOp:
		return r.topNested(o, in, env)
	case *UnsupportedOp:
		failWrap(o.P, ErrUnsupported, "operator %s", o.Name)
	}
	fail(op.opPos(), "operator not supported here")
	return nil
}

func (r *run) derived(in *value.Table, cols []value.Column, capRows int) *value.Table {
	out := newTable(cols, capRows)
	out.Name = in.Name
	if r.opaque[in] {
		r.opaque[out] = true
	}
	return out
}

func (r *run) where(o *WhereOp, in *value.Table, env *scope) *value.Table {
	return r.whereChain([]*WhereOp{o}, in, env)
}

// whereChain applies consecutive where operators in one pass: the rows
// pass when every predicate is true, evaluated left to right.
func (r *run) whereChain(ops []*WhereOp, in *value.Table, env *scope) *value.Table {
	c := r.compiler(in, env, false)
	preds := make([]rowFn, len(ops))
	for i, o := range ops {
		preds[i] = c.compile(o.Pred).fn
	}
	// collect the indexes of passing rows, then copy them once
	var keep []int32
	if len(in.Rows) <= 1<<31-1 {
		keep = make([]int32, 0, 1024)
	}
	p := ops[0].P
	for i, row := range in.Rows {
		r.tick(p)
		ok := true
		for _, pred := range preds {
			if b, isBool := pred(row).(bool); !isBool || !b {
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, int32(i))
		}
	}
	out := r.derived(in, in.Columns, 0)
	r.grow(24 * int64(len(keep)))
	out.Rows = make([][]any, len(keep))
	for k, i := range keep {
		out.Rows[k] = in.Rows[i]
	}
	return out
}

// assignName returns the output column name of an unnamed expression.
func assignName(a Assign, n *int) string {
	if a.Name != "" {
		return a.Name
	}
	if s := exprName(a.X); s != "" {
		return s
	}
	*n++
	return fmt.Sprintf("Column%d", *n)
}

func (r *run) project(o *ProjectOp, in *value.Table, env *scope) *value.Table {
	c := r.compiler(in, env, false)
	nb := &neighborCtx{get: func(j int) []any { return in.Rows[j] }, n: len(in.Rows)}
	c.nb = nb
	var cols []value.Column
	var fns []rowFn
	n := 0
	for _, a := range o.Cols {
		if id, ok := a.X.(*Ident); ok && a.Name == "" && strings.Contains(id.Name, "*") {
			for i, col := range in.Columns {
				if globMatch(id.Name, col.Name) {
					i := i
					cols = append(cols, col)
					fns = append(fns, func(row []any) any { return row[i] })
				}
			}
			continue
		}
		if len(a.Names) > 0 {
			ce := c.compile(a.X)
			for k, name := range a.Names {
				k := k
				cols = append(cols, value.Column{Name: name, Type: value.Dynamic})
				fns = append(fns, func(row []any) any { return index(ce.fn(row), int64(k)) })
			}
			continue
		}
		ce := c.compile(a.X)
		cols = append(cols, value.Column{Name: assignName(a, &n), Type: ce.typ})
		fns = append(fns, ce.fn)
	}
	out := r.derived(in, cols, len(in.Rows))
	size := rowBytes(len(fns))
	for k, row := range in.Rows {
		r.tick(o.P)
		r.grow(size)
		nb.i = k
		nr := make([]any, len(fns))
		for i, f := range fns {
			nr[i] = f(row)
		}
		out.Rows = append(out.Rows, nr)
	}
	return out
}

// extend adds or replaces columns; later assignments see earlier ones.
func (r *run) extend(as []Assign, p Pos, in *value.Table, env *scope) *value.Table {
	cols := append([]value.Column(nil), in.Columns...)
	cur := r.derived(in, cols, 0)
	type step struct {
		dst []int
		fn  rowFn
	}
	var steps []step
	n := 0
	width := 0
	nb := &neighborCtx{n: len(in.Rows)}
	nb.get = func(j int) []any {
		if j < len(cur.Rows) {
			return cur.Rows[j]
		}
		pad := make([]any, width)
		copy(pad, in.Rows[j])
		return pad
	}
	for _, a := range as {
		c := r.compiler(cur, env, false)
		c.nb = nb
		ce := c.compile(a.X)
		names := a.Names
		if len(names) == 0 {
			names = []string{assignName(a, &n)}
		}
		var dst []int
		for _, name := range names {
			i := -1
			for k, col := range cur.Columns {
				if col.Name == name {
					i = k
					break
				}
			}
			typ := ce.typ
			if len(a.Names) > 0 {
				typ = value.Dynamic
			}
			if i < 0 {
				cur.Columns = append(cur.Columns, value.Column{Name: name, Type: typ})
				i = len(cur.Columns) - 1
			} else {
				cur.Columns[i].Type = typ
			}
			dst = append(dst, i)
		}
		steps = append(steps, step{dst: dst, fn: ce.fn})
	}
	width = len(cur.Columns)
	cur.Rows = make([][]any, 0, len(in.Rows))
	size := rowBytes(width)
	for k, row := range in.Rows {
		r.tick(p)
		r.grow(size)
		nb.i = k
		nr := make([]any, width)
		copy(nr, row)
		for _, s := range steps {
			v := s.fn(nr)
			if len(s.dst) == 1 {
				nr[s.dst[0]] = v
				continue
			}
			for k, d := range s.dst {
				nr[d] = index(v, int64(k))
			}
		}
		cur.Rows = append(cur.Rows, nr)
	}
	return cur
}

func (r *run) names(o *NamesOp, in *value.Table) *value.Table {
	match := make([]bool, len(in.Columns))
	var order []int
	for k, pat := range o.Names {
		found := false
		for i, c := range in.Columns {
			if globMatch(pat, c.Name) {
				found = true
				if !match[i] {
					order = append(order, i)
				}
				match[i] = true
			}
		}
		if !found && !strings.Contains(pat, "*") && !r.opaque[in] {
			r.warn(o.Pos[k], "%s: unknown column %s", o.Kind, pat)
		}
	}
	var keep []int
	switch o.Kind {
	case "project-away":
		for i := range in.Columns {
			if !match[i] {
				keep = append(keep, i)
			}
		}
	case "project-keep":
		for i := range in.Columns {
			if match[i] {
				keep = append(keep, i)
			}
		}
	case "project-reorder":
		keep = append(keep, order...)
		for i := range in.Columns {
			if !match[i] {
				keep = append(keep, i)
			}
		}
	}
	return r.pick(in, keep)
}

// pick returns the given columns of in, in that order.
func (r *run) pick(in *value.Table, keep []int) *value.Table {
	cols := make([]value.Column, len(keep))
	for k, i := range keep {
		cols[k] = in.Columns[i]
	}
	out := r.derived(in, cols, len(in.Rows))
	size := rowBytes(len(keep))
	for _, row := range in.Rows {
		r.tick(r.cur.p)
		r.grow(size)
		nr := make([]any, len(keep))
		for k, i := range keep {
			nr[k] = row[i]
		}
		out.Rows = append(out.Rows, nr)
	}
	return out
}

func (r *run) rename(o *RenameOp, in *value.Table) *value.Table {
	cols := append([]value.Column(nil), in.Columns...)
	for k, pr := range o.Pairs {
		found := false
		for i := range cols {
			if in.Columns[i].Name == pr[1] {
				cols[i].Name = pr[0]
				found = true
			}
		}
		if !found && !r.opaque[in] {
			r.warn(o.Pos[k], "project-rename: unknown column %s", pr[1])
		}
	}
	out := r.derived(in, cols, 0)
	out.Rows = in.Rows
	return out
}

func (r *run) take(nx Expr, p Pos, in *value.Table, env *scope) *value.Table {
	c := r.compiler(nil, env, false)
	v, ok := toLong(c.constant(nx))
	if !ok {
		fail(p, "take/top needs a constant row count")
	}
	n := v.(int64)
	if n < 0 {
		n = 0
	}
	out := r.derived(in, in.Columns, 0)
	if int64(len(in.Rows)) > n {
		out.Rows = in.Rows[:n:n]
	} else {
		out.Rows = in.Rows
	}
	return out
}

func (r *run) sort(keys []SortKey, in *value.Table, env *scope) *value.Table {
	c := r.compiler(in, env, false)
	fns := make([]rowFn, len(keys))
	for i, k := range keys {
		fns[i] = c.compile(k.X).fn
	}
	// the row list, the keys, and the permutation sortRows makes
	r.grow(int64(len(in.Rows)) * (24 + 24 + cellSize*int64(len(fns)) + 8 + 24))
	rows := append([][]any(nil), in.Rows...)
	kv := make([][]any, len(rows))
	flat := make([]any, len(rows)*len(fns))
	for i, row := range rows {
		r.tick(r.cur.p)
		kv[i] = flat[i*len(fns) : (i+1)*len(fns)]
		for j, f := range fns {
			kv[i][j] = f(row)
		}
	}
	r.sortRows(rows, kv, keys)
	// the keys and the permutation are garbage now
	r.shrink(int64(len(in.Rows)) * (24 + cellSize*int64(len(fns)) + 8 + 24))
	out := r.derived(in, in.Columns, 0)
	out.Rows = rows
	return out
}

func (r *run) distinct(o *DistinctOp, in *value.Table, env *scope) *value.Table {
	c := r.compiler(in, env, false)
	var cols []value.Column
	var fns []rowFn
	if o.Star {
		cols = in.Columns
		for i := range in.Columns {
			i := i
			fns = append(fns, func(row []any) any { return row[i] })
		}
	} else {
		n := 0
		for _, x := range o.Cols {
			ce := c.compile(x)
			cols = append(cols, value.Column{Name: assignName(Assign{X: x}, &n), Type: ce.typ})
			fns = append(fns, ce.fn)
		}
	}
	out := r.derived(in, cols, 0)
	seen := map[string]struct{}{}
	var buf []byte
	size := rowBytes(len(fns)) + entryOverhead
	for _, row := range in.Rows {
		r.tick(o.P)
		nr := make([]any, len(fns))
		buf = buf[:0]
		for i, f := range fns {
			nr[i] = f(row)
			buf = keyOf(buf, nr[i])
		}
		if _, ok := seen[string(buf)]; ok {
			continue
		}
		seen[string(buf)] = struct{}{}
		r.grow(size + int64(len(buf)))
		out.Rows = append(out.Rows, nr)
	}
	return out
}

// isAggCall reports whether e is a direct call of an aggregate function.
func isAggCall(e Expr, env *scope) bool {
	c, ok := e.(*Call)
	if !ok {
		return false
	}
	if b := env.lookup(c.Name); b != nil && b.fn != nil {
		return false
	}
	_, ok = aggregates[c.Name]
	return ok
}

// liftAggs replaces the aggregate calls inside e by references to hidden
// columns, collecting the calls.
func liftAggs(e Expr, env *scope, found *[]Assign) Expr {
	if isAggCall(e, env) {
		name := fmt.Sprintf("$agg%d", len(*found))
		*found = append(*found, Assign{Name: name, X: e})
		return &Ident{P: e.Position(), Name: name}
	}
	switch x := e.(type) {
	case *Binary:
		return &Binary{P: x.P, Op: x.Op, L: liftAggs(x.L, env, found), R: liftAggs(x.R, env, found)}
	case *Unary:
		return &Unary{P: x.P, Op: x.Op, X: liftAggs(x.X, env, found)}
	case *Call:
		nc := &Call{P: x.P, Name: x.Name, Args: make([]Expr, len(x.Args))}
		for i, a := range x.Args {
			nc.Args[i] = liftAggs(a, env, found)
		}
		return nc
	case *ListOp:
		nl := &ListOp{P: x.P, Op: x.Op, L: liftAggs(x.L, env, found), List: x.List}
		return nl
	case *Between:
		return &Between{P: x.P, Not: x.Not, L: liftAggs(x.L, env, found), Lo: x.Lo, Hi: x.Hi}
	case *Member:
		return &Member{P: x.P, X: liftAggs(x.X, env, found), Name: x.Name}
	case *Index:
		return &Index{P: x.P, X: liftAggs(x.X, env, found), I: x.I}
	}
	return e
}

// summarize groups rows by the by-expressions and computes aggregates. An
// aggregate inside an expression (tostring(make_set(x)), count() * 2) is
// computed into a hidden column and the expression evaluated per group.
func (r *run) summarize(o *SummarizeOp, in *value.Table, env *scope) *value.Table {
	return r.summarizeFrom(o, tableRows(in), env)
}

// rowSource is rows to consume once, in order: a table's, or those of an
// operator that does not materialise them (a join before summarize). t
// gives the columns (its Rows may be empty); each calls yield per row, and
// the row passed may be reused after yield returns.
type rowSource struct {
	t    *value.Table
	each func(yield func([]any))
}

func tableRows(t *value.Table) rowSource {
	return rowSource{t: t, each: func(yield func([]any)) {
		for _, row := range t.Rows {
			yield(row)
		}
	}}
}

// summarizeFrom is summarize over a rowSource.
func (r *run) summarizeFrom(o *SummarizeOp, in rowSource, env *scope) *value.Table {
	composite := false
	for _, a := range o.Aggs {
		if !isAggCall(a.X, env) {
			composite = true
		}
	}
	if !composite {
		t, _ := r.summarizeDirect(o, in, env)
		return t
	}
	inner := &SummarizeOp{P: o.P, By: o.By}
	var exprs []Expr
	var hidden []Assign
	for _, a := range o.Aggs {
		if isAggCall(a.X, env) {
			inner.Aggs = append(inner.Aggs, a)
			exprs = append(exprs, nil)
			continue
		}
		exprs = append(exprs, liftAggs(a.X, env, &hidden))
	}
	inner.Aggs = append(inner.Aggs, hidden...)
	t, widths := r.summarizeDirect(inner, in, env)
	c := r.compiler(t, env, false)
	var cols []value.Column
	var fns []rowFn
	for i := 0; i < len(o.By); i++ {
		i := i
		cols = append(cols, t.Columns[i])
		fns = append(fns, func(row []any) any { return row[i] })
	}
	direct := len(o.By)
	n := 0
	d := 0
	for k, a := range o.Aggs {
		if exprs[k] == nil {
			// a direct aggregate may span several columns (arg_max)
			for w := 0; w < widths[d]; w++ {
				i := direct
				cols = append(cols, t.Columns[i])
				fns = append(fns, func(row []any) any { return row[i] })
				direct++
			}
			d++
			continue
		}
		ce := c.compile(exprs[k])
		cols = append(cols, value.Column{Name: assignName(Assign{Name: a.Name, X: exprs[k]}, &n), Type: ce.typ})
		fns = append(fns, ce.fn)
	}
	out := r.derived(t, dedupeNames(cols), len(t.Rows))
	size := rowBytes(len(fns))
	for _, row := range t.Rows {
		r.tick(o.P)
		nr := make([]any, len(fns))
		for i, f := range fns {
			nr[i] = f(row)
		}
		r.grow(size)
		out.Rows = append(out.Rows, nr)
	}
	return out
}

// summarizeDirect evaluates a summarize whose aggregates are all direct
// calls; it also returns the number of columns each aggregate produced.
func (r *run) summarizeDirect(o *SummarizeOp, src rowSource, env *scope) (*value.Table, []int) {
	in := src.t
	c := r.compiler(in, env, true)
	var cols []value.Column
	var byFns []rowFn
	n := 0
	byNames := map[string]bool{}
	for _, a := range o.By {
		ce := c.compile(a.X)
		name := assignName(a, &n)
		byNames[name] = true
		cols = append(cols, value.Column{Name: name, Type: ce.typ})
		byFns = append(byFns, ce.fn)
	}
	// each aggregate yields one or more output columns
	type aggOut struct {
		mk    func() aggState
		width int
		multi bool
	}
	var aggs []aggOut
	for _, a := range o.Aggs {
		call, ok := a.X.(*Call)
		if !ok {
			fail(a.X.Position(), "summarize needs an aggregate function call")
		}
		def, ok := aggregates[call.Name]
		if !ok {
			failWrap(call.P, ErrUnsupported, "unknown aggregate %s()", call.Name)
		}
		if len(call.Args) < def.min || (def.max >= 0 && len(call.Args) > def.max) {
			fail(call.P, "%s() takes %d to %d arguments, got %d", call.Name, def.min, def.max, len(call.Args))
		}
		switch call.Name {
		case "arg_max", "arg_min", "argmax", "argmin":
			sign := 1
			if call.Name == "arg_min" || call.Name == "argmin" {
				sign = -1
			}
			x := c.compile(call.Args[0])
			first := a.Name
			if len(a.Names) > 0 {
				// (A, B, ...) = arg_max(X, Y, ...) names the columns in order
				first = a.Names[0]
			}
			if first == "" {
				first = exprName(call.Args[0])
				if first == "" {
					n++
					first = fmt.Sprintf("Column%d", n)
				}
			}
			cols = append(cols, value.Column{Name: first, Type: x.typ})
			var colFns []rowFn
			for _, arg := range call.Args[1:] {
				if _, star := arg.(*Star); star {
					for i, col := range in.Columns {
						if byNames[col.Name] || col.Name == first {
							continue
						}
						i := i
						cols = append(cols, col)
						colFns = append(colFns, func(row []any) any { return row[i] })
					}
					continue
				}
				if na, ok := arg.(*NamedArg); ok {
					ce := c.compile(na.X)
					cols = append(cols, value.Column{Name: na.Name, Type: ce.typ})
					colFns = append(colFns, ce.fn)
					continue
				}
				ce := c.compile(arg)
				name := assignName(Assign{X: arg}, &n)
				if k := 1 + len(colFns); k < len(a.Names) {
					name = a.Names[k]
				}
				if name == first || byNames[name] {
					continue
				}
				cols = append(cols, value.Column{Name: name, Type: ce.typ})
				colFns = append(colFns, ce.fn)
			}
			xf := x.fn
			aggs = append(aggs, aggOut{mk: func() aggState { return &argAgg{x: xf, sign: sign, cols: colFns} }, width: 1 + len(colFns), multi: true})
			continue
		case "percentiles":
			x := c.compile(call.Args[0])
			var ps []float64
			for _, pa := range call.Args[1:] {
				f, ok := num(c.constant(pa))
				if !ok {
					fail(pa.Position(), "percentiles() needs constant percentages")
				}
				ps = append(ps, f)
				cols = append(cols, value.Column{Name: fmt.Sprintf("percentile_%s_%s", exprName(call.Args[0]), strings.ReplaceAll(formatReal(f), ".", "_")), Type: x.typ})
			}
			xf := x.fn
			aggs = append(aggs, aggOut{mk: func() aggState { return &pctAgg{x: xf, ps: ps} }, width: len(ps), multi: true})
			continue
		}
		var args []*cexpr
		for _, arg := range call.Args {
			if _, star := arg.(*Star); star {
				args = append(args, konst(true, value.Bool))
				continue
			}
			args = append(args, c.compile(arg))
		}
		name := a.Name
		if name == "" {
			name = def.prefix
			if len(call.Args) > 0 && call.Name != "count" && call.Name != "countif" {
				name += exprName(call.Args[0])
			}
			if call.Name == "percentile" && len(args) > 1 {
				name += "_" + strings.ReplaceAll(toStr(args[1].val), ".", "_")
			}
		}
		cols = append(cols, value.Column{Name: name, Type: def.typ(args)})
		aggs = append(aggs, aggOut{mk: def.make(args), width: 1})
	}
	cols = dedupeNames(cols)

	type group struct {
		by     []any
		states []aggState
	}
	var groups []*group
	index := map[string]int{}
	var buf []byte
	newGroup := func(by []any) *group {
		g := &group{by: by, states: make([]aggState, len(aggs))}
		for i, a := range aggs {
			g.states[i] = a.mk()
		}
		return g
	}
	groupSize := entryOverhead + 24 + cellSize*int64(len(byFns)) + entryOverhead*int64(len(aggs))
	by := make([]any, len(byFns))
	src.each(func(row []any) {
		r.tick(o.P)
		buf = buf[:0]
		for k, f := range byFns {
			by[k] = f(row)
			buf = keyOf(buf, by[k])
		}
		gi, ok := index[string(buf)]
		if !ok {
			gi = len(groups)
			index[string(buf)] = gi
			groups = append(groups, newGroup(by))
			by = make([]any, len(byFns))
			r.grow(groupSize + int64(len(buf)))
			r.checkRows(o.P, len(groups))
		}
		for _, s := range groups[gi].states {
			s.add(row)
		}
	})
	if len(groups) == 0 && len(byFns) == 0 {
		groups = append(groups, newGroup(nil))
	}
	out := r.derived(in, cols, len(groups))
	r.grow(rowBytes(len(cols)) * int64(len(groups)))
	for _, g := range groups {
		r.tick(o.P)
		nr := make([]any, 0, len(cols))
		nr = append(nr, g.by...)
		for i, s := range g.states {
			res := s.result()
			if aggs[i].multi {
				vals, _ := res.([]any)
				if pa, ok := s.(*pctAgg); ok {
					vals = pa.results()
				}
				for k := 0; k < aggs[i].width; k++ {
					if k < len(vals) {
						nr = append(nr, vals[k])
					} else {
						nr = append(nr, nil)
					}
				}
				continue
			}
			nr = append(nr, res)
		}
		for k := range nr {
			if nr[k] == nil && cols[k].Type == value.String {
				nr[k] = ""
			}
		}
		out.Rows = append(out.Rows, nr)
	}
	widths := make([]int, len(aggs))
	for i, a := range aggs {
		widths[i] = a.width
	}
	return out, widths
}

// dedupeNames renames repeated column names X to X1, X2... as Kusto does.
func dedupeNames(cols []value.Column) []value.Column {
	seen := map[string]bool{}
	for i := range cols {
		name := cols[i].Name
		if seen[name] {
			for k := 1; ; k++ {
				cand := fmt.Sprintf("%s%d", name, k)
				if !seen[cand] {
					name = cand
					break
				}
			}
			cols[i].Name = name
		}
		seen[name] = true
	}
	return cols
}

func (r *run) union(o *UnionOp, in *value.Table, env *scope) *value.Table {
	var parts []*value.Table
	var names []string
	if in != nil {
		parts = append(parts, in)
		names = append(names, in.Name)
	}
	for _, te := range o.Tables {
		if id, ok := te.(*Ident); ok && strings.Contains(id.Name, "*") {
			failWrap(id.P, ErrUnsupported, "union with wildcard table names")
		}
		t, err := r.tryTable(te, env, o.IsFuzzy)
		if err != nil {
			panic(bailout{err})
		}
		if t == nil {
			continue
		}
		parts = append(parts, t)
		name := t.Name
		if id, ok := te.(*Ident); ok {
			name = id.Name
		}
		names = append(names, name)
	}
	var cols []value.Column
	pos := map[string]int{}
	if o.WithSource != "" {
		cols = append(cols, value.Column{Name: o.WithSource, Type: value.String})
		pos[o.WithSource] = 0
	}
	maps := make([][]int, len(parts))
	total := 0
	opaque := false
	for k, t := range parts {
		total += len(t.Rows)
		opaque = opaque || r.opaque[t]
		m := make([]int, len(t.Columns))
		for i, c := range t.Columns {
			j, ok := pos[c.Name]
			if !ok {
				j = len(cols)
				pos[c.Name] = j
				cols = append(cols, c)
			} else if cols[j].Type != c.Type {
				cols[j].Type = value.Dynamic
			}
			m[i] = j
		}
		maps[k] = m
	}
	if o.Kind == "inner" {
		// only columns present in every part
		var keep []value.Column
		for _, c := range cols {
			all := true
			for _, t := range parts {
				if t.Index(c.Name) < 0 && c.Name != o.WithSource {
					all = false
				}
			}
			if all {
				keep = append(keep, c)
			}
		}
		_ = keep
	}
	r.checkRows(o.P, total)
	out := newTable(cols, total)
	if opaque {
		r.opaque[out] = true
	}
	size := rowBytes(len(cols))
	for k, t := range parts {
		for _, row := range t.Rows {
			r.tick(o.P)
			r.grow(size)
			nr := make([]any, len(cols))
			for i, v := range row {
				if i < len(maps[k]) {
					nr[maps[k][i]] = v
				}
			}
			if o.WithSource != "" {
				nr[0] = names[k]
			}
			for i := range nr {
				if nr[i] == nil && cols[i].Type == value.String {
					nr[i] = ""
				}
			}
			out.Rows = append(out.Rows, nr)
		}
	}
	return out
}

// tryTable evaluates a tabular expression; with fuzzy set, a missing
// table yields (nil, nil) instead of an error.
func (r *run) tryTable(e Expr, env *scope, fuzzy bool) (t *value.Table, err error) {
	if !fuzzy {
		return r.table(e, env), nil
	}
	defer func() {
		if rec := recover(); rec != nil {
			b, ok := rec.(bailout)
			if !ok || isBudgetOrCancel(b.err) {
				panic(rec)
			}
			r.warn(e.Position(), "union isfuzzy: skipped: %v", b.err)
			t, err = nil, nil
		}
	}()
	return r.table(e, env), nil
}

func (r *run) source(op TabOp, env *scope) *value.Table {
	switch o := op.(type) {
	case *UnionOp:
		return r.union(o, nil, env)
	case *PrintOp:
		empty := &value.Table{Rows: [][]any{{}}}
		return r.project(&ProjectOp{P: o.P, Kind: "project", Cols: o.Cols}, empty, env)
	case *DatatableOp:
		c := r.compiler(nil, env, false)
		out := newTable(o.Cols, 0)
		if len(o.Cols) == 0 {
			return out
		}
		var row []any
		for _, x := range o.Values {
			v := c.constant(x)
			row = append(row, convertTo(v, o.Cols[len(row)].Type))
			if len(row) == len(o.Cols) {
				out.Rows = append(out.Rows, row)
				row = nil
			}
		}
		if row != nil {
			fail(o.P, "datatable: %d values do not fill whole rows of %d columns", len(o.Values), len(o.Cols))
		}
		return out
	case *ExternalDataOp:
		r.warn(o.P, "externaldata is not fetched offline: it yields no rows")
		return newTable(o.Cols, 0)
	case *RangeOp:
		c := r.compiler(nil, env, false)
		from, to, step := c.constant(o.From), c.constant(o.To), c.constant(o.By)
		out := newTable([]value.Column{{Name: o.Name, Type: typeOf(from)}}, 0)
		for v, i := from, 0; ; i++ {
			cmp, ok := compareCells(v, to)
			if !ok || cmp > 0 {
				break
			}
			out.Rows = append(out.Rows, []any{v})
			r.tick(o.P)
			r.grow(rowBytes(1))
			r.checkRows(o.P, len(out.Rows))
			nv := arith("+", v, step)
			if nv == nil {
				break
			}
			if c2, ok := compareCells(nv, v); !ok || c2 <= 0 {
				break
			}
			v = nv
		}
		return out
	case *FindOp:
		return r.find(o, env)
	}
	fail(op.opPos(), "not a source operator")
	return nil
}

// joinKeys resolves the on-clause to left and right column indexes.
func (r *run) joinKeys(o *JoinOp, left, right *value.Table) (li, ri []int) {
	for _, e := range o.On {
		var ln, rn string
		var p Pos
		switch x := e.(type) {
		case *Ident:
			ln, rn, p = x.Name, x.Name, x.P
		case *Binary:
			if x.Op != "==" {
				fail(x.P, "join: on-clause needs == between $left and $right columns")
			}
			a, aok := x.L.(*Member)
			b, bok := x.R.(*Member)
			if !aok || !bok {
				fail(x.P, "join: on-clause needs $left.Col == $right.Col")
			}
			aSide, bSide := sideOf(a), sideOf(b)
			switch {
			case aSide == "$left" && bSide == "$right":
				ln, rn = a.Name, b.Name
			case aSide == "$right" && bSide == "$left":
				ln, rn = b.Name, a.Name
			default:
				fail(x.P, "join: on-clause needs $left.Col == $right.Col")
			}
			p = x.P
		default:
			fail(e.Position(), "join: unsupported on-clause")
		}
		a, b := left.Index(ln), right.Index(rn)
		if a < 0 && !r.opaque[left] {
			if r.opts.Strict {
				fail(p, "join: unknown left column %s", ln)
			}
			r.warn(p, "join: unknown left column %s", ln)
		}
		if b < 0 && !r.opaque[right] {
			if r.opts.Strict {
				fail(p, "join: unknown right column %s", rn)
			}
			r.warn(p, "join: unknown right column %s", rn)
		}
		li, ri = append(li, a), append(ri, b)
	}
	return li, ri
}

func sideOf(m *Member) string {
	if id, ok := m.X.(*Ident); ok {
		return id.Name
	}
	return ""
}

func joinKey(buf []byte, row []any, idx []int) []byte {
	for _, i := range idx {
		if i < 0 {
			buf = keyOf(buf, nil)
		} else {
			buf = keyOf(buf, row[i])
		}
	}
	return buf
}

func (r *run) mvExpand(o *MvExpandOp, in *value.Table, env *scope) *value.Table {
	c := r.compiler(in, env, false)
	cols := append([]value.Column(nil), in.Columns...)
	type item struct {
		fn  rowFn
		dst int
		typ value.Type
	}
	var items []item
	n := 0
	for _, a := range o.Items {
		ce := c.compile(a.X)
		name := assignName(a, &n)
		typ := value.Dynamic
		if a.ToType != "" {
			t, ok := value.ParseType(a.ToType)
			if !ok {
				fail(o.P, "mv-expand: unknown type %s", a.ToType)
			}
			typ = t
		}
		dst := -1
		for i, col := range cols {
			if col.Name == name {
				dst = i
			}
		}
		if dst < 0 {
			cols = append(cols, value.Column{Name: name, Type: typ})
			dst = len(cols) - 1
		} else {
			cols[dst].Type = typ
		}
		items = append(items, item{fn: ce.fn, dst: dst, typ: typ})
	}
	idxCol := -1
	if o.ItemIndex != "" {
		cols = append(cols, value.Column{Name: o.ItemIndex, Type: value.Long})
		idxCol = len(cols) - 1
	}
	limit := int64(-1)
	if o.Limit != nil {
		if v, ok := toLong(r.compiler(nil, env, false).constant(o.Limit)); ok {
			limit = v.(int64)
		}
	}
	out := r.derived(in, cols, len(in.Rows))
	vals := make([][]any, len(items))
	size := rowBytes(len(cols))
	for _, row := range in.Rows {
		r.tick(o.P)
		maxN := 0
		for k, it := range items {
			v := it.fn(row)
			switch x := v.(type) {
			case nil:
				vals[k] = []any{nil}
			case []any:
				vals[k] = x
			case map[string]any:
				arr := make([]any, 0, len(x))
				for _, key := range sortedKeys(x) {
					arr = append(arr, map[string]any{key: x[key]})
				}
				vals[k] = arr
			case string:
				if arr, ok := asArray(x); ok {
					vals[k] = arr
				} else if m, ok := asBag(x); ok {
					arr := make([]any, 0, len(m))
					for _, key := range sortedKeys(m) {
						arr = append(arr, map[string]any{key: m[key]})
					}
					vals[k] = arr
				} else {
					vals[k] = []any{x}
				}
			default:
				vals[k] = []any{x}
			}
			maxN = max(maxN, len(vals[k]))
		}
		if limit >= 0 && int64(maxN) > limit {
			maxN = int(limit)
		}
		for j := 0; j < maxN; j++ {
			r.tick(o.P)
			r.grow(size)
			nr := make([]any, len(cols))
			copy(nr, row)
			for k, it := range items {
				var v any
				if j < len(vals[k]) {
					v = vals[k][j]
				}
				if it.typ != value.Dynamic {
					v = convertTo(v, it.typ)
				}
				nr[it.dst] = v
			}
			if idxCol >= 0 {
				nr[idxCol] = int64(j)
			}
			out.Rows = append(out.Rows, nr)
		}
		r.checkRows(o.P, len(out.Rows))
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// mvApply runs the subquery once per input row over the expanded items.
func (r *run) mvApply(o *MvApplyOp, in *value.Table, env *scope) *value.Table {
	c := r.compiler(in, env, false)
	type item struct {
		fn   rowFn
		name string
		typ  value.Type
	}
	var items []item
	n := 0
	for _, a := range o.Items {
		ce := c.compile(a.X)
		typ := value.Dynamic
		if a.ToType != "" {
			if t, ok := value.ParseType(a.ToType); ok {
				typ = t
			}
		}
		items = append(items, item{fn: ce.fn, name: assignName(a, &n), typ: typ})
	}
	var out *value.Table
	for _, row := range in.Rows {
		r.tick(o.P)
		// the subquery sees the row's columns plus the expanded items
		sub := &value.Table{Columns: append([]value.Column(nil), in.Columns...)}
		dst := make([]int, len(items))
		for k, it := range items {
			dst[k] = -1
			for i, col := range sub.Columns {
				if col.Name == it.name {
					dst[k] = i
				}
			}
			if dst[k] < 0 {
				sub.Columns = append(sub.Columns, value.Column{Name: it.name, Type: it.typ})
				dst[k] = len(sub.Columns) - 1
			}
		}
		var arrs [][]any
		maxN := 0
		for _, it := range items {
			arr, ok := asArray(it.fn(row))
			if !ok {
				if m, isBag := asBag(it.fn(row)); isBag {
					for _, key := range sortedKeys(m) {
						arr = append(arr, map[string]any{key: m[key]})
					}
				}
			}
			arrs = append(arrs, arr)
			maxN = max(maxN, len(arr))
		}
		for j := 0; j < maxN; j++ {
			r.tick(o.P)
			nr := make([]any, len(sub.Columns))
			copy(nr, row)
			for k, it := range items {
				var v any
				if j < len(arrs[k]) {
					v = arrs[k][j]
				}
				if it.typ != value.Dynamic {
					v = convertTo(v, it.typ)
				}
				nr[dst[k]] = v
			}
			sub.Rows = append(sub.Rows, nr)
		}
		senv := env.child()
		senv.names["$mvapply"] = &binding{name: "$mvapply", done: true, isTab: true, tab: sub}
		res := r.table(o.Sub, senv)
		if out == nil {
			out = r.derived(in, res.Columns, 0)
		}
		// the subquery's own tables are garbage once its rows are copied
		r.shrink(r.charge[res])
		delete(r.charge, res)
		r.grow(rowBytes(len(res.Columns)) * int64(len(res.Rows)))
		out.Rows = append(out.Rows, res.Rows...)
		r.checkRows(o.P, len(out.Rows))
	}
	if out == nil {
		// no rows: compute the schema from an empty run of the subquery
		sub := &value.Table{Columns: append([]value.Column(nil), in.Columns...)}
		for _, it := range items {
			if sub.Index(it.name) < 0 {
				sub.Columns = append(sub.Columns, value.Column{Name: it.name, Type: it.typ})
			}
		}
		senv := env.child()
		senv.names["$mvapply"] = &binding{name: "$mvapply", done: true, isTab: true, tab: sub}
		res := r.table(o.Sub, senv)
		out = r.derived(in, res.Columns, 0)
	}
	return out
}

// parse extracts columns from a string with a pattern of literals, *
// wildcards and typed columns.
func (r *run) parse(o *ParseOp, in *value.Table, env *scope) *value.Table {
	c := r.compiler(in, env, false)
	src := c.compile(o.X)
	var sb strings.Builder
	sb.WriteString(`(?s)^`)
	if strings.Contains(o.Flags, "i") {
		sb.WriteString(`(?i)`)
	}
	var names []ParsePiece
	for k, pc := range o.Pattern {
		last := k == len(o.Pattern)-1
		switch {
		case pc.IsLit:
			if o.Kind == "regex" {
				sb.WriteString("(?:" + pc.Lit + ")")
			} else {
				sb.WriteString(regexp.QuoteMeta(pc.Lit))
			}
		case pc.Star:
			if last {
				sb.WriteString(`.*`)
			} else {
				sb.WriteString(`.*?`)
			}
		default:
			names = append(names, pc)
			switch {
			case pc.Type == value.Long || pc.Type == value.Int:
				sb.WriteString(`(-?\d+)`)
			case pc.Type == value.Real:
				sb.WriteString(`(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)`)
			case last:
				sb.WriteString(`(.*)`)
			default:
				sb.WriteString(`(.*?)`)
			}
		}
	}
	if len(o.Pattern) > 0 && !o.Pattern[len(o.Pattern)-1].IsLit && !o.Pattern[len(o.Pattern)-1].Star && o.Kind != "relaxed" {
		sb.WriteString(`$`)
	}
	re, err := regexp.Compile(sb.String())
	if err != nil {
		failWrap(o.P, err, "parse: bad pattern")
	}
	cols := append([]value.Column(nil), in.Columns...)
	dst := make([]int, len(names))
	for k, pc := range names {
		dst[k] = -1
		for i, col := range cols {
			if col.Name == pc.Name {
				dst[k] = i
				cols[i].Type = pc.Type
			}
		}
		if dst[k] < 0 {
			cols = append(cols, value.Column{Name: pc.Name, Type: pc.Type})
			dst[k] = len(cols) - 1
		}
	}
	out := r.derived(in, cols, len(in.Rows))
	size := rowBytes(len(cols))
	for _, row := range in.Rows {
		r.tick(o.P)
		m := re.FindStringSubmatch(toStr(src.fn(row)))
		if m == nil && o.Where {
			continue
		}
		nr := make([]any, len(cols))
		copy(nr, row)
		for k, pc := range names {
			var v any
			if m != nil && k+1 < len(m) {
				v = m[k+1]
			}
			nr[dst[k]] = convertTo(v, pc.Type)
		}
		r.grow(size)
		out.Rows = append(out.Rows, nr)
	}
	return out
}

func (r *run) evaluate(o *EvaluateOp, in *value.Table, env *scope) *value.Table {
	switch o.Call.Name {
	case "bag_unpack":
		if len(o.Call.Args) < 1 {
			fail(o.P, "bag_unpack() needs a column")
		}
		c := r.compiler(in, env, false)
		src := c.compile(o.Call.Args[0])
		prefix := ""
		if len(o.Call.Args) > 1 {
			prefix = toStr(c.constant(o.Call.Args[1]))
		}
		srcCol := -1
		if id, ok := o.Call.Args[0].(*Ident); ok {
			srcCol = in.Index(id.Name)
		}
		// collect keys in first-seen order
		var keys []string
		seen := map[string]bool{}
		bags := make([]map[string]any, len(in.Rows))
		for i, row := range in.Rows {
			r.tick(o.P)
			m, _ := asBag(src.fn(row))
			bags[i] = m
			for _, k := range sortedKeys(m) {
				if !seen[k] {
					seen[k] = true
					keys = append(keys, k)
				}
			}
		}
		var keep []int
		var cols []value.Column
		for i, col := range in.Columns {
			if i != srcCol {
				keep = append(keep, i)
				cols = append(cols, col)
			}
		}
		for _, k := range keys {
			cols = append(cols, value.Column{Name: prefix + k, Type: value.Dynamic})
		}
		out := r.derived(in, cols, len(in.Rows))
		size := rowBytes(len(cols))
		for i, row := range in.Rows {
			r.tick(o.P)
			r.grow(size)
			nr := make([]any, 0, len(cols))
			for _, k := range keep {
				nr = append(nr, row[k])
			}
			for _, k := range keys {
				nr = append(nr, bags[i][k])
			}
			out.Rows = append(out.Rows, nr)
		}
		return out
	}
	if o.Call.Name == "pivot" {
		return r.pivot(o, in, env)
	}
	failWrap(o.P, ErrUnsupported, "evaluate %s()", o.Call.Name)
	return nil
}
