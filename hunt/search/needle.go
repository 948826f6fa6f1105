package search

import (
	"regexp/syntax"
	"slices"
)

// Running a regular expression on every value of every event costs about
// a microsecond a value; most values cannot match, because most
// expressions need some literal text. needles reads that text from the
// parsed expression, and a value that holds none of it (compared
// case-insensitively, which is looser than any case-sensitive literal) is
// not given to the regexp engine. The needles only ever rule values out:
// a value that holds one is matched by the expression as usual.

// maxNeedles bounds how many literals an alternation may need before the
// prefilter gives up on it (and the expression runs on every value).
const maxNeedles = 16

// needles returns literals of which every match of expr holds at least
// one, or nil when it finds none (then every value must be tried).
func needles(expr string, flags syntax.Flags) []string {
	re, err := syntax.Parse(expr, flags)
	if err != nil {
		return nil
	}
	return need(re.Simplify())
}

// foldAll prepares needles for the search.
func foldAll(ns []string) []folded {
	if ns == nil {
		return nil
	}
	out := make([]folded, len(ns))
	for i, n := range ns {
		out[i] = fold(n)
	}
	return out
}

func need(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{string(re.Rune)}
	case syntax.OpCapture:
		return need(re.Sub[0])
	case syntax.OpPlus:
		return need(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return need(re.Sub[0])
		}
	case syntax.OpConcat:
		// Every part is needed; the one whose shortest literal is the
		// longest rules out the most.
		var best []string
		for _, sub := range re.Sub {
			if n := need(sub); n != nil && (best == nil || shortest(n) > shortest(best)) {
				best = n
			}
		}
		return best
	case syntax.OpAlternate:
		// One branch is needed: each must need something.
		var all []string
		for _, sub := range re.Sub {
			n := need(sub)
			if n == nil {
				return nil
			}
			all = append(all, n...)
		}
		slices.Sort(all)
		all = slices.Compact(all)
		if len(all) > maxNeedles {
			return nil
		}
		return all
	}
	return nil
}

func shortest(ns []string) int {
	m := len(ns[0])
	for _, n := range ns[1:] {
		m = min(m, len(n))
	}
	return m
}

// holdsAny reports whether v holds one of the needles, case-insensitively.
func holdsAny(v string, ns []folded) bool {
	for i := range ns {
		if ns[i].contains(v) {
			return true
		}
	}
	return false
}

// minLen returns the fewest bytes a match of expr can span: a value
// shorter than that is not given to the regexp engine. A rune counts one
// byte, the least any rune takes (a case-folded letter may match a wider
// one: k and the Kelvin sign); the count stops growing at 1<<20.
func minLen(expr string, flags syntax.Flags) int {
	re, err := syntax.Parse(expr, flags)
	if err != nil {
		return 0
	}
	return least(re.Simplify())
}

func least(re *syntax.Regexp) int {
	const most = 1 << 20
	switch re.Op {
	case syntax.OpLiteral:
		return min(len(re.Rune), most)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return least(re.Sub[0])
	case syntax.OpRepeat:
		return min(re.Min*least(re.Sub[0]), most)
	case syntax.OpConcat:
		n := 0
		for _, sub := range re.Sub {
			n = min(n+least(sub), most)
		}
		return n
	case syntax.OpAlternate:
		n := most
		for _, sub := range re.Sub {
			n = min(n, least(sub))
		}
		return n
	}
	return 0
}
