package kql

import (
	"math"
	"sort"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// aggState accumulates one aggregate over the rows of one group.
type aggState interface {
	add(row []any)
	result() any
}

// aggDef describes an aggregate function: the prefix of its default
// column name (count() is count_, dcount(x) is dcount_x) and a
// constructor over the compiled arguments.
type aggDef struct {
	prefix string
	min    int
	max    int // <0: variadic
	typ    func(args []*cexpr) value.Type
	make   func(args []*cexpr) func() aggState
}

func fixedType(t value.Type) func([]*cexpr) value.Type {
	return func([]*cexpr) value.Type { return t }
}

func argType(i int) func([]*cexpr) value.Type {
	return func(a []*cexpr) value.Type {
		if i < len(a) {
			return a[i].typ
		}
		return value.Dynamic
	}
}

// aggregates are the aggregate functions summarize knows, by name.
var aggregates = map[string]aggDef{
	"count": {prefix: "count_", min: 0, max: 1, typ: fixedType(value.Long), make: func(a []*cexpr) func() aggState {
		return func() aggState { return &countAgg{} }
	}},
	"countif": {prefix: "countif_", min: 1, max: 1, typ: fixedType(value.Long), make: func(a []*cexpr) func() aggState {
		return func() aggState { return &countAgg{pred: a[0].fn} }
	}},
	"dcount": {prefix: "dcount_", min: 1, max: 2, typ: fixedType(value.Long), make: func(a []*cexpr) func() aggState {
		return func() aggState { return &dcountAgg{x: a[0].fn, seen: map[string]struct{}{}} }
	}},
	"dcountif": {prefix: "dcountif_", min: 2, max: 3, typ: fixedType(value.Long), make: func(a []*cexpr) func() aggState {
		return func() aggState { return &dcountAgg{x: a[0].fn, pred: a[1].fn, seen: map[string]struct{}{}} }
	}},
	"count_distinct": {prefix: "count_distinct_", min: 1, max: 1, typ: fixedType(value.Long), make: func(a []*cexpr) func() aggState {
		return func() aggState { return &dcountAgg{x: a[0].fn, seen: map[string]struct{}{}} }
	}},
	"min": {prefix: "min_", min: 1, max: 1, typ: argType(0), make: func(a []*cexpr) func() aggState {
		return func() aggState { return &extremeAgg{x: a[0].fn, sign: -1} }
	}},
	"max": {prefix: "max_", min: 1, max: 1, typ: argType(0), make: func(a []*cexpr) func() aggState {
		return func() aggState { return &extremeAgg{x: a[0].fn, sign: 1} }
	}},
	"minif": {prefix: "minif_", min: 2, max: 2, typ: argType(0), make: func(a []*cexpr) func() aggState {
		return func() aggState { return &extremeAgg{x: a[0].fn, pred: a[1].fn, sign: -1} }
	}},
	"maxif": {prefix: "maxif_", min: 2, max: 2, typ: argType(0), make: func(a []*cexpr) func() aggState {
		return func() aggState { return &extremeAgg{x: a[0].fn, pred: a[1].fn, sign: 1} }
	}},
	"sum": {prefix: "sum_", min: 1, max: 1, typ: sumType, make: func(a []*cexpr) func() aggState {
		return func() aggState { return &sumAgg{x: a[0].fn} }
	}},
	"sumif": {prefix: "sumif_", min: 2, max: 2, typ: sumType, make: func(a []*cexpr) func() aggState {
		return func() aggState { return &sumAgg{x: a[0].fn, pred: a[1].fn} }
	}},
	"avg": {prefix: "avg_", min: 1, max: 1, typ: fixedType(value.Real), make: func(a []*cexpr) func() aggState {
		return func() aggState { return &sumAgg{x: a[0].fn, avg: true} }
	}},
	"avgif": {prefix: "avgif_", min: 2, max: 2, typ: fixedType(value.Real), make: func(a []*cexpr) func() aggState {
		return func() aggState { return &sumAgg{x: a[0].fn, pred: a[1].fn, avg: true} }
	}},
	"make_set": aggMakeSet,
	"make_set_if": {prefix: "set_", min: 2, max: 3, typ: fixedType(value.Dynamic), make: func(a []*cexpr) func() aggState {
		lim := limitArg(a, 2)
		return func() aggState {
			return &listAgg{x: a[0].fn, pred: a[1].fn, set: true, limit: lim, seen: map[string]struct{}{}}
		}
	}},
	"make_list": aggMakeList,
	"make_list_if": {prefix: "list_", min: 2, max: 3, typ: fixedType(value.Dynamic), make: func(a []*cexpr) func() aggState {
		lim := limitArg(a, 2)
		return func() aggState { return &listAgg{x: a[0].fn, pred: a[1].fn, limit: lim} }
	}},
	"make_bag": aggMakeBag,
	"any":      aggAny,
	"anyif":    aggAnyIf,
	"stdev": {prefix: "stdev_", min: 1, max: 1, typ: fixedType(value.Real), make: func(a []*cexpr) func() aggState {
		return func() aggState { return &varAgg{x: a[0].fn, sqrt: true} }
	}},
	"variance": {prefix: "variance_", min: 1, max: 1, typ: fixedType(value.Real), make: func(a []*cexpr) func() aggState {
		return func() aggState { return &varAgg{x: a[0].fn} }
	}},
	"percentile": {prefix: "percentile_", min: 2, max: 2, typ: argType(0), make: func(a []*cexpr) func() aggState {
		p, _ := num(a[1].val)
		return func() aggState { return &pctAgg{x: a[0].fn, ps: []float64{p}} }
	}},
	"makeset":     aggMakeSet,
	"makelist":    aggMakeList,
	"take_any":    aggAny,
	"take_anyif":  aggAnyIf,
	"make_bag_if": aggMakeBag,
	// arg_max, arg_min and percentiles are compiled by summarize itself
	// (several columns).
	"arg_max":     {min: 2, max: -1},
	"arg_min":     {min: 2, max: -1},
	"argmax":      {min: 2, max: -1},
	"argmin":      {min: 2, max: -1},
	"percentiles": {min: 2, max: -1},
}

// The aggregates below answer to two names each (make_set and makeset,
// any and take_any, ...).

var aggMakeSet = aggDef{prefix: "set_", min: 1, max: 2, typ: fixedType(value.Dynamic), make: func(a []*cexpr) func() aggState {
	lim := limitArg(a, 1)
	return func() aggState { return &listAgg{x: a[0].fn, set: true, limit: lim, seen: map[string]struct{}{}} }
}}

var aggMakeList = aggDef{prefix: "list_", min: 1, max: 2, typ: fixedType(value.Dynamic), make: func(a []*cexpr) func() aggState {
	lim := limitArg(a, 1)
	return func() aggState { return &listAgg{x: a[0].fn, limit: lim} }
}}

var aggMakeBag = aggDef{prefix: "bag_", min: 1, max: 2, typ: fixedType(value.Dynamic), make: func(a []*cexpr) func() aggState {
	return func() aggState { return &bagAgg{x: a[0].fn} }
}}

var aggAny = aggDef{prefix: "any_", min: 1, max: -1, typ: argType(0), make: func(a []*cexpr) func() aggState {
	return func() aggState { return &anyAgg{x: a[0].fn} }
}}

var aggAnyIf = aggDef{prefix: "anyif_", min: 2, max: 2, typ: argType(0), make: func(a []*cexpr) func() aggState {
	return func() aggState { return &anyAgg{x: a[0].fn, pred: a[1].fn} }
}}

func sumType(a []*cexpr) value.Type {
	switch a[0].typ {
	case value.Long, value.Int:
		return value.Long
	case value.TimeSpan:
		return value.TimeSpan
	}
	return value.Real
}

// maxListLen bounds make_set/make_list (Kusto's default limit).
const maxListLen = 1_048_576

func limitArg(a []*cexpr, i int) int {
	if i < len(a) && a[i].konst {
		if v, ok := toLong(a[i].val); ok && v.(int64) > 0 && v.(int64) < maxListLen {
			return int(v.(int64))
		}
	}
	return maxListLen
}

func predOK(pred rowFn, row []any) bool { return pred == nil || truthy(pred(row)) }

type countAgg struct {
	pred rowFn
	n    int64
}

func (a *countAgg) add(row []any) {
	if predOK(a.pred, row) {
		a.n++
	}
}
func (a *countAgg) result() any { return a.n }

type dcountAgg struct {
	x, pred rowFn
	seen    map[string]struct{}
	buf     []byte
}

func (a *dcountAgg) add(row []any) {
	if !predOK(a.pred, row) {
		return
	}
	v := a.x(row)
	if v == nil {
		return
	}
	a.buf = keyOf(a.buf[:0], v)
	if _, ok := a.seen[string(a.buf)]; !ok {
		a.seen[string(a.buf)] = struct{}{}
	}
}
func (a *dcountAgg) result() any { return int64(len(a.seen)) }

type extremeAgg struct {
	x, pred rowFn
	sign    int
	best    any
}

func (a *extremeAgg) add(row []any) {
	if !predOK(a.pred, row) {
		return
	}
	v := a.x(row)
	if isNullCell(v) {
		return
	}
	if a.best == nil {
		a.best = v
		return
	}
	if c, ok := compareCells(v, a.best); ok && c*a.sign > 0 {
		a.best = v
	}
}
func (a *extremeAgg) result() any { return a.best }

type sumAgg struct {
	x, pred rowFn
	avg     bool
	isInt   bool
	isSpan  bool
	isReal  bool
	i       int64
	f       float64
	d       time.Duration
	n       int64
}

func (a *sumAgg) add(row []any) {
	if !predOK(a.pred, row) {
		return
	}
	switch v := a.x(row).(type) {
	case int64:
		a.i += v
		a.f += float64(v)
		a.isInt = true
		a.n++
	case float64:
		a.f += v
		a.isReal = true
		a.n++
	case time.Duration:
		a.d += v
		a.isSpan = true
		a.n++
	case string:
		if f, ok := toReal(v); ok {
			a.f += f.(float64)
			a.isReal = true
			a.n++
		}
	}
}

func (a *sumAgg) result() any {
	if a.avg {
		if a.n == 0 {
			return nil
		}
		if a.isSpan {
			return float64(a.d) / float64(a.n)
		}
		return a.f / float64(a.n)
	}
	switch {
	case a.isSpan:
		return a.d
	case a.isReal:
		return a.f
	case a.isInt:
		return a.i
	}
	return nil
}

type listAgg struct {
	x, pred rowFn
	set     bool
	limit   int
	seen    map[string]struct{}
	out     []any
	buf     []byte
}

func (a *listAgg) add(row []any) {
	if len(a.out) >= a.limit || !predOK(a.pred, row) {
		return
	}
	v := a.x(row)
	if v == nil {
		return
	}
	if a.set {
		// make_set flattens arrays
		if arr, ok := v.([]any); ok {
			for _, e := range arr {
				a.addOne(e)
			}
			return
		}
		a.addOne(v)
		return
	}
	a.out = append(a.out, v)
}

func (a *listAgg) addOne(v any) {
	if len(a.out) >= a.limit || v == nil {
		return
	}
	a.buf = keyOf(a.buf[:0], v)
	if _, ok := a.seen[string(a.buf)]; ok {
		return
	}
	a.seen[string(a.buf)] = struct{}{}
	a.out = append(a.out, v)
}

func (a *listAgg) result() any {
	if a.out == nil {
		return []any{}
	}
	return a.out
}

type bagAgg struct {
	x   rowFn
	out map[string]any
}

func (a *bagAgg) add(row []any) {
	m, ok := asBag(a.x(row))
	if !ok {
		return
	}
	if a.out == nil {
		a.out = map[string]any{}
	}
	for k, v := range m {
		if _, dup := a.out[k]; !dup {
			a.out[k] = v
		}
	}
}

func (a *bagAgg) result() any {
	if a.out == nil {
		return map[string]any{}
	}
	return a.out
}

type anyAgg struct {
	x, pred rowFn
	v       any
	have    bool
}

func (a *anyAgg) add(row []any) {
	if a.have || !predOK(a.pred, row) {
		return
	}
	v := a.x(row)
	if isEmpty(v) {
		return
	}
	a.v, a.have = v, true
}
func (a *anyAgg) result() any { return a.v }

type varAgg struct {
	x        rowFn
	sqrt     bool
	n        float64
	mean, m2 float64
}

func (a *varAgg) add(row []any) {
	f, ok := num(a.x(row))
	if !ok {
		return
	}
	a.n++
	d := f - a.mean
	a.mean += d / a.n
	a.m2 += d * (f - a.mean)
}

func (a *varAgg) result() any {
	if a.n < 2 {
		return 0.0
	}
	v := a.m2 / (a.n - 1)
	if a.sqrt {
		return math.Sqrt(v)
	}
	return v
}

type pctAgg struct {
	x    rowFn
	ps   []float64
	vals []any
}

func (a *pctAgg) add(row []any) {
	v := a.x(row)
	if v != nil && len(a.vals) < maxListLen {
		a.vals = append(a.vals, v)
	}
}

func (a *pctAgg) result() any {
	res := a.results()
	if len(res) == 1 {
		return res[0]
	}
	return res
}

// results returns one value per requested percentile (nearest rank).
func (a *pctAgg) results() []any {
	out := make([]any, len(a.ps))
	if len(a.vals) == 0 {
		return out
	}
	sort.SliceStable(a.vals, func(i, j int) bool {
		c, _ := compareCells(a.vals[i], a.vals[j])
		return c < 0
	})
	for i, p := range a.ps {
		k := int(math.Ceil(p/100*float64(len(a.vals)))) - 1
		if k < 0 {
			k = 0
		}
		if k >= len(a.vals) {
			k = len(a.vals) - 1
		}
		out[i] = a.vals[k]
	}
	return out
}

// argAgg is arg_max/arg_min: the row values at the extreme of x.
type argAgg struct {
	x    rowFn
	sign int
	cols []rowFn
	best any
	vals []any
}

func (a *argAgg) add(row []any) {
	v := a.x(row)
	if isNullCell(v) {
		return
	}
	if a.vals != nil {
		c, ok := compareCells(v, a.best)
		if !ok || c*a.sign <= 0 {
			return
		}
	}
	a.best = v
	if a.vals == nil {
		a.vals = make([]any, len(a.cols))
	}
	for i, f := range a.cols {
		a.vals[i] = f(row)
	}
}

func (a *argAgg) result() any {
	out := make([]any, len(a.cols)+1)
	out[0] = a.best
	copy(out[1:], a.vals)
	return out
}
