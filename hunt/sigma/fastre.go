package sigma

import (
	"regexp/syntax"
	"strings"
)

// fastRegex matches two common shapes of Sigma regular expressions without
// the regexp engine, whose NFA is slow on long command lines:
//
//   - a sequence: ASCII literals separated by ".*" or ".+" gaps, such as
//     '\+.*\+.*\+' (unanchored). The earliest occurrence of each literal
//     after the previous one is as good as any other, so one strings.Index
//     per literal decides it;
//   - a fixed-length class run: '^[A-Za-z0-9]{16}$', an anchored sequence
//     of single ASCII bytes from a set each.
//
// It gives exactly the regexp's answer for the values it handles; see
// match for the values it leaves to the regexp.
type fastRegex struct {
	fold bool // literals are lower-case and compared case-insensitively

	// sequence
	pieces []string
	gaps   []int // gaps[i] (0 or 1) runes required before pieces[i]; gaps[len(pieces)] after the last
	dotNL  bool  // the gaps may span newlines

	// class run (pieces == nil)
	sets [][4]uint64
}

// compileFastRegex returns the fast form of a regular expression (with
// its flag prefix), or nil when it has neither shape.
func compileFastRegex(expr string) *fastRegex {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	subs := flatten(re.Simplify(), nil)
	if f := classRun(subs); f != nil {
		return f
	}
	return sequence(subs)
}

// flatten appends the parts of re's concatenations, with captures
// removed (they do not change whether it matches).
func flatten(re *syntax.Regexp, out []*syntax.Regexp) []*syntax.Regexp {
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	if re.Op != syntax.OpConcat {
		return append(out, re)
	}
	for _, s := range re.Sub {
		out = flatten(s, out)
	}
	return out
}

// isASCIILit reports whether a literal node is ASCII without newlines.
func isASCIILit(re *syntax.Regexp) bool {
	for _, r := range re.Rune {
		if r >= 0x80 || r == '\n' {
			return false
		}
	}
	return len(re.Rune) > 0
}

func sequence(subs []*syntax.Regexp) *fastRegex {
	f := &fastRegex{gaps: []int{0}}
	anyNL, anyNotNL, folds, cased := false, false, false, false
	lastLit := false
	for _, s := range subs {
		switch s.Op {
		case syntax.OpLiteral:
			if !isASCIILit(s) {
				return nil
			}
			lit := string(s.Rune)
			if s.Flags&syntax.FoldCase != 0 {
				folds = true
				lit = strings.ToLower(lit)
			} else {
				cased = true
			}
			if lastLit { // adjacent literals: one piece
				f.pieces[len(f.pieces)-1] += lit
				continue
			}
			lastLit = true
			f.pieces = append(f.pieces, lit)
			f.gaps = append(f.gaps, 0)
		case syntax.OpStar, syntax.OpPlus:
			lastLit = false
			switch s.Sub[0].Op {
			case syntax.OpAnyChar:
				anyNL = true
			case syntax.OpAnyCharNotNL:
				anyNotNL = true
			default:
				return nil
			}
			g := &f.gaps[len(f.gaps)-1]
			if s.Op == syntax.OpPlus {
				if *g > 0 {
					return nil // two required runes: byte counts differ
				}
				*g = 1
			}
		default:
			return nil
		}
	}
	if len(f.pieces) < 2 || anyNL && anyNotNL || folds && cased {
		return nil // a single literal is the regexp's own fast case
	}
	f.fold, f.dotNL = folds, anyNL
	return f
}

func classRun(subs []*syntax.Regexp) *fastRegex {
	if len(subs) < 3 || subs[0].Op != syntax.OpBeginText || subs[len(subs)-1].Op != syntax.OpEndText {
		return nil
	}
	f := &fastRegex{}
	for _, s := range subs[1 : len(subs)-1] {
		var set [4]uint64
		add := func(lo, hi rune) bool {
			if lo < 0 || hi >= 0x80 {
				return false
			}
			for c := lo; c <= hi; c++ {
				set[c>>6] |= 1 << (c & 63)
			}
			return true
		}
		switch s.Op {
		case syntax.OpCharClass:
			for i := 0; i+1 < len(s.Rune); i += 2 {
				if !add(s.Rune[i], s.Rune[i+1]) {
					return nil
				}
			}
		case syntax.OpLiteral:
			for _, c := range s.Rune {
				set = [4]uint64{}
				if !add(c, c) {
					return nil
				}
				if s.Flags&syntax.FoldCase != 0 {
					switch {
					case c == 'k' || c == 'K' || c == 's' || c == 'S':
						return nil // they fold onto non-ASCII runes too
					case c >= 'a' && c <= 'z':
						add(c-'a'+'A', c-'a'+'A')
					case c >= 'A' && c <= 'Z':
						add(c-'A'+'a', c-'A'+'a')
					}
				}
				f.sets = append(f.sets, set)
			}
			continue
		default:
			return nil
		}
		f.sets = append(f.sets, set)
	}
	return f
}

// handles reports whether match decides s: a case-insensitive sequence
// decides only ASCII values (the regexp folds a few non-ASCII runes, such
// as the Kelvin sign, onto ASCII letters).
func (f *fastRegex) handles(ascii bool) bool { return ascii || !f.fold }

// match reports whether the regular expression matches s. For a
// case-insensitive sequence s must be the lower-cased ASCII value.
func (f *fastRegex) match(s string) bool {
	if f.pieces == nil {
		if len(s) != len(f.sets) {
			return false
		}
		for i, set := range f.sets {
			c := s[i]
			if c >= 0x80 || set[c>>6]&(1<<(c&63)) == 0 {
				return false
			}
		}
		return true
	}
	if f.dotNL {
		return f.matchLine(s)
	}
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			return f.matchLine(s)
		}
		if f.matchLine(s[:i]) {
			return true
		}
		s = s[i+1:]
	}
}

// matchLine matches the sequence within s, taking each piece at its
// earliest position after the previous one.
func (f *fastRegex) matchLine(s string) bool {
	pos := 0
	for i, p := range f.pieces {
		pos += f.gaps[i]
		if pos > len(s) {
			return false
		}
		j := strings.Index(s[pos:], p)
		if j < 0 {
			return false
		}
		pos += j + len(p)
	}
	return pos+f.gaps[len(f.pieces)] <= len(s)
}
