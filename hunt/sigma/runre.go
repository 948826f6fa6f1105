package sigma

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// runRegex decides, without the regexp engine, an expression that is only
// a length test over one character class: '.{1000,}', '^.{8,64}$',
// '(?s).{200,}', '^[^\\]{1,256}$'. Such an expression matches when the
// value has a run of at least min runes of the class (anchored: the run
// that starts or ends the value; anchored at both ends: the whole value,
// of at most max runes). Runes are counted as the regexp counts them:
// each byte of invalid UTF-8 is one rune, U+FFFD.
type runRegex struct {
	min, max   int  // repetitions; max -1: no limit
	begin, end bool // anchored at the start or the end of the text
	// The class: every rune but '\n' ('.'), every rune ('(?s).'), or
	// the ranges of a character class.
	anyNL  bool
	notNL  bool
	ranges []rune // lo, hi pairs, sorted (a syntax.OpCharClass's Rune)
}

// compileRunRegex returns the run form of an expression (with its flag
// prefix), or nil when it is not a repeated class, optionally anchored.
func compileRunRegex(expr string) *runRegex {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	r := &runRegex{}
	if len(subs) > 0 && subs[0].Op == syntax.OpBeginText {
		r.begin, subs = true, subs[1:]
	}
	if len(subs) > 0 && subs[len(subs)-1].Op == syntax.OpEndText {
		r.end, subs = true, subs[:len(subs)-1]
	}
	if len(subs) != 1 {
		return nil
	}
	rep := subs[0]
	switch rep.Op {
	case syntax.OpRepeat:
		r.min, r.max = rep.Min, rep.Max
	case syntax.OpStar:
		r.min, r.max = 0, -1
	case syntax.OpPlus:
		r.min, r.max = 1, -1
	default:
		return nil
	}
	cls := rep.Sub[0]
	for cls.Op == syntax.OpCapture { // '(.){200,}': the group does not change the answer
		cls = cls.Sub[0]
	}
	switch cls.Op {
	case syntax.OpAnyChar:
		r.anyNL = true
	case syntax.OpAnyCharNotNL:
		r.notNL = true
	case syntax.OpCharClass:
		r.ranges = cls.Rune
	default:
		return nil
	}
	return r
}

// in reports whether rune c is in the class.
func (r *runRegex) in(c rune) bool {
	switch {
	case r.anyNL:
		return true
	case r.notNL:
		return c != '\n'
	}
	for i := 0; i+1 < len(r.ranges); i += 2 {
		if c < r.ranges[i] {
			return false
		}
		if c <= r.ranges[i+1] {
			return true
		}
	}
	return false
}

// match reports whether the expression matches s.
func (r *runRegex) match(s string) bool {
	switch {
	case r.begin && r.end:
		n := 0
		for _, c := range s { // invalid bytes come as U+FFFD, one each
			if !r.in(c) {
				return false
			}
			n++
			if r.max >= 0 && n > r.max {
				return false
			}
		}
		return n >= r.min
	case r.min == 0:
		return true // the empty run is there, anchored or not
	case r.begin:
		return r.runAt(s) >= r.min
	case r.end:
		return r.runBefore(s) >= r.min
	}
	if r.notNL {
		// Lines of fewer bytes than min have fewer runes.
		for len(s) >= r.min {
			line := s
			if i := strings.IndexByte(s, '\n'); i >= 0 {
				line, s = s[:i], s[i+1:]
			} else {
				s = ""
			}
			if len(line) >= r.min && utf8.RuneCountInString(line) >= r.min {
				return true
			}
		}
		return false
	}
	if r.anyNL {
		return utf8.RuneCountInString(s) >= r.min
	}
	n := 0
	for _, c := range s {
		if !r.in(c) {
			n = 0
			continue
		}
		if n++; n >= r.min {
			return true
		}
	}
	return false
}

// runAt counts the runes of the class at the start of s, up to min.
func (r *runRegex) runAt(s string) int {
	n := 0
	for _, c := range s {
		if !r.in(c) || n >= r.min {
			break
		}
		n++
	}
	return n
}

// runBefore counts the runes of the class at the end of s, up to min.
func (r *runRegex) runBefore(s string) int {
	n := 0
	for len(s) > 0 && n < r.min {
		c, size := utf8.DecodeLastRuneInString(s)
		if !r.in(c) {
			break
		}
		s = s[:len(s)-size]
		n++
	}
	return n
}

// affixCheck rules out, before the regexp runs, values that lack the
// literal prefix or suffix an anchored expression starts or ends with
// ('^C:\\Windows\\.*\.exe$'). It never decides a match: a value that has
// them still goes to the regexp.
type affixCheck struct {
	prefix, suffix string // "" when none
	fold           bool   // ASCII, lower-case, compared ignoring case
}

// compileAffix returns the prefix and suffix test of an expression, or nil
// when it has neither.
func compileAffix(expr string) *affixCheck {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	subs := flatten(re, nil)
	a := &affixCheck{}
	folds, cased := false, false
	lit := func(s *syntax.Regexp) (string, bool) {
		if s.Op != syntax.OpLiteral || len(s.Rune) == 0 {
			return "", false
		}
		for _, c := range s.Rune {
			// U+FFFD also matches an invalid byte; a folded literal
			// is only compared on ASCII.
			if c == utf8.RuneError || s.Flags&syntax.FoldCase != 0 && c >= 0x80 {
				return "", false
			}
		}
		if s.Flags&syntax.FoldCase != 0 {
			folds = true
			return strings.ToLower(string(s.Rune)), true
		}
		cased = true
		return string(s.Rune), true
	}
	if len(subs) >= 2 && subs[0].Op == syntax.OpBeginText {
		var b strings.Builder
		for _, s := range subs[1:] {
			l, ok := lit(s)
			if !ok {
				break
			}
			b.WriteString(l)
		}
		a.prefix = b.String()
	}
	if n := len(subs); n >= 2 && subs[n-1].Op == syntax.OpEndText {
		var parts []string
		for i := n - 2; i >= 0; i-- {
			l, ok := lit(subs[i])
			if !ok {
				break
			}
			parts = append(parts, l)
		}
		for i := len(parts) - 1; i >= 0; i-- {
			a.suffix += parts[i]
		}
	}
	if a.prefix == "" && a.suffix == "" || folds && cased {
		return nil
	}
	a.fold = folds
	return a
}

// may reports whether s can match: false only when it certainly lacks the
// prefix or the suffix.
func (a *affixCheck) may(s string) bool {
	if len(s) < len(a.prefix) || len(s) < len(a.suffix) {
		return false
	}
	if !a.fold {
		return strings.HasPrefix(s, a.prefix) && strings.HasSuffix(s, a.suffix)
	}
	// Folded: ASCII bytes compare ignoring case; at the first other byte
	// the runes no longer line up (the Kelvin sign folds to 'k'), so the
	// regexp decides.
	for i := 0; i < len(a.prefix); i++ {
		c := s[i]
		if c >= 0x80 {
			break
		}
		if lowerASCII(c) != a.prefix[i] {
			return false
		}
	}
	for i := 1; i <= len(a.suffix); i++ {
		c := s[len(s)-i]
		if c >= 0x80 {
			break
		}
		if lowerASCII(c) != a.suffix[len(a.suffix)-i] {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
