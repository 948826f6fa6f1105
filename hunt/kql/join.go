package kql

import (
	"fmt"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// Joins are hash joins. The hash index is built on the smaller side: when
// the left side is the smaller, its keys are collected first and only the
// right rows whose key is among them are indexed, so the index never holds
// more than the smaller side's keys and the matching rows. The output
// keeps the documented order either way: left rows in order, each with its
// matches in right order, then (rightouter, fullouter) the unmatched right
// rows.
//
// A join followed directly by count, or by summarize, never materialises
// its rows: count is computed from per-key counts (countJoin), summarize
// consumes the joined rows one at a time (fused).

// joinPlan is a join ready to run: both sides, the keys, the output
// columns.
type joinPlan struct {
	o           *JoinOp
	kind        string
	left, right *value.Table
	li, ri      []int
	cols        []value.Column // output columns (not semi/anti joins)
	rKeep       []int          // right columns kept, in output order
	opaque      bool
}

func normKind(o *JoinOp) string {
	kind := o.Kind
	if kind == "" {
		kind = "innerunique"
		if o.Lookup {
			kind = "leftouter"
		}
	}
	switch kind {
	case "anti", "leftantisemi":
		kind = "leftanti"
	case "rightantisemi":
		kind = "rightanti"
	case "semi":
		kind = "leftsemi"
	case "outer":
		kind = "fullouter"
	}
	return kind
}

func (r *run) planJoin(o *JoinOp, left *value.Table, env *scope) *joinPlan {
	right := r.table(o.Right, env)
	pl := &joinPlan{o: o, kind: normKind(o), left: left, right: right}
	switch pl.kind {
	case "inner", "innerunique", "leftouter", "rightouter", "fullouter",
		"leftsemi", "leftanti", "rightsemi", "rightanti":
	default:
		fail(o.P, "join kind %s is not supported", pl.kind)
	}
	pl.li, pl.ri = r.joinKeys(o, left, right)
	pl.opaque = r.opaque[left] || r.opaque[right]
	// output columns: left, then right (renamed on conflict; lookup drops
	// the right key columns)
	cols := append([]value.Column(nil), left.Columns...)
	taken := map[string]bool{}
	for _, c := range cols {
		taken[c.Name] = true
	}
	dropR := map[int]bool{}
	if o.Lookup {
		for k, i := range pl.ri {
			if i >= 0 && pl.li[k] >= 0 && left.Columns[pl.li[k]].Name == right.Columns[i].Name {
				dropR[i] = true
			}
		}
	}
	for i, c := range right.Columns {
		if dropR[i] {
			continue
		}
		name := c.Name
		if taken[name] {
			for k := 1; ; k++ {
				cand := fmt.Sprintf("%s%d", c.Name, k)
				if !taken[cand] {
					name = cand
					break
				}
			}
		}
		taken[name] = true
		cols = append(cols, value.Column{Name: name, Type: c.Type})
		pl.rKeep = append(pl.rKeep, i)
	}
	pl.cols = cols
	return pl
}

// header is an empty table with the join's output columns, for compiling
// the expressions of a fused operator.
func (r *run) header(pl *joinPlan) *value.Table {
	t := &value.Table{Name: pl.left.Name, Columns: pl.cols}
	if pl.opaque {
		r.opaque[t] = true
	}
	return t
}

// keySet collects the non-null keys of rows, with how many rows have each.
func (r *run) keySet(rows [][]any, idx []int) map[string]int {
	set := map[string]int{}
	var buf []byte
	for _, row := range rows {
		r.tick(r.cur.p)
		if hasNullKey(row, idx) {
			continue
		}
		buf = joinKey(buf[:0], row, idx)
		if _, ok := set[string(buf)]; !ok {
			r.grow(entryOverhead + int64(len(buf)))
		}
		set[string(buf)]++
	}
	return set
}

// index maps keys to the right rows that have them: every right row when
// the right side is the smaller, else only those whose key the left side
// has.
func (r *run) index(pl *joinPlan) map[string][]int {
	var filter map[string]int
	if len(pl.left.Rows) < len(pl.right.Rows) {
		filter = r.keySet(pl.left.Rows, pl.li)
	}
	idx := map[string][]int{}
	var buf []byte
	for i, row := range pl.right.Rows {
		r.tick(r.cur.p)
		if hasNullKey(row, pl.ri) {
			continue
		}
		buf = joinKey(buf[:0], row, pl.ri)
		if filter != nil {
			if _, ok := filter[string(buf)]; !ok {
				continue
			}
		}
		l, ok := idx[string(buf)]
		if !ok {
			r.grow(entryOverhead + int64(len(buf)))
		}
		r.grow(8)
		idx[string(buf)] = append(l, i)
	}
	return idx
}

// each calls yield for every joined row of an inner or outer join, in
// order; a nil side is the null row of an outer join.
func (r *run) each(pl *joinPlan, yield func(l, rr []any)) {
	idx := r.index(pl)
	kind := pl.kind
	usedR := make([]bool, len(pl.right.Rows))
	r.grow(int64(len(usedR)))
	seenL := map[string]bool{}
	var buf []byte
	for _, row := range pl.left.Rows {
		r.tick(r.cur.p)
		buf = joinKey(buf[:0], row, pl.li)
		if kind == "innerunique" {
			if seenL[string(buf)] {
				continue
			}
			seenL[string(buf)] = true
			r.grow(entryOverhead + int64(len(buf)))
		}
		var matches []int
		if !hasNullKey(row, pl.li) {
			matches = idx[string(buf)]
		}
		if len(matches) == 0 {
			if kind == "leftouter" || kind == "fullouter" {
				yield(row, nil)
			}
			continue
		}
		for _, m := range matches {
			r.tick(r.cur.p)
			usedR[m] = true
			yield(row, pl.right.Rows[m])
		}
	}
	if kind == "rightouter" || kind == "fullouter" {
		for i, row := range pl.right.Rows {
			r.tick(r.cur.p)
			if !usedR[i] {
				yield(nil, row)
			}
		}
	}
}

// fill writes the joined row of l and rr into nr (len(pl.cols)).
func (pl *joinPlan) fill(nr []any, l, rr []any) {
	n := len(pl.left.Columns)
	if l == nil {
		for i, c := range pl.left.Columns {
			nr[i] = convertTo(nil, c.Type)
		}
	} else {
		copy(nr[:n], l)
	}
	for k, i := range pl.rKeep {
		if rr == nil {
			nr[n+k] = convertTo(nil, pl.right.Columns[i].Type)
		} else {
			nr[n+k] = rr[i]
		}
	}
}

func (r *run) join(o *JoinOp, left *value.Table, env *scope) *value.Table {
	pl := r.planJoin(o, left, env)
	mark := func(t *value.Table) *value.Table {
		if pl.opaque {
			r.opaque[t] = true
		}
		return t
	}
	switch pl.kind {
	case "leftanti", "leftsemi", "rightanti", "rightsemi":
		keep, from := r.semi(pl)
		out := mark(newTable(from.Columns, 0))
		out.Rows = make([][]any, 0, len(keep))
		r.grow(24 * int64(len(keep)))
		for _, i := range keep {
			out.Rows = append(out.Rows, from.Rows[i])
		}
		return out
	}
	out := mark(newTable(pl.cols, 0))
	size := rowBytes(len(pl.cols))
	r.each(pl, func(l, rr []any) {
		nr := make([]any, len(pl.cols))
		pl.fill(nr, l, rr)
		r.grow(size)
		out.Rows = append(out.Rows, nr)
		r.checkRows(o.P, len(out.Rows))
	})
	return out
}

// semi returns the rows of a semi or anti join: indexes into the side it
// returns, in order. The key set is built on the other side.
func (r *run) semi(pl *joinPlan) ([]int, *value.Table) {
	from, fi, other, oi := pl.left, pl.li, pl.right, pl.ri
	want := pl.kind == "leftsemi" || pl.kind == "rightsemi"
	if pl.kind == "rightsemi" || pl.kind == "rightanti" {
		from, fi, other, oi = pl.right, pl.ri, pl.left, pl.li
	}
	set := r.keySet(other.Rows, oi)
	var keep []int
	var buf []byte
	for i, row := range from.Rows {
		r.tick(r.cur.p)
		ok := false
		if !hasNullKey(row, fi) {
			buf = joinKey(buf[:0], row, fi)
			_, ok = set[string(buf)]
		}
		if ok == want {
			keep = append(keep, i)
		}
	}
	return keep, from
}

// countJoin counts the rows a join would produce without producing them:
// the smaller side's keys are counted, the larger side streams past them.
func (r *run) countJoin(pl *joinPlan) int64 {
	switch pl.kind {
	case "leftanti", "leftsemi", "rightanti", "rightsemi":
		keep, _ := r.semi(pl)
		return int64(len(keep))
	}
	// a is the build side, b the streamed one
	buildLeft := len(pl.left.Rows) < len(pl.right.Rows)
	a, ai, b, bi := pl.right, pl.ri, pl.left, pl.li
	if buildLeft {
		a, ai, b, bi = pl.left, pl.li, pl.right, pl.ri
	}
	type cnt struct {
		n   int64
		hit bool
	}
	counts := map[string]*cnt{}
	var aNull int64
	var buf []byte
	for _, row := range a.Rows {
		r.tick(r.cur.p)
		if hasNullKey(row, ai) {
			aNull++
			continue
		}
		buf = joinKey(buf[:0], row, ai)
		c, ok := counts[string(buf)]
		if !ok {
			c = &cnt{}
			counts[string(buf)] = c
			r.grow(entryOverhead + 16 + int64(len(buf)))
		}
		c.n++
	}
	var pairs, bUnmatched, bMatchedRows int64
	var uniquePairs int64 // innerunique: one left row per key
	seenB := map[string]bool{}
	for _, row := range b.Rows {
		r.tick(r.cur.p)
		var c *cnt
		if !hasNullKey(row, bi) {
			buf = joinKey(buf[:0], row, bi)
			c = counts[string(buf)]
		}
		if c == nil {
			bUnmatched++
			continue
		}
		c.hit = true
		pairs += c.n
		bMatchedRows++
		if buildLeft {
			// each right row meets the one left row kept for its key
			uniquePairs++
		} else if !seenB[string(buf)] {
			// the first left row of each key meets all its right rows
			seenB[string(buf)] = true
			r.grow(entryOverhead + int64(len(buf)))
			uniquePairs += c.n
		}
	}
	aUnmatched := aNull
	for _, c := range counts {
		if !c.hit {
			aUnmatched += c.n
		}
	}
	leftUnmatched, rightUnmatched := bUnmatched, aUnmatched
	if buildLeft {
		leftUnmatched, rightUnmatched = aUnmatched, bUnmatched
	}
	switch pl.kind {
	case "inner":
		return pairs
	case "innerunique":
		return uniquePairs
	case "leftouter":
		return pairs + leftUnmatched
	case "rightouter":
		return pairs + rightUnmatched
	}
	return pairs + leftUnmatched + rightUnmatched // fullouter
}

// fused evaluates a join followed directly by count or summarize without
// materialising the join's rows. It reports false for any other pipe.
func (r *run) fused(x *Pipe, env *scope) (*value.Table, bool) {
	src, ok := x.Src.(*Pipe)
	if !ok {
		return nil, false
	}
	jo, ok := src.Op.(*JoinOp)
	if !ok {
		return nil, false
	}
	switch op := x.Op.(type) {
	case *CountOp:
		left := r.table(src.Src, env)
		done := r.enter(opName(jo), jo.P)
		before := r.live - r.held
		pl := r.planJoin(jo, left, env)
		n := r.countJoin(pl)
		done()
		out := &value.Table{Columns: []value.Column{{Name: "Count", Type: value.Long}}, Rows: [][]any{{n}}}
		// the hash tables are garbage now
		r.shrink(r.live - r.held - before)
		r.settle(op, left, out, 0)
		return out, true
	case *SummarizeOp:
		left := r.table(src.Src, env)
		done := r.enter(opName(jo), jo.P)
		before := r.live - r.held
		pl := r.planJoin(jo, left, env)
		var rows rowSource
		switch pl.kind {
		case "leftanti", "leftsemi", "rightanti", "rightsemi":
			keep, from := r.semi(pl)
			rows = rowSource{t: from, each: func(yield func([]any)) {
				for _, i := range keep {
					yield(from.Rows[i])
				}
			}}
		default:
			nr := make([]any, len(pl.cols))
			sum := opRef{"summarize", op.P}
			rows = rowSource{t: r.header(pl), each: func(yield func([]any)) {
				// the hash index is the join's, the groups summarize's
				r.cur = opRef{opName(jo), jo.P}
				r.each(pl, func(l, rr []any) {
					// the aggregates read the row and keep cells, never
					// the row itself: one buffer serves every row
					pl.fill(nr, l, rr)
					r.cur = sum
					yield(nr)
				})
				r.cur = sum
			}}
		}
		out := r.summarizeFrom(op, rows, env)
		done()
		made := r.live - r.held - before
		r.settle(op, left, out, made)
		return out, true
	}
	return nil, false
}

func hasNullKey(row []any, idx []int) bool {
	for _, i := range idx {
		if i < 0 || row[i] == nil {
			return true
		}
	}
	return false
}
