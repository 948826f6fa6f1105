package search

import (
	"reflect"
	"regexp"
	"regexp/syntax"
	"testing"
	"unicode/utf8"
)

func TestNeedles(t *testing.T) {
	for _, tt := range []struct {
		expr string
		want []string
	}{
		{`mimikatz`, []string{"mimikatz"}},
		{`sekurlsa|lsass\.dmp`, []string{"lsass.dmp", "sekurlsa"}},
		{`^rundll32\.exe .*comsvcs`, []string{"rundll32.exe "}}, // the longer of the two parts
		{`(?i)Net\.WebClient`, []string{"NET.WEBCLIENT"}},       // folded literals are kept in one case
		{`(ab)+c?`, []string{"ab"}},
		{`x{2,}`, []string{"x"}}, // simplified to xx+: each part needs an x
		{`(abc)?d`, []string{"d"}},
		{`a|b*`, nil}, // one branch needs nothing
		{`\d{3}`, nil},
		{`.*`, nil},
		{`[ab]`, nil}, // character classes need nothing
		{`a(`, nil},
	} {
		got := needles(tt.expr, syntax.Perl)
		if !reflect.DeepEqual(got, tt.want) && !(tt.expr == `(?i)Net\.WebClient` && len(got) == 1 && equalFoldString(got[0], "net.webclient")) {
			t.Errorf("needles(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func equalFoldString(a, b string) bool {
	n, ok := prefixFold(a, b)
	return ok && n == len(a)
}

// FuzzRegexpNeedles checks that the prefilter never rules out a value the
// expression matches.
func FuzzRegexpNeedles(f *testing.F) {
	for _, seed := range [][2]string{
		{`sekurlsa|lsass\.dmp`, "C:\\lsass.dmp"}, {`(?i)net\.WEBCLIENT`, "Net.WebClient"},
		{`(ab)+c?`, "xabab"}, {`x{2,}`, "xxx"}, {`[ab]`, "b"}, {`\x{212a}`, "k"}, {`k`, "\u212a"},
	} {
		f.Add(seed[0], seed[1], false)
	}
	f.Fuzz(func(t *testing.T, expr, s string, fold bool) {
		if len(expr) > MaxPattern || !utf8.ValidString(expr) {
			return
		}
		if fold {
			expr = "(?i)" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return
		}
		ns := needles(expr, syntax.Perl)
		if re.MatchString(s) && ns != nil && !holdsAny(s, foldAll(ns)) {
			t.Fatalf("%q matches %q, but the needles %q rule it out", expr, s, ns)
		}
	})
}

func TestMinLen(t *testing.T) {
	for _, tt := range []struct {
		expr string
		want int
	}{
		{`abc`, 3},
		{`\d+\.\d+\.\d+\.\d+`, 7},
		{`a|bcd`, 1},
		{`(ab){3,5}`, 6},
		{`x*`, 0},
		{`^$`, 0},
		{`(?i)k`, 1}, // the Kelvin sign is 3 bytes, k one
		{`[^a]`, 1},
		{`a(`, 0},
	} {
		if got := minLen(tt.expr, syntax.Perl); got != tt.want {
			t.Errorf("minLen(%q) = %d, want %d", tt.expr, got, tt.want)
		}
	}
}

// FuzzRegexpMinLen checks that no match is shorter than minLen.
func FuzzRegexpMinLen(f *testing.F) {
	for _, seed := range [][2]string{{`\d+\.\d+`, "1.2"}, {`(?i)k+`, "\u212a"}, {`(ab){2}|c`, "abab"}, {`[^a]b`, "\xffb"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, expr, s string) {
		if len(expr) > MaxPattern {
			return
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return
		}
		n := minLen(expr, syntax.Perl)
		for _, m := range re.FindAllStringIndex(s, -1) {
			if m[1]-m[0] < n {
				t.Fatalf("%q matches %q in %q, %d bytes, under minLen %d", expr, s[m[0]:m[1]], s, m[1]-m[0], n)
			}
		}
	})
}
