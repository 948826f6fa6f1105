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
