package kql

import (
	"math"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// seriesFuncs are the series_* builtins over the arrays make-series
// builds: the fill family and series_stats_dynamic. An element equal to
// the missing-value placeholder (null unless given) is missing.
var seriesFuncs = map[string]builtin{
	"series_fill_const": {1, 3, value.Dynamic, func(a []any) any {
		s, ok := asArray(a[0])
		if !ok {
			return nil
		}
		c := argOr(a, 1, int64(0))
		ph := argOr(a, 2, nil)
		out := make([]any, len(s))
		for i, v := range s {
			out[i] = v
			if isMissing(v, ph) {
				out[i] = c
			}
		}
		return out
	}},
	"series_fill_forward": {1, 2, value.Dynamic, func(a []any) any {
		s, ok := asArray(a[0])
		if !ok {
			return nil
		}
		ph := argOr(a, 1, nil)
		out := make([]any, len(s))
		var last any
		have := false
		for i, v := range s {
			out[i] = v
			if !isMissing(v, ph) {
				last, have = v, true
			} else if have {
				out[i] = last
			}
		}
		return out
	}},
	"series_fill_backward": {1, 2, value.Dynamic, func(a []any) any {
		s, ok := asArray(a[0])
		if !ok {
			return nil
		}
		ph := argOr(a, 1, nil)
		out := make([]any, len(s))
		var next any
		have := false
		for i := len(s) - 1; i >= 0; i-- {
			out[i] = s[i]
			if !isMissing(s[i], ph) {
				next, have = s[i], true
			} else if have {
				out[i] = next
			}
		}
		return out
	}},
	"series_fill_linear":   {1, 4, value.Dynamic, fnSeriesFillLinear},
	"series_stats_dynamic": {1, 2, value.Dynamic, fnSeriesStatsDynamic},
}

func argOr(a []any, i int, dflt any) any {
	if i < len(a) {
		return a[i]
	}
	return dflt
}

func isMissing(v, placeholder any) bool {
	if placeholder == nil {
		return v == nil
	}
	e, _ := equalCells(v, placeholder).(bool)
	return e
}

// fnSeriesFillLinear is series_fill_linear(series[, placeholder[,
// fill_edges[, constant]]]): a missing element between two known ones is
// interpolated linearly; with fill_edges (the default) the leading and
// trailing missing elements take the nearest known value; a series with
// no known value is filled with constant (0). The result is real.
func fnSeriesFillLinear(a []any) any {
	s, ok := asArray(a[0])
	if !ok {
		return nil
	}
	ph := argOr(a, 1, nil)
	edges := true
	if b, ok := argOr(a, 2, true).(bool); ok {
		edges = b
	}
	c := argOr(a, 3, int64(0))
	out := make([]any, len(s))
	prev := -1
	for i, v := range s {
		f, known := num(v)
		if isMissing(v, ph) || !known {
			out[i] = v
			if isMissing(v, ph) {
				out[i] = nil
			}
			continue
		}
		out[i] = f
		if prev >= 0 && i-prev > 1 {
			p, _ := num(out[prev])
			for k := prev + 1; k < i; k++ {
				out[k] = p + (f-p)*float64(k-prev)/float64(i-prev)
			}
		} else if prev < 0 && edges {
			for k := 0; k < i; k++ {
				out[k] = f
			}
		}
		prev = i
	}
	switch {
	case prev < 0:
		cf, _ := toReal(c)
		for k := range out {
			out[k] = cf
		}
	case edges:
		for k := prev + 1; k < len(out); k++ {
			out[k] = out[prev]
		}
	}
	return out
}

// fnSeriesStatsDynamic is series_stats_dynamic(series[, ignore_nonfinite]):
// a bag of min, min_idx, max, max_idx, avg, variance and stdev (sample
// variance, n-1) over the numeric elements; non-numeric elements are
// skipped, and with ignore_nonfinite so are NaN and infinities.
func fnSeriesStatsDynamic(a []any) any {
	s, ok := asArray(a[0])
	if !ok {
		return nil
	}
	ignore, _ := argOr(a, 1, false).(bool)
	var n, sum, sq float64
	minV, maxV := math.Inf(1), math.Inf(-1)
	minI, maxI := int64(-1), int64(-1)
	for i, v := range s {
		f, ok := num(v)
		if !ok || ignore && (math.IsNaN(f) || math.IsInf(f, 0)) {
			continue
		}
		n++
		sum += f
		sq += f * f
		if f < minV || minI < 0 {
			minV, minI = f, int64(i)
		}
		if f > maxV || maxI < 0 {
			maxV, maxI = f, int64(i)
		}
	}
	if n == 0 {
		return map[string]any{"min": nil, "min_idx": nil, "max": nil, "max_idx": nil, "avg": nil, "variance": nil, "stdev": nil}
	}
	avg := sum / n
	variance := 0.0
	if n > 1 {
		variance = (sq - n*avg*avg) / (n - 1)
		if variance < 0 {
			variance = 0
		}
	}
	return map[string]any{"min": minV, "min_idx": minI, "max": maxV, "max_idx": maxI, "avg": avg, "variance": variance, "stdev": math.Sqrt(variance)}
}
