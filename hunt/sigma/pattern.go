package sigma

import (
	"strings"
	"unicode/utf8"
)

// strOp is the shape of a compiled string pattern. Most Sigma values reduce
// to one literal compared in one of four ways; only the rest need the glob
// matcher.
type strOp uint8

const (
	opEqual strOp = iota
	opPrefix
	opSuffix
	opContains
	opGlob
)

// token is one piece of a wildcard pattern: a literal run, '*' or '?'.
type token struct {
	lit  string
	kind uint8 // 0 literal, 1 '*', 2 '?'
}

const (
	tokLit = iota
	tokStar
	tokOne
)

// parseWildcards splits a Sigma string value into literal runs and
// wildcards following the specification's escape rules: a backslash escapes
// '*', '?' and itself; a backslash before any other character is literal.
func parseWildcards(s string) []token {
	var toks []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) {
				n := s[i+1]
				if n == '*' || n == '?' || n == '\\' {
					lit.WriteByte(n)
					i++
					continue
				}
			}
			lit.WriteByte('\\')
		case '*':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].kind != tokStar {
				toks = append(toks, token{kind: tokStar})
			}
		case '?':
			flush()
			toks = append(toks, token{kind: tokOne})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return toks
}

// literalTokens returns the tokens of a value taken literally: used for
// values produced by encoders, which have no wildcards.
func literalTokens(s string) []token {
	if s == "" {
		return nil
	}
	return []token{{lit: s}}
}

// strPattern is a compiled string comparison. When fold is set both the
// pattern and the field value are compared in lower case.
type strPattern struct {
	op   strOp
	lit  string  // opEqual..opContains
	toks []token // opGlob
	fold bool
}

// newStrPattern reduces tokens to the cheapest equivalent comparison.
func newStrPattern(toks []token, fold bool) strPattern {
	if fold {
		for i := range toks {
			toks[i].lit = strings.ToLower(toks[i].lit)
		}
	}
	p := strPattern{fold: fold}
	n := len(toks)
	switch {
	case n == 0:
		p.op = opEqual
	case n == 1 && toks[0].kind == tokLit:
		p.op, p.lit = opEqual, toks[0].lit
	case n == 1 && toks[0].kind == tokStar:
		p.op = opPrefix // prefix "" matches everything
	case n == 2 && toks[0].kind == tokLit && toks[1].kind == tokStar:
		p.op, p.lit = opPrefix, toks[0].lit
	case n == 2 && toks[0].kind == tokStar && toks[1].kind == tokLit:
		p.op, p.lit = opSuffix, toks[1].lit
	case n == 3 && toks[0].kind == tokStar && toks[1].kind == tokLit && toks[2].kind == tokStar:
		p.op, p.lit = opContains, toks[1].lit
	default:
		p.op, p.toks = opGlob, toks
	}
	return p
}

// match reports whether s (already lower-cased when p.fold) matches.
func (p *strPattern) match(s string) bool {
	switch p.op {
	case opEqual:
		return s == p.lit
	case opPrefix:
		return strings.HasPrefix(s, p.lit)
	case opSuffix:
		return strings.HasSuffix(s, p.lit)
	case opContains:
		return strings.Contains(s, p.lit)
	}
	return globMatch(p.toks, s)
}

// needle returns the longest literal every matching value must contain, or
// "" if there is none. The prefilter uses it.
func (p *strPattern) needle() string {
	if p.op != opGlob {
		return p.lit
	}
	best := ""
	for _, t := range p.toks {
		if t.kind == tokLit && len(t.lit) > len(best) {
			best = t.lit
		}
	}
	return best
}

// globMatch matches s against tokens with '*' (any run) and '?' (one
// character). It backtracks only to the last star, so it runs in
// O(len(s)*len(toks)) at worst.
func globMatch(toks []token, s string) bool {
	ti, si := 0, 0
	starT, starS := -1, 0
	for {
		if ti < len(toks) {
			t := toks[ti]
			switch t.kind {
			case tokStar:
				if ti == len(toks)-1 {
					return true
				}
				// A literal after the star can only match where it
				// occurs: skip to its next occurrence. (A literal that
				// starts a rune occurs only at rune boundaries, the
				// positions the backtrack below steps through.)
				if n := toks[ti+1]; n.kind == tokLit && utf8.RuneStart(n.lit[0]) {
					j := strings.Index(s[si:], n.lit)
					if j < 0 {
						return false
					}
					si += j
				}
				starT, starS = ti, si
				ti++
				continue
			case tokOne:
				if si < len(s) {
					_, w := utf8.DecodeRuneInString(s[si:])
					si += w
					ti++
					continue
				}
			default:
				if strings.HasPrefix(s[si:], t.lit) {
					// A literal after a star may occur later: the
					// backtrack below retries from the next position.
					si += len(t.lit)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starT < 0 || starS >= len(s) {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[starS:])
		starS += w
		if n := toks[starT+1]; n.kind == tokLit && utf8.RuneStart(n.lit[0]) {
			j := strings.Index(s[starS:], n.lit)
			if j < 0 {
				return false
			}
			starS += j
		}
		ti, si = starT+1, starS
	}
}
