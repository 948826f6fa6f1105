package kql

import (
	"math"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// maxSeriesBins is the longest series make-series builds. It is Kusto's own
// limit (the make-series page: arrays are limited to 1048576 values); a
// longer one is an error, never a truncated array.
const maxSeriesBins = 1 << 20

// maxSeriesValues bounds the bins of all series of one make-series
// together, so that many groups times long series cannot exhaust memory.
const maxSeriesValues = 1 << 22

// ticks are 100 ns units: datetimes count them from 0001-01-01, as Kusto's
// tolong(datetime) does, and timespans are durations in them. Datetimes
// outside years 1..9999 have no ticks.
const (
	ticksPerSecond = 10_000_000
	unixToTicks    = 62_135_596_800 // seconds from 0001-01-01 to 1970-01-01
	maxUnixSeconds = 253_402_300_799
)

func timeTicks(t time.Time) (int64, bool) {
	s := t.Unix()
	if s < -unixToTicks || s > maxUnixSeconds {
		return 0, false
	}
	return (s+unixToTicks)*ticksPerSecond + int64(t.Nanosecond()/100), true
}

func ticksTime(k int64) time.Time {
	return time.Unix(k/ticksPerSecond-unixToTicks, (k%ticksPerSecond)*100).UTC()
}

// seriesAxis maps axis values to bin indexes and back. Datetime and
// timespan axes compute in int64 ticks, numeric axes in float64.
type seriesAxis struct {
	kind   value.Type // DateTime, TimeSpan, or Real for any number
	intOut bool       // numeric axis whose values are all integral
	start  int64
	step   int64
	end    int64 // exclusive
	startF float64
	stepF  float64
	endF   float64
	n      int
}

// pos converts an axis cell to its coordinate.
func (a *seriesAxis) pos(v any) (int64, float64, bool) {
	switch a.kind {
	case value.DateTime:
		if t, ok := v.(time.Time); ok {
			k, ok := timeTicks(t)
			return k, 0, ok
		}
		if s, ok := v.(string); ok {
			if t, ok := toDateTime(s); ok {
				k, ok := timeTicks(t.(time.Time))
				return k, 0, ok
			}
		}
	case value.TimeSpan:
		if d, ok := v.(time.Duration); ok {
			return int64(d / 100), 0, true
		}
	default:
		if f, ok := num(v); ok && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return 0, f, true
		}
	}
	return 0, 0, false
}

// index returns the bin of a coordinate, or -1 outside [start, end).
func (a *seriesAxis) index(k int64, f float64) int {
	var i float64
	if a.kind == value.Real {
		if f < a.startF || f >= a.endF {
			return -1
		}
		i = math.Floor((f - a.startF) / a.stepF)
	} else {
		if k < a.start || k >= a.end {
			return -1
		}
		i = float64((k - a.start) / a.step)
	}
	if i < 0 || i >= float64(a.n) {
		return -1
	}
	return int(i)
}

// value is the axis value of bin i.
func (a *seriesAxis) value(i int) any {
	switch a.kind {
	case value.DateTime:
		return ticksTime(a.start + int64(i)*a.step)
	case value.TimeSpan:
		return time.Duration(a.start+int64(i)*a.step) * 100
	}
	f := a.startF + float64(i)*a.stepF
	if a.intOut {
		return int64(f)
	}
	return f
}

