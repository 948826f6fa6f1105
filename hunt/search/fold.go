package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Case-insensitive matching compares runes by Unicode simple case folding,
// as strings.EqualFold does: "K" matches "k" and the Kelvin sign U+212A.
// Nothing here allocates; events are searched field by field on the hot
// path.

// indexFold returns the index of the first case-insensitive match of needle
// in s, and its length in s (which may differ from len(needle) when s
// spells a letter with a rune of another width, such as the Kelvin sign),
// or -1.
func indexFold(s, needle string) (int, int) {
	if needle == "" {
		return 0, 0
	}
	if isASCII(needle) && isASCII(s) {
		i := indexFoldASCII(s, needle)
		return i, len(needle)
	}
	for i := 0; i < len(s); {
		if n, ok := prefixFold(s[i:], needle); ok {
			return i, n
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return -1, 0
}

// containsFold reports whether s contains needle, case-insensitively.
func containsFold(s, needle string) bool {
	i, _ := indexFold(s, needle)
	return i >= 0
}

// prefixFold reports whether s begins with prefix, case-insensitively, and
// how many bytes of s the prefix covers.
func prefixFold(s, prefix string) (int, bool) {
	i := 0
	for _, pr := range prefix {
		if i >= len(s) {
			return 0, false
		}
		sr, w := rune(s[i]), 1
		if sr >= utf8.RuneSelf {
			sr, w = utf8.DecodeRuneInString(s[i:])
		}
		if !equalFoldRune(sr, pr) {
			return 0, false
		}
		i += w
	}
	return i, true
}

// suffixFold reports whether s ends with suffix, case-insensitively, and
// where in s the suffix begins.
func suffixFold(s, suffix string) (int, bool) {
	i := len(s)
	for j := len(suffix); j > 0; {
		pr, pw := utf8.DecodeLastRuneInString(suffix[:j])
		j -= pw
		if i == 0 {
			return 0, false
		}
		sr, sw := utf8.DecodeLastRuneInString(s[:i])
		if !equalFoldRune(sr, pr) {
			return 0, false
		}
		i -= sw
	}
	return i, true
}

// equalFoldRune reports whether a and b are the same letter under simple
// case folding.
func equalFoldRune(a, b rune) bool {
	if a == b {
		return true
	}
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		return lowerASCII(byte(a)) == lowerASCII(byte(b))
	}
	for f := unicode.SimpleFold(a); f != a; f = unicode.SimpleFold(f) {
		if f == b {
			return true
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// indexFoldASCII is indexFold for an ASCII s and needle. It jumps between
// the places where the needle's first byte occurs, in either case, with
// strings.IndexByte (vectorised), and compares the rest there. When the
// comparisons fail too often (s is "aaaa…" and the needle "aa…ab") it
// switches to Rabin-Karp over the folded bytes, so the time stays linear
// in len(s) whatever s holds.
func indexFoldASCII(s, needle string) int {
	n := len(needle)
	if n > len(s) {
		return -1
	}
	lo, up := lowerASCII(needle[0]), upperASCII(needle[0])
	last := len(s) - n
	// nextLo and nextUp cache where lo and up next occur at or after i
	// (last+1: nowhere), so each is searched for once per occurrence.
	nextLo, nextUp := -1, -1
	next := func(c byte, cached, i int) int {
		if cached >= i {
			return cached
		}
		if k := strings.IndexByte(s[i:last+1], c); k >= 0 {
			return i + k
		}
		return last + 1
	}
	fails := 0
	for i := 0; i <= last; {
		nextLo = next(lo, nextLo, i)
		j := nextLo
		if up != lo {
			nextUp = next(up, nextUp, i)
			j = min(j, nextUp)
		}
		i = j
		if i > last {
			return -1
		}
		if equalFoldASCII(s[i+1:i+n], needle[1:]) {
			return i
		}
		fails++
		i++
		if fails > 4+i>>4 {
			if k := rabinKarpFold(s[i:], needle); k >= 0 {
				return i + k
			}
			return -1
		}
	}
	return -1
}

func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] && lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

const primeRK = 16777619

// rabinKarpFold is Rabin-Karp over the lower-cased bytes of the ASCII s
// and needle.
func rabinKarpFold(s, needle string) int {
	n := len(needle)
	if n > len(s) {
		return -1
	}
	var hn, pow uint32 = 0, 1
	for i := 0; i < n; i++ {
		hn = hn*primeRK + uint32(lowerASCII(needle[i]))
		pow *= primeRK
	}
	var h uint32
	for i := 0; i < n; i++ {
		h = h*primeRK + uint32(lowerASCII(s[i]))
	}
	for i := 0; ; i++ {
		if h == hn && equalFoldASCII(s[i:i+n], needle) {
			return i
		}
		if i+n >= len(s) {
			return -1
		}
		h = h*primeRK + uint32(lowerASCII(s[i+n])) - pow*uint32(lowerASCII(s[i]))
	}
}
