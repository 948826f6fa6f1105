package search

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestIndexFold(t *testing.T) {
	for _, tt := range []struct {
		s, needle string
		i, n      int
	}{
		{"", "", 0, 0},
		{"abc", "", 0, 0},
		{"", "a", -1, 0},
		{"Hello World", "WORLD", 6, 5},
		{"Hello World", "o w", 4, 3},
		{"Hello World", "worlds", -1, 0},
		{"aAaAaAb", "AAB", 4, 3},
		{"xx\u212aelvin", "KELVIN", 2, 8}, // the Kelvin sign is 3 bytes
		{"straße", "SS", -1, 0},           // simple folding: ß is not ss
		{"ÀB", "àb", 0, 3},
		{"a\xffb", "B", 2, 1}, // invalid UTF-8 in the value
	} {
		i, n := indexFold(tt.s, tt.needle)
		if i != tt.i || (i >= 0 && n != tt.n) {
			t.Errorf("indexFold(%q, %q) = %d, %d; want %d, %d", tt.s, tt.needle, i, n, tt.i, tt.n)
		}
	}
}

// TestIndexFoldASCIIAdversarial checks the switch to Rabin-Karp on the
// input that defeats a first-byte scan, and that it still finds the match.
func TestIndexFoldASCIIAdversarial(t *testing.T) {
	// z is the rarest byte, so the search jumps between the z's: every
	// place, and each comparison fails only at the needle's last byte.
	for _, pair := range [][2]string{
		{strings.Repeat("z", 1<<16) + "q", strings.Repeat("Z", 500) + "Q"},
		{strings.Repeat("a", 1<<16) + "b", strings.Repeat("A", 500) + "B"},
	} {
		s, needle := pair[0], pair[1]
		if got, want := ascii(needle).indexASCII(s), len(s)-len(needle); got != want {
			t.Errorf("%.3q…: got %d, want %d", needle, got, want)
		}
		if got := ascii(needle).indexASCII(s[:len(s)-1]); got != -1 {
			t.Errorf("%.3q… without its last byte: got %d, want -1", needle, got)
		}
	}
}

func ascii(needle string) *folded {
	f := fold(needle)
	return &f
}

func TestGlob(t *testing.T) {
	for _, tt := range []struct {
		pat, s string
		fold   bool
		want   bool
	}{
		{"abc", "ABC", true, true},
		{"abc", "ABC", false, false},
		{"abc", "abcd", true, false},
		{"", "", true, true},
		{"", "x", true, false},
		{"*", "", true, true},
		{"*", "anything", false, true},
		{"a*", "abc", false, true},
		{"*c", "abc", false, true},
		{"a*c", "ac", false, true},
		{"ab*bc", "abc", false, false}, // prefix and suffix must not overlap
		{"ab*bc", "abbc", false, true},
		{"*b*b*", "abcb", false, true},
		{"*b*b*", "abc", false, false},
		{`C:\*\x.exe`, `c:\Windows\System32\X.EXE`, true, true},
		{"**", "x", false, true},
		{"*\u212a*", "ok", true, true},
		{"a*", "\u212a", true, false},
	} {
		if got := newGlob(tt.pat, tt.fold).match(tt.s); got != tt.want {
			t.Errorf("glob %q (fold %v) on %q = %v, want %v", tt.pat, tt.fold, tt.s, got, tt.want)
		}
	}
}

// FuzzIndexFold compares indexFold with RE2's (?i) on the quoted needle,
// which folds case the same way (simple folding).
func FuzzIndexFold(f *testing.F) {
	for _, seed := range [][2]string{{"Hello World", "o w"}, {"xx\u212aelvin", "KELVIN"}, {"aaaaaaaab", "AAB"}, {"ΣΊΣΥΦΟΣ", "σίσ"}, {"a\xffb", "B"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, s, needle string) {
		if !utf8.ValidString(s) || !utf8.ValidString(needle) || needle == "" {
			// RE2 reads invalid UTF-8 as U+FFFD; indexFold compares the
			// bytes' runes the same way, but the reference would need
			// the same care. Only check that nothing panics.
			indexFold(s, needle)
			return
		}
		re := regexp.MustCompile("(?i)" + regexp.QuoteMeta(needle))
		want := re.FindStringIndex(s)
		i, n := indexFold(s, needle)
		switch {
		case want == nil && i >= 0:
			t.Fatalf("indexFold(%q, %q) = %d, want no match", s, needle, i)
		case want != nil && (i != want[0] || i+n != want[1]):
			t.Fatalf("indexFold(%q, %q) = [%d,%d), want %v", s, needle, i, i+n, want)
		}
		if isASCII(s) && isASCII(needle) {
			if got := strings.Index(strings.ToLower(s), strings.ToLower(needle)); got != i {
				t.Fatalf("ASCII indexFold(%q, %q) = %d, strings.Index of the lower-cased = %d", s, needle, i, got)
			}
		}
	})
}

// FuzzGlob compares glob matching with the regular expression the
// pattern stands for.
func FuzzGlob(f *testing.F) {
	for _, seed := range []string{"ab*bc", "*b*b*", `C:\*\x.exe`, "*", ""} {
		f.Add(seed, "abbc", true)
	}
	f.Fuzz(func(t *testing.T, pat, s string, fold bool) {
		got := newGlob(pat, fold).match(s)
		if !utf8.ValidString(pat) || !utf8.ValidString(s) {
			return
		}
		var b strings.Builder
		b.WriteString("(?s)")
		if fold {
			b.WriteString("(?i)")
		}
		b.WriteString("^")
		for i, seg := range strings.Split(pat, "*") {
			if i > 0 {
				b.WriteString(".*")
			}
			b.WriteString(regexp.QuoteMeta(seg))
		}
		b.WriteString("$")
		if want := regexp.MustCompile(b.String()).MatchString(s); got != want {
			t.Fatalf("glob %q (fold %v) on %q = %v, regexp %s says %v", pat, fold, s, got, b.String(), want)
		}
	})
}

// FuzzParseFieldFilter checks that a filter either parses into a name and
// value that give the input back, or is an error.
func FuzzParseFieldFilter(f *testing.F) {
	for _, seed := range []string{"Image=*\\x.exe", "a=b=c", "=x", "x", "Path="} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		ff, err := ParseFieldFilter(in)
		if err != nil {
			if ff != (FieldFilter{}) {
				t.Fatalf("error %v with a non-zero result %+v", err, ff)
			}
			return
		}
		if ff.Name == "" || strings.Contains(ff.Name, "=") || ff.String() != in {
			t.Fatalf("ParseFieldFilter(%q) = %+v", in, ff)
		}
		if _, err := New(Options{Fields: []FieldFilter{ff}}); err != nil {
			t.Fatalf("New with parsed filter %+v: %v", ff, err)
		}
	})
}
