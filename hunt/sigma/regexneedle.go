package sigma

import (
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// regexNeedles returns lower-case literals of which at least one occurs
// in the lower-cased form of every string the regular expression matches
// somewhere, or nil when it finds none worth indexing. It reads the
// parsed expression: a literal is required, a concatenation needs what
// any one part needs, an alternation needs one of what each branch needs,
// and anything optional or a character class needs nothing.
func regexNeedles(expr string) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	lits := regexReq(re.Simplify())
	if len(lits) == 0 {
		return nil
	}
	out := make([]string, 0, len(lits))
	for _, l := range lits {
		if len(l) > maxNeedle {
			l = l[len(l)-maxNeedle:]
		}
		if len(l) < minNeedle {
			return nil
		}
		if !containsStr(out, l) {
			out = append(out, l)
		}
	}
	return out
}

func containsStr(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// regexReq returns the literals (one of which is required) of re, or nil.
func regexReq(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		return bestLit(litRuns(re))
	case syntax.OpCapture, syntax.OpPlus:
		return regexReq(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return regexReq(re.Sub[0])
		}
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			r := regexReq(s)
			if r == nil {
				return nil
			}
			out = append(out, r...)
		}
		return out
	case syntax.OpConcat:
		// Adjacent literals form one longer literal; any other part may
		// bring its own requirement. Keep the most selective.
		var best []string
		consider := func(r []string) {
			if r != nil && (best == nil || litScore(r) > litScore(best)) {
				best = r
			}
		}
		var run strings.Builder
		flush := func() {
			if run.Len() > 0 {
				consider([]string{run.String()})
				run.Reset()
			}
		}
		for _, s := range re.Sub {
			switch s.Op {
			case syntax.OpLiteral:
				runs := litRuns(s)
				for i, r := range runs {
					if i > 0 {
						flush()
					}
					run.WriteString(r)
				}
			case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpEmptyMatch:
				// Zero-width: consumes nothing, so the run goes on.
			default:
				flush()
				consider(regexReq(s))
			}
		}
		flush()
		return best
	}
	return nil
}

// litScore ranks literal sets like clause.score.
func litScore(lits []string) int {
	s := 1 << 20
	for _, l := range lits {
		s = min(s, len(l))
	}
	return s*1000 - min(len(lits), 999)
}

// bestLit returns the longest of runs as a one-element set, or nil.
func bestLit(runs []string) []string {
	best := ""
	for _, r := range runs {
		if len(r) > len(best) {
			best = r
		}
	}
	if best == "" {
		return nil
	}
	return []string{best}
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
