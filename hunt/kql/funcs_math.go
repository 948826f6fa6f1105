package kql

import (
	"math"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// mathFuncs are the numeric builtins, bin() and the bitwise functions.
// rand() is compiled by callRand.
var mathFuncs = map[string]builtin{
	"bin":    {2, 3, value.Dynamic, fnBin},
	"floor":  {2, 3, value.Dynamic, fnBin},
	"bin_at": {2, 3, value.Dynamic, fnBin},
	"round": {1, 2, value.Real, func(a []any) any {
		f, ok := num(a[0])
		if !ok {
			return nil
		}
		p := int64(0)
		if len(a) == 2 {
			if v, ok := toLong(a[1]); ok {
				p = v.(int64)
			}
		}
		m := math.Pow(10, float64(p))
		return math.Round(f*m) / m
	}},
	"abs": {1, 1, value.Dynamic, func(a []any) any {
		switch x := a[0].(type) {
		case int64:
			if x < 0 {
				return -x
			}
			return x
		case float64:
			return math.Abs(x)
		case time.Duration:
			if x < 0 {
				return -x
			}
			return x
		}
		return nil
	}},
	"sqrt":    {1, 1, value.Real, real1(math.Sqrt)},
	"exp":     {1, 1, value.Real, real1(math.Exp)},
	"log":     {1, 1, value.Real, real1(math.Log)},
	"log10":   {1, 1, value.Real, real1(math.Log10)},
	"log2":    {1, 1, value.Real, real1(math.Log2)},
	"ceiling": {1, 1, value.Real, real1(math.Ceil)},
	"pow": {2, 2, value.Real, func(a []any) any {
		x, ok1 := num(a[0])
		y, ok2 := num(a[1])
		if !ok1 || !ok2 {
			return nil
		}
		return math.Pow(x, y)
	}},
	"isnan": {1, 1, value.Bool, func(a []any) any { f, ok := num(a[0]); return ok && math.IsNaN(f) }},
	"isfinite": {1, 1, value.Bool, func(a []any) any {
		f, ok := num(a[0])
		return ok && !math.IsNaN(f) && !math.IsInf(f, 0)
	}},
	"max_of":             {1, -1, value.Dynamic, func(a []any) any { return extreme(a, 1) }},
	"min_of":             {1, -1, value.Dynamic, func(a []any) any { return extreme(a, -1) }},
	"binary_and":         {2, 2, value.Long, func(a []any) any { return binop(a, func(x, y int64) int64 { return x & y }) }},
	"binary_or":          {2, 2, value.Long, func(a []any) any { return binop(a, func(x, y int64) int64 { return x | y }) }},
	"binary_xor":         {2, 2, value.Long, func(a []any) any { return binop(a, func(x, y int64) int64 { return x ^ y }) }},
	"binary_shift_left":  {2, 2, value.Long, func(a []any) any { return binop(a, func(x, y int64) int64 { return x << uint(y&63) }) }},
	"binary_shift_right": {2, 2, value.Long, func(a []any) any { return binop(a, func(x, y int64) int64 { return x >> uint(y&63) }) }},
	"binary_not": {1, 1, value.Long, func(a []any) any {
		x, ok := toLong(a[0])
		if !ok {
			return nil
		}
		return ^x.(int64)
	}},
	"sign": {1, 1, value.Real, func(a []any) any {
		f, ok := num(a[0])
		if !ok {
			return nil
		}
		switch {
		case f > 0:
			return 1.0
		case f < 0:
			return -1.0
		}
		return 0.0
	}},
}

func binop(a []any, f func(x, y int64) int64) any {
	x, ok1 := toLong(a[0])
	y, ok2 := toLong(a[1])
	if !ok1 || !ok2 {
		return nil
	}
	return f(x.(int64), y.(int64))
}

func extreme(a []any, sign int) any {
	var best any
	for _, v := range a {
		if v == nil {
			continue
		}
		if best == nil {
			best = v
			continue
		}
		if c, ok := compareCells(v, best); ok && c*sign > 0 {
			best = v
		}
	}
	return best
}

func fnBin(a []any) any {
	if len(a) == 3 {
		// bin_at(value, size, fixed point)
		switch x := a[0].(type) {
		case time.Time:
			d, ok1 := a[1].(time.Duration)
			at, ok2 := a[2].(time.Time)
			if !ok1 || !ok2 || d <= 0 {
				return nil
			}
			k := x.Sub(at) / d
			if x.Before(at) && x.Sub(at)%d != 0 {
				k--
			}
			return at.Add(k * d)
		default:
			s, ok1 := num(a[1])
			f, ok2 := num(a[2])
			v, ok3 := num(x)
			if !ok1 || !ok2 || !ok3 || s == 0 {
				return nil
			}
			return math.Floor((v-f)/s)*s + f
		}
	}
	switch x := a[0].(type) {
	case time.Time:
		d, ok := a[1].(time.Duration)
		if !ok || d <= 0 {
			return nil
		}
		// bins are aligned to 0001-01-01, as Truncate does
		return x.Truncate(d)
	case time.Duration:
		d, ok := a[1].(time.Duration)
		if !ok || d <= 0 {
			return nil
		}
		q := x / d
		if x < 0 && x%d != 0 {
			q--
		}
		return q * d
	case int64:
		s, ok := a[1].(int64)
		if ok {
			if s <= 0 {
				return nil
			}
			q := x / s
			if x < 0 && x%s != 0 {
				q--
			}
			return q * s
		}
		f, ok := num(a[1])
		if !ok || f <= 0 {
			return nil
		}
		return math.Floor(float64(x)/f) * f
	case float64:
		f, ok := num(a[1])
		if !ok || f <= 0 {
			return nil
		}
		return math.Floor(x/f) * f
	}
	return nil
}

// callRand compiles rand(): a pseudo-random sequence with a fixed seed, so
// that a run is reproducible.
func (c *compiler) callRand() *cexpr {
	seed := uint64(0x9E3779B97F4A7C15)
	return dyn(func([]any) any {
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return float64(seed>>11) / float64(1<<53)
	}, value.Real)
}

// real1 adapts a float function to a builtin of one numeric argument; a
// non-numeric argument gives null.
func real1(f func(float64) float64) func(a []any) any {
	return func(a []any) any {
		x, ok := num(a[0])
		if !ok {
			return nil
		}
		return f(x)
	}
}
