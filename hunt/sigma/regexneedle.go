package sigma

import (
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// regexReq returns a requirement (with needle fields unset) that holds
// for the lower-cased form of every string the regular expression matches
// somewhere, or nil when it finds none. It reads the parsed expression: a
// literal is required, a concatenation needs what each of its parts needs
// (runs of adjacent literals count as one longer literal), an alternation
// needs what one of its branches needs, and anything optional or a
// character class needs nothing. Regex literals become needles from one
// byte on: without them the rule would be evaluated on every event.
func regexReq(expr string) cnf {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	return reReq(re.Simplify())
}

// regexNeedles returns the literals of the most selective clause of
// regexReq(expr), or nil.
func regexNeedles(expr string) []string {
	r := regexReq(expr)
	if len(r) == 0 {
		return nil
	}
	var out []string
	for _, n := range r.best() {
		out = append(out, n.lit)
	}
	return out
}

// litReq is the requirement of one literal run: the run itself, cut to
// its last maxNeedle bytes.
func litReq(run string) cnf {
	if run == "" {
		return nil
	}
	if len(run) > maxNeedle {
		run = run[len(run)-maxNeedle:]
	}
	return cnf{clause{{field: -1, lit: run}}}
}

func reReq(re *syntax.Regexp) cnf {
	switch re.Op {
	case syntax.OpLiteral:
		var best string
		for _, r := range litRuns(re) {
			if len(r) > len(best) {
				best = r
			}
		}
		return litReq(best)
	case syntax.OpCapture, syntax.OpPlus:
		return reReq(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return reReq(re.Sub[0])
		}
	case syntax.OpAlternate:
		alts := make([]cnf, len(re.Sub))
		for i, s := range re.Sub {
			alts[i] = reReq(s)
		}
		return orOf(alts)
	case syntax.OpConcat:
		var parts []cnf
		var run strings.Builder
		flush := func() {
			parts = append(parts, litReq(run.String()))
			run.Reset()
		}
		for _, s := range re.Sub {
			switch s.Op {
			case syntax.OpLiteral:
				for i, r := range litRuns(s) {
					if i > 0 {
						flush()
					}
					run.WriteString(r)
				}
			case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpEmptyMatch:
				// Zero-width: consumes nothing, so the run goes on.
			default:
				flush()
				parts = append(parts, reReq(s))
			}
		}
		flush()
		return andOf(parts)
	}
	return nil
}

// litRuns returns a literal node's text lower-cased, split where a rune
// cannot be represented in lower-cased text: under case folding, a rune
// some of whose case variants lower-case differently (such as 's', whose
// variant 'ſ' stays 'ſ'), and U+FFFD, which also matches invalid bytes.
// The result starts with an empty run when the first rune is dropped.
func litRuns(re *syntax.Regexp) []string {
	fold := re.Flags&syntax.FoldCase != 0
	var runs []string
	var b strings.Builder
	for _, r := range re.Rune {
		if r == utf8.RuneError || fold && !foldSafe(r) {
			runs = append(runs, b.String())
			b.Reset()
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return append(runs, b.String())
}

// foldSafe reports whether every rune that case-folds to r lower-cases to
// the same rune as r.
func foldSafe(r rune) bool {
	l := unicode.ToLower(r)
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if unicode.ToLower(f) != l {
			return false
		}
	}
	return true
}

// regexLenBounds returns byte-length bounds of the strings a regular
// expression can match: a value shorter than minLen has no match; when the
// expression is anchored at both ends of the text, neither has one longer
// than maxLen (-1: unbounded). A rune is 1 to utf8.UTFMax bytes (an
// invalid byte counts as one rune).
func regexLenBounds(expr string) (minLen, maxLen int) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return 0, -1
	}
	re = re.Simplify()
	lo, hi := runeBounds(re)
	if hi < 0 || !anchoredBothEnds(re) {
		return lo, -1
	}
	return lo, hi * utf8.UTFMax
}

func anchoredBothEnds(re *syntax.Regexp) bool {
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 {
		return false
	}
	return re.Sub[0].Op == syntax.OpBeginText && re.Sub[len(re.Sub)-1].Op == syntax.OpEndText
}

// runeBounds returns the fewest and most runes re matches (-1: no limit).
func runeBounds(re *syntax.Regexp) (lo, hi int) {
	const capRunes = 1 << 20
	clampAdd := func(a, b int) int {
		if a < 0 || b < 0 {
			return -1
		}
		return min(a+b, capRunes)
	}
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune), len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1, 1
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0, 0
	case syntax.OpCapture:
		return runeBounds(re.Sub[0])
	case syntax.OpStar:
		return 0, -1
	case syntax.OpPlus:
		l, _ := runeBounds(re.Sub[0])
		return l, -1
	case syntax.OpQuest:
		_, h := runeBounds(re.Sub[0])
		return 0, h
	case syntax.OpRepeat:
		l, h := runeBounds(re.Sub[0])
		lo = min(l*re.Min, capRunes)
		if re.Max < 0 || h < 0 {
			return lo, -1
		}
		return lo, min(h*re.Max, capRunes)
	case syntax.OpConcat:
		for _, s := range re.Sub {
			l, h := runeBounds(s)
			lo = min(lo+l, capRunes)
			hi = clampAdd(hi, h)
		}
		return lo, hi
	case syntax.OpAlternate:
		lo = capRunes
		for _, s := range re.Sub {
			l, h := runeBounds(s)
			lo = min(lo, l)
			if h < 0 || hi < 0 {
				hi = -1
			} else {
				hi = max(hi, h)
			}
		}
		return lo, hi
	}
	return 0, -1
}