// makeSeries implements make-series: per group of the by-expressions, each
// aggregate becomes an array over the bins start, start+step, ... < end of
// the axis column, with DefaultValue (0 unless given) where a bin has no
// rows, and the axis column becomes the array of bin values. Columns: the
// by-columns, the aggregates, the axis. Without from, start is the bin of
// the smallest axis value; without to, the series end after the bin of
// the largest. With "in range(start, stop, step)" both ends are binned as
// bin() does and stop is inclusive. Rows whose axis is null or outside the
// range are ignored. kind=nonempty gives one row of defaults for an empty
// input.
func (r *run) makeSeries(o *MakeSeriesOp, in *value.Table, env *scope) *value.Table {
	c := r.compiler(in, env, true)
	var cols []value.Column
	n := 0
	var byFns []rowFn
	for _, a := range o.By {
		ce := c.compile(a.X)
		cols = append(cols, value.Column{Name: assignName(a, &n), Type: ce.typ})
		byFns = append(byFns, ce.fn)
	}
	type seriesAgg struct {
		mk   func() aggState
		dflt any
	}
	var aggs []seriesAgg
	for _, a := range o.Aggs {
		call, ok := a.X.(*Call)
		if !ok {
			fail(a.X.Position(), "make-series needs an aggregate function call")
		}
		def, ok := aggregates[call.Name]
		if !ok || def.make == nil {
			failWrap(call.P, ErrUnsupported, "aggregate %s() in make-series", call.Name)
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
		name := a.Name
		if name == "" {
			name = def.prefix
			if len(call.Args) > 0 && call.Name != "count" && call.Name != "countif" {
				name += exprName(call.Args[0])
			}
		}
		typ := def.typ(args)
		var dflt any = int64(0)
		if a.Default != nil {
			dflt = c.constant(a.Default)
		}
		if typ == value.Real {
			if f, ok := toReal(dflt); ok {
				dflt = f
			}
		}
		cols = append(cols, value.Column{Name: name, Type: value.Dynamic})
		aggs = append(aggs, seriesAgg{mk: def.make(args), dflt: dflt})
	}
	axis := c.compile(o.Axis)
	axisName := exprName(o.Axis)
	if axisName == "" {
		fail(o.Axis.Position(), "make-series: the axis must be a column")
	}
	cols = append(cols, value.Column{Name: axisName, Type: value.Dynamic})
	cols = dedupeNames(cols)

	step := c.constant(o.Step)
	var from, to any
	if o.From != nil {
		from = c.constant(o.From)
	}
	if o.To != nil {
		to = c.constant(o.To)
	}
	ax := &seriesAxis{kind: value.Real}
	switch s := step.(type) {
	case time.Duration:
		if s < 100 {
			fail(o.Step.Position(), "make-series: step %s must be at least one tick (100 ns)", formatSpan(s))
		}
		ax.step = int64(s / 100)
		ax.kind = value.DateTime
		if axis.typ == value.TimeSpan {
			ax.kind = value.TimeSpan
		}
	default:
		f, ok := num(step)
		if !ok || !(f > 0) || math.IsInf(f, 0) {
			fail(o.Step.Position(), "make-series: step must be a positive number or timespan, got %s", toStr(step))
		}
		ax.stepF = f
		_, isInt := step.(int64)
		ax.intOut = isInt && (axis.typ == value.Long || axis.typ == value.Int)
	}
	bound := func(v any, e Expr, what string) (int64, float64) {
		k, f, ok := ax.pos(v)
		if !ok {
			fail(e.Position(), "make-series: %s %s does not fit the axis", what, toStr(v))
		}
		return k, f
	}

	// pass 1: the smallest and largest axis values, where from or to is
	// absent
	seen := false
	var loK, hiK int64
	var loF, hiF float64
	if o.From == nil || o.To == nil {
		for _, row := range in.Rows {
			r.tick(o.P)
			k, f, ok := ax.pos(axis.fn(row))
			if !ok {
				continue
			}
			if !seen {
				loK, hiK, loF, hiF, seen = k, k, f, f, true
				continue
			}
			loK, hiK = min(loK, k), max(hiK, k)
			loF, hiF = math.Min(loF, f), math.Max(hiF, f)
		}
	}
	haveRange := seen || (o.From != nil && o.To != nil)
	var bins float64
	if ax.kind == value.Real {
		// the first bin with data is aligned as bin() aligns, as are
		// both ends of range(); end is exclusive
		lo := math.Floor(loF/ax.stepF) * ax.stepF
		end := lo + (math.Floor((hiF-lo)/ax.stepF)+1)*ax.stepF
		if o.From != nil {
			_, lo = bound(from, o.From, "from")
			if o.InRange {
				lo = math.Floor(lo/ax.stepF) * ax.stepF
			}
		}
		if o.To != nil {
			_, end = bound(to, o.To, "to")
			if o.InRange {
				end = math.Floor(end/ax.stepF)*ax.stepF + ax.stepF
			}
		}
		ax.startF, ax.endF = lo, end
		bins = math.Ceil((end - lo) / ax.stepF)
		if lo != math.Trunc(lo) {
			ax.intOut = false
		}
	} else {
		lo := floorDiv(loK, ax.step) * ax.step
		end := lo + (floorDiv(hiK-lo, ax.step)+1)*ax.step
		if o.From != nil {
			lo, _ = bound(from, o.From, "from")
			if o.InRange {
				lo = floorDiv(lo, ax.step) * ax.step
			}
		}
		if o.To != nil {
			end, _ = bound(to, o.To, "to")
			if o.InRange {
				end = floorDiv(end, ax.step)*ax.step + ax.step
			}
		}
		ax.start, ax.end = lo, end
		if end > lo {
			// ticks of years 1..9999 and their differences fit int64
			bins = float64((end - lo + ax.step - 1) / ax.step)
		}
	}
	if !haveRange || !(bins > 0) {
		bins = 0
	}
	if bins > maxSeriesBins {
		fail(o.P, "make-series: the range needs %.0f bins of %s, more than %d, Kusto's limit for one series; use a larger step or a shorter range", bins, toStr(step), maxSeriesBins)
	}
	ax.n = int(bins)

	// pass 2: bin the rows of each group
	type group struct {
		by    []any
		cells []aggState // bin-major: cells[i*len(aggs)+j]
	}
	var groups []*group
	index := map[string]int{}
	var buf []byte
	for _, row := range in.Rows {
		r.tick(o.P)
		k, f, ok := ax.pos(axis.fn(row))
		if !ok {
			continue
		}
		bin := ax.index(k, f)
		if bin < 0 {
			continue
		}
		buf = buf[:0]
		by := make([]any, len(byFns))
		for j, fn := range byFns {
			by[j] = fn(row)
			buf = keyOf(buf, by[j])
		}
		gi, ok := index[string(buf)]
		if !ok {
			if (len(groups)+1)*ax.n > maxSeriesValues {
				fail(o.P, "make-series: %d series of %d bins exceed %d values; filter the input or use a larger step", len(groups)+1, ax.n, maxSeriesValues)
			}
			gi = len(groups)
			index[string(buf)] = gi
			groups = append(groups, &group{by: by, cells: make([]aggState, ax.n*len(aggs))})
			r.grow(entryOverhead + int64(len(buf)) + cellSize*int64(len(by)+ax.n*len(aggs)))
		}
		g := groups[gi]
		for j, a := range aggs {
			cell := &g.cells[bin*len(aggs)+j]
			if *cell == nil {
				*cell = a.mk()
				r.grow(entryOverhead)
			}
			(*cell).add(row)
		}
	}
	if len(groups) == 0 && o.Kind == "nonempty" {
		by := make([]any, len(byFns))
		groups = append(groups, &group{by: by, cells: make([]aggState, ax.n*len(aggs))})
	}
	out := r.derived(in, cols, len(groups))
	axisVals := make([]any, ax.n)
	for i := range axisVals {
		axisVals[i] = ax.value(i)
	}
	for _, g := range groups {
		r.tick(o.P)
		r.grow(rowBytes(len(cols)) + cellSize*int64(ax.n*(len(aggs)+1)))
		row := make([]any, 0, len(cols))
		for j, v := range g.by {
			if v == nil && cols[j].Type == value.String {
				v = ""
			}
			row = append(row, v)
		}
		for j, a := range aggs {
			series := make([]any, ax.n)
			for i := range series {
				series[i] = a.dflt
				if s := g.cells[i*len(aggs)+j]; s != nil {
					if v := s.result(); v != nil {
						series[i] = v
					}
				}
			}
			row = append(row, series)
		}
		row = append(row, append([]any(nil), axisVals...))
		out.Rows = append(out.Rows, row)
	}
	return out
}
