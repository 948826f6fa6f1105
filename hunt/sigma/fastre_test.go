package sigma

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// fastRegexCases are expressions of both fast shapes and near misses that
// must fall back to the regexp (compileFastRegex returns nil).
var fastRegexCases = []struct {
	expr string
	fast bool
}{
	{`\+.*\+.*\+.*\+`, true},
	{`(?i)in.+vo.*ke`, true},
	{`(?s)a.*b.+c`, true},
	{`a.+`, false}, // one literal: the regexp finds it fast
	{`.+a.*b`, true},
	{`(a)(b).*c`, true},
	{`^[A-Za-z0-9]{16}$`, true},
	{`(?i)^[a-f0-9]{4}x$`, true},
	{`^ab$`, true},
	{`(?i)^aB[0-9]$`, true},
	{`(?i)^[a-z]{3}$`, false}, // folds onto the Kelvin and long s signs
	{`(?i)^k$`, false},
	{`abc`, false},
	{`a.{0,5}b`, false},
	{`a.?b`, false},
	{`a.+.+b`, false},
	{`a.*(?s:.*)b`, false},
	{`(?i)a.*B.*(?-i:c)`, false},
	{`^a.*b`, false},
	{`(?m)^[a-z]{2}$`, false},
	{`é.*b`, false},
	{`^[^a]{2}$`, false},
	{`a|b.*c`, false},
}

var fastRegexInputs = []string{
	"", "a", "ab", "a+b+c+d", "++++", "+\n+\n+\n+", "+x+y+z+", "INVOKE", "in vo ke", "invo\nke",
	"ab\nc", "a\nb c", "a\nbxc", "axbxc", "abc", "xab", "ab ", "abxc", "ABCDEFGHabcdefgh", "ABCDEFGHabcdefg!",
	"0123456789abcdef0", "ab12x", "AB12X", "KKK", "\u212akk", "ſss", "a\u212ab", "é b", "xx", "ba", "bb",
}

func TestFastRegex(t *testing.T) {
	for _, tt := range fastRegexCases {
		t.Run(tt.expr, func(t *testing.T) {
			f := compileFastRegex(tt.expr)
			if (f != nil) != tt.fast {
				t.Fatalf("compileFastRegex(%q) = %v, want fast form: %v", tt.expr, f, tt.fast)
			}
			if f == nil {
				return
			}
			re := regexp.MustCompile(tt.expr)
			for _, s := range fastRegexInputs {
				checkFastRegex(t, tt.expr, re, f, s)
			}
		})
	}
}

// checkFastRegex compares the fast form with the regexp on s, as
// matchValue uses it.
func checkFastRegex(t *testing.T, expr string, re *regexp.Regexp, f *fastRegex, s string) {
	t.Helper()
	ascii := true
	for i := 0; i < len(s); i++ {
		ascii = ascii && s[i] < 0x80
	}
	if !f.handles(ascii) {
		return
	}
	in := s
	if f.fold {
		in = strings.ToLower(s)
	}
	if got, want := f.match(in), re.MatchString(s); got != want {
		t.Errorf("%q on %q: fast form says %v, regexp %v", expr, s, got, want)
	}
}

// FuzzFastRegex checks the fast forms against the regexp package on
// arbitrary values.
func FuzzFastRegex(f *testing.F) {
	for i := range fastRegexCases {
		for _, s := range fastRegexInputs {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, i uint8, s string) {
		tt := fastRegexCases[int(i)%len(fastRegexCases)]
		fr := compileFastRegex(tt.expr)
		if fr == nil {
			return
		}
		if !utf8.ValidString(s) && fr.fold {
			return // not ASCII: left to the regexp
		}
		checkFastRegex(t, tt.expr, regexp.MustCompile(tt.expr), fr, s)
	})
}
