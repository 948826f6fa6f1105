package sigma

import (
	"regexp"
	"strings"
	"testing"
)

// TestRunRegex: expressions that are length tests over a class, with the
// answers worked out by hand from Go's regexp semantics ('.' is not '\n'
// without (?s); '$' is the end of the text without (?m); a byte of invalid
// UTF-8 is one rune).
func TestRunRegex(t *testing.T) {
	long := strings.Repeat("a", 1000)
	tests := []struct {
		expr, in string
		want     bool
	}{
		{`.{1000,}`, long, true},
		{`.{1000,}`, long[1:], false},
		{`.{1000,}`, long[:500] + "\n" + long[:500], false}, // no line is long enough
		{`.{1000,}`, "\n" + long + "\n", true},
		{`(?s).{1000,}`, long[:500] + "\n" + long[:499], true}, // 1000 runes with the newline
		{`.{4,}`, "ééé", false},                                // 6 bytes, 3 runes
		{`.{3,}`, "ééé", true},
		{`.{3,}`, "\xff\xfe\xfd", true}, // three invalid bytes: three runes
		{`(.){3,}`, "ab\nc", false},
		{`^.{2,3}$`, "abc", true},
		{`^.{2,3}$`, "abcd", false},
		{`^.{2,3}$`, "a\nb", false},
		{`^.{2,3}$`, "a", false},
		{`^.{2,}`, "ab\nc", true},
		{`^.{3,}`, "ab\ncdef", false}, // the first line is short
		{`.{3,}$`, "abcdef\nab", false},
		{`.{3,}$`, "ab\nabc", true},
		{`^.*$`, "a\nb", false},
		{`^.*$`, "", true},
		{`.{0,5}`, "\n\n", true},
		{`[0-9]{3,}`, "a12b345", true},
		{`[0-9]{3,}`, "a12b34", false},
		{`^[^\\]{1,4}$`, `ab\c`, false},
		{`^[^\\]{1,4}$`, "abcd", true},
		{`(?i)^[a-c]+$`, "AbC", true},
		{`\d{2}`, "x1y2", false},
	}
	for _, tt := range tests {
		r := compileRunRegex(tt.expr)
		if r == nil {
			t.Errorf("%q has no run form", tt.expr)
			continue
		}
		if got := r.match(tt.in); got != tt.want {
			t.Errorf("%q on %q = %v, want %v", tt.expr, tt.in, got, tt.want)
		}
		if got := regexp.MustCompile(tt.expr).MatchString(tt.in); got != tt.want {
			t.Errorf("regexp %q on %q = %v: the expectation is wrong", tt.expr, tt.in, got)
		}
	}
	for _, expr := range []string{`a.{3,}`, `.{3,}a`, `^(.{3,}|b)$`, `(?m)^.{3,}$`, `.{3,}.{2}`, `(ab){2,}`, `.{3,}?x`} {
		if compileRunRegex(expr) != nil {
			t.Errorf("%q got a run form; it is more than a length test", expr)
		}
	}
}

// TestAffix: the literal prefix and suffix of anchored expressions rule
// values out, never in.
func TestAffix(t *testing.T) {
	tests := []struct {
		expr           string
		prefix, suffix string
		fold           bool
		out, maybe     []string // values ruled out, values left to the regexp
	}{
		{`^C:\\Windows\\.*\.exe$`, `C:\Windows\`, `.exe`, false,
			[]string{`c:\windows\x.exe`, `C:\Windows\x.dll`, `D:\x.exe`, `C:\Win`},
			[]string{`C:\Windows\x.exe`, `C:\Windows\.exe`}},
		{`(?i)^c:\\users\\`, `c:\users\`, "", true,
			[]string{`d:\users\`, `c:/users/`},
			[]string{`C:\USERS\x`, "c:\\u\u017fers\\"}}, // the long s folds to s: the regexp decides
		{`(?i)\.ps1$`, "", ".ps1", true,
			[]string{"a.ps2", "ps1"},
			[]string{"A.PS1", "a.p\u017f1"}},
		{`^abc`, "abc", "", false, []string{"xabc", "ab"}, []string{"abc", "abcd"}},
	}
	for _, tt := range tests {
		a := compileAffix(tt.expr)
		if a == nil {
			t.Errorf("%q: no prefix or suffix found", tt.expr)
			continue
		}
		if a.prefix != tt.prefix || a.suffix != tt.suffix || a.fold != tt.fold {
			t.Errorf("%q: prefix %q suffix %q fold %v, want %q %q %v", tt.expr, a.prefix, a.suffix, a.fold, tt.prefix, tt.suffix, tt.fold)
		}
		for _, s := range tt.out {
			if a.may(s) {
				t.Errorf("%q: %q not ruled out", tt.expr, s)
			}
		}
		for _, s := range tt.maybe {
			if !a.may(s) {
				t.Errorf("%q: %q ruled out", tt.expr, s)
			}
		}
	}
	for _, expr := range []string{`abc`, `^(a|b)`, `(?m)^abc`, `a$|b`, `^(?i:a)b`, "^\ufffd"} {
		if a := compileAffix(expr); a != nil {
			t.Errorf("%q got an affix test %+v", expr, a)
		}
	}
}

// FuzzRegexFastPaths checks the run form and the affix test against the
// regexp package, on arbitrary expressions and values: the run form gives
// the regexp's answer, and a value the affix test rules out never
// matches.
func FuzzRegexFastPaths(f *testing.F) {
	exprs := []string{`.{1000,}`, `.{3,}`, `(?s).{3,}`, `^.{2,5}$`, `^.{2,}`, `.{2,}$`, `(.){2,}`, `[a-c]{2,}`,
		`(?i)^[a-c]+$`, `^[^\\]{1,4}$`, `^C:\\W.*\.exe$`, `(?i)^c:\\u`, `(?i)\.ps1$`, `^ab.*cd$`, `\d{2}`}
	ins := []string{"", "a", "abc", "ab\ncd", "\xff\xfe", "ééé", "C:\\Wx.exe", "c:\\U", "A.PS1", "\u212a\u017f", "abxcd"}
	for _, e := range exprs {
		for _, s := range ins {
			f.Add(e, s)
		}
	}
	f.Fuzz(func(t *testing.T, expr, s string) {
		re, err := regexp.Compile(expr)
		if err != nil {
			return
		}
		want := re.MatchString(s)
		if r := compileRunRegex(expr); r != nil {
			if got := r.match(s); got != want {
				t.Errorf("run form of %q on %q = %v, regexp %v", expr, s, got, want)
			}
		}
		if a := compileAffix(expr); a != nil && !a.may(s) && want {
			t.Errorf("affix test of %q ruled out %q, which matches", expr, s)
		}
	})
}
