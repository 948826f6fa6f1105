package sigma

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestRegexNeedles(t *testing.T) {
	tests := []struct {
		expr string
		want []string // nil: no requirement
	}{
		{`abc`, []string{"abc"}},
		{`(?i)ABC`, []string{"abc"}},
		{`[Pp]rogram[Dd]ata`, []string{"programdata"}},
		{`foo|barbaz`, []string{"foo", "barbaz"}},
		{`foo|x*`, nil},
		{`\d+\.exe`, []string{".exe"}},
		{`(?:abc)?def`, []string{"def"}},
		{`(abc)+`, []string{"abc"}},
		{`^[A-Za-z0-9]{16}$`, nil},
		// Under case folding 's' also matches 'ſ', which lower-cases to
		// itself: the literal is cut there.
		{`(?i)kiss`, []string{"ki"}},
		{`kiss`, []string{"kiss"}},
		{`abcdefghijklmnopqrstuvwxyz`, []string{"opqrstuvwxyz"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got := regexNeedles(tt.expr)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("regexNeedles(%q) = %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
}

// TestRegexNeedlesNecessary checks the needle contract on sample texts:
// whenever the expression matches a text, one needle occurs in the
// lower-cased text.
func TestRegexNeedlesNecessary(t *testing.T) {
	exprs := []string{`(?i)kiss`, `(?i)\$\{env:path\}`, `[Pp]rogram[Dd]ata\\x`, `(?i)K\w+`, `cmd.{0,5}(?:/c|/r).+powershell`}
	texts := []string{"KIſſ", "kiss", "${ENV:PATH}", "ProgramData\\x", "\u212Aelvin", "cmd /c x powershell", "CMD /C POWERSHELL"}
	for _, e := range exprs {
		re := regexp.MustCompile(e)
		ns := regexNeedles(e)
		for _, s := range texts {
			if !re.MatchString(s) || ns == nil {
				continue
			}
			low := strings.ToLower(s)
			if !slices.ContainsFunc(ns, func(n string) bool { return strings.Contains(low, n) }) {
				t.Errorf("%q matches %q but no needle of %q occurs in %q", e, s, ns, low)
			}
		}
	}
}

func TestRegexLenBounds(t *testing.T) {
	tests := []struct {
		expr   string
		lo, hi int
	}{
		{`^[A-Za-z0-9]{16}$`, 16, 64},
		{`[A-Za-z0-9]{16}`, 16, -1},
		{`^ab?c$`, 2, 12},
		{`^a|b$`, 1, -1},
		{`^(?:ab|c)+$`, 1, -1},
		{`(?m)^abc$`, 3, -1},
	}
	for _, tt := range tests {
		lo, hi := regexLenBounds(tt.expr)
		if lo != tt.lo || hi != tt.hi {
			t.Errorf("regexLenBounds(%q) = %d, %d; want %d, %d", tt.expr, lo, hi, tt.lo, tt.hi)
		}
	}
}

func TestFoldASCII(t *testing.T) {
	for c := 0; c < 0x80; c++ {
		s := strings.Repeat(string(rune(c)), 8)
		want := load64(strings.ToLower(s), 0)
		if got := foldASCII(load64(s, 0)); got != want {
			t.Fatalf("foldASCII(%q) = %#x, want %#x", s, got, want)
		}
	}
	s := "C:\\Windows\\System32\\[@`{]"
	for i := 0; i+8 <= len(s); i++ {
		if foldASCII(load64(s, i)) != load64(strings.ToLower(s), i) {
			t.Fatalf("foldASCII at %d of %q", i, s)
		}
	}
}

func TestGramSetScan(t *testing.T) {
	needles := []string{"sekurlsa::", "lsadump::", "\\system32\\"}
	var grams []uint64
	for _, n := range needles {
		grams = append(grams, gramOf(n))
	}
	g := newGramSet(grams)
	gid := []int32{0, 1, 2}
	tests := []struct {
		text string
		fold bool
		want []int32
	}{
		{"mimikatz SEKURLSA::logonpasswords", true, []int32{0}},
		{"c:\\windows\\system32\\lsadump::sam", false, []int32{2, 1}},
		{"c:\\windows\\SYSTEM32\\x", true, []int32{2}},
		{"c:\\windows\\SYSTEM32\\x", false, nil},
		{"short", true, nil},
	}
	for i, tt := range tests {
		hits := make([]uint32, 3)
		got := g.scan(tt.text, tt.fold, gid, hits, uint32(i+1), nil)
		if !slices.Equal(got, tt.want) {
			t.Errorf("scan(%q, fold=%v) = %v, want %v", tt.text, tt.fold, got, tt.want)
		}
	}
}

func TestACScanFoldsASCII(t *testing.T) {
	a := newAC([]string{"cmd", "md.e", "\u0435x"}) // Cyrillic ie
	hits := make([]uint32, 3)
	got := a.scan("C:\\CMD.EXE", []int32{0, 1, 2}, hits, 1, nil)
	slices.Sort(got)
	if !slices.Equal(got, []int32{0, 1}) {
		t.Fatalf("scan = %v, want [0 1]", got)
	}
	got = a.scan(strings.ToLower("\u0415X"), []int32{0, 1, 2}, hits, 2, nil)
	if !slices.Equal(got, []int32{2}) {
		t.Fatalf("scan of lower-cased non-ASCII = %v, want [2]", got)
	}
}
