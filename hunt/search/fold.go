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

// folded is a needle prepared for case-insensitive search: New prepares
// each keyword once, and the search of a value only scans it.
type folded struct {
	s string
	// ascii: the needle is ASCII, so the byte search applies (see
	// asciiExact); kelvin and longS: it has a k or an s.
	ascii, kelvin, longS bool
	// rare is the index of the needle byte least common in logs; the
	// search jumps between its places in either case.
	rare   int
	lo, up byte
}

func fold(needle string) folded {
	f := folded{s: needle, ascii: true}
	best := -1
	for i := 0; i < len(needle); i++ {
		c := needle[i]
		switch {
		case c >= utf8.RuneSelf:
			f.ascii = false
		case c == 'k' || c == 'K':
			f.kelvin = true
		case c == 's' || c == 'S':
			f.longS = true
		}
		if r := commonness(c); best < 0 || r < best {
			best, f.rare = r, i
		}
	}
	if needle != "" {
		f.lo, f.up = lowerASCII(needle[f.rare]), upperASCII(needle[f.rare])
	}
	return f
}

// commonness ranks a byte by how often it occurs in event values: lower is
// rarer. Letters follow English frequency; digits, the separators of
// paths, GUIDs and times, and the space are common.
func commonness(c byte) int {
	const order = "zqjxkvbywgpfmucdlhrsnioate"
	c = lowerASCII(c)
	if i := strings.IndexByte(order, c); i >= 0 {
		return i
	}
	switch {
	case '0' <= c && c <= '9', c == ' ', c == '\\', c == '-', c == '.', c == ':', c == '/', c == '_':
		return len(order) + 1
	}
	return 0 // punctuation and non-ASCII: rare
}

// index returns the index of the first case-insensitive match of the
// needle in s, and its length in s (which may differ from the needle's
// when s spells a letter with a rune of another width, such as the Kelvin
// sign), or -1.
func (f *folded) index(s string) (int, int) {
	if f.s == "" {
		return 0, 0
	}
	if f.asciiExact(s) {
		return f.indexASCII(s), len(f.s)
	}
	for i := 0; i < len(s); {
		if n, ok := prefixFold(s[i:], f.s); ok {
			return i, n
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return -1, 0
}

// asciiExact reports whether comparing the bytes of s and the needle, with
// ASCII letters folded, finds exactly the matches simple folding finds.
// It does when the needle is ASCII and no rune of s outside ASCII folds to
// one of its letters. Only two do: the Kelvin sign U+212A (k) and the long
// s U+017F (s), whose UTF-8 begins with 0xE2 and 0xC5; a non-ASCII byte
// never equals an ASCII one. So s need not be ASCII, and is searched for
// those lead bytes (vectorised) only when the needle has a k or an s.
func (f *folded) asciiExact(s string) bool {
	return f.ascii && (!f.kelvin || strings.IndexByte(s, 0xE2) < 0) && (!f.longS || strings.IndexByte(s, 0xC5) < 0)
}

// indexFold is fold(needle).index(s).
func indexFold(s, needle string) (int, int) {
	f := fold(needle)
	return f.index(s)
}

// contains reports whether s holds the needle, case-insensitively.
func (f *folded) contains(s string) bool {
	i, _ := f.index(s)
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

// indexASCII is index where asciiExact holds. It jumps between the
// places where the needle's rarest byte occurs, in either case, with
// strings.IndexByte (vectorised), and compares the needle there. When the
// comparisons fail too often (s is "aaaa…" and the needle "aa…ab") it
// switches to Rabin-Karp over the folded bytes, so the time stays linear
// in len(s) whatever s holds.
func (f *folded) indexASCII(s string) int {
	needle := f.s
	n := len(needle)
	if n > len(s) {
		return -1
	}
	// Candidates are places of the rare byte, at j in the needle: the
	// match would start j bytes before.
	j := f.rare
	hay := s[j : len(s)-n+j+1]
	// nextLo and nextUp cache where lo and up next occur in hay at or
	// after i (len(hay): nowhere), so each is searched for once per
	// occurrence.
	nextLo, nextUp := -1, -1
	next := func(c byte, cached, i int) int {
		if cached >= i {
			return cached
		}
		if k := strings.IndexByte(hay[i:], c); k >= 0 {
			return i + k
		}
		return len(hay)
	}
	fails := 0
	for i := 0; i < len(hay); {
		nextLo = next(f.lo, nextLo, i)
		c := nextLo
		if f.up != f.lo {
			nextUp = next(f.up, nextUp, i)
			c = min(c, nextUp)
		}
		if c >= len(hay) {
			return -1
		}
		if equalFoldASCII(s[c:c+n], needle) {
			return c
		}
		fails++
		i = c + 1
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
