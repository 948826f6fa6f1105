package sigma

import (
	"encoding/base64"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// vmKind is the comparison a valueMatcher performs on one field value.
type vmKind uint8

const (
	vmStr vmKind = iota
	vmRegexp
	vmCIDR
	vmNum
	vmFieldRef
	vmTime
)

// cmpOp is a numeric comparison.
type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpLt
	cmpLte
	cmpGt
	cmpGte
)

func (o cmpOp) test(a, b float64) bool {
	switch o {
	case cmpLt:
		return a < b
	case cmpLte:
		return a <= b
	case cmpGt:
		return a > b
	case cmpGte:
		return a >= b
	}
	return a == b
}

// timePart is one of the time modifiers: it extracts a number from a date.
type timePart uint8

const (
	tpNone timePart = iota
	tpMinute
	tpHour
	tpDay
	tpWeek
	tpMonth
	tpYear
)

// valueMatcher compares one field value against one rule value.
type valueMatcher struct {
	kind vmKind
	str  strPattern     // vmStr; also vmFieldRef (op only)
	re   *regexp.Regexp // vmRegexp
	fast *fastRegex     // vmRegexp: its fast form, or nil
	run  *runRegex      // vmRegexp: its form as a length test, or nil
	// affix rules out values without an anchored expression's literal
	// prefix or suffix before the regexp runs (vmRegexp; nil: none).
	affix *affixCheck
	net   netip.Prefix // vmCIDR
	op    cmpOp        // vmNum, vmTime
	num   float64      // vmNum, vmTime
	tp    timePart     // vmTime
	ref   int          // vmFieldRef: field id of the referenced field
	// vmRegexp: byte-length bounds of a matching value (see
	// regexLenBounds), checked before running the expression.
	reMin, reMax int
	text         string // the rule value as written, for explanations
	// idx numbers the pattern within its detection: a plan keeps a
	// prefilter gate per pattern (see plan.gates).
	idx int32
	// req is the pattern's own prefilter requirement (patReq), once
	// hasReq: made once per rule, read by every plan it is in.
	req    cnf
	hasReq bool
}

// parseNumber reads a decimal, float or 0x-hex number.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) {
		return f, true
	}
	if i, err := strconv.ParseInt(s, 0, 64); err == nil {
		return float64(i), true
	}
	if u, err := strconv.ParseUint(s, 0, 64); err == nil {
		return float64(u), true
	}
	return 0, false
}

// parseIP reads an IPv4 or IPv6 address, tolerating a zone and the
// IPv4-mapped IPv6 form.
func parseIP(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// parseCIDR reads "addr/bits" or a bare address (a /32 or /128).
func parseCIDR(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		a := p.Addr()
		if a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, ok := parseIP(s)
	if !ok {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// timeLayouts are the date shapes the time modifiers understand.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

func timeValue(s string, tp timePart) (float64, bool) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		t, err := time.Parse(l, s)
		if err != nil {
			continue
		}
		switch tp {
		case tpMinute:
			return float64(t.Minute()), true
		case tpHour:
			return float64(t.Hour()), true
		case tpDay:
			return float64(t.Day()), true
		case tpWeek:
			_, w := t.ISOWeek()
			return float64(w), true
		case tpMonth:
			return float64(t.Month()), true
		case tpYear:
			return float64(t.Year()), true
		}
	}
	return 0, false
}

// item is a rule value during modifier processing. Encoded values are
// literal: their characters have no wildcard meaning.
type item struct {
	text    string
	literal bool
}

// windashChars are the characters the windash modifier makes
// interchangeable: hyphen-minus, slash, en dash, em dash, horizontal bar.
var windashChars = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// maxVariants caps how many values one rule value may expand into
// (windash permutations, placeholder lists), so a hostile rule cannot
// exhaust memory.
const maxVariants = 4096

// windashPositions returns the byte offsets of characters windash
// replaces: a dash or slash that starts a word (not preceded by a word
// character, followed by one), as command-line flags do.
func windashPositions(s string) []int {
	var pos []int
	for i := 0; i < len(s); i++ {
		if s[i] != '-' && s[i] != '/' {
			continue
		}
		if i > 0 && isWordByte(s[i-1]) {
			continue
		}
		if i+1 < len(s) && !isWordByte(s[i+1]) {
			continue
		}
		pos = append(pos, i)
	}
	return pos
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// windash expands s into every permutation of the dash characters at the
// flag positions. ok is false when there would be more than maxVariants.
func windash(s string) ([]string, bool) {
	pos := windashPositions(s)
	if len(pos) == 0 {
		return []string{s}, true
	}
	total := 1
	for range pos {
		total *= len(windashChars)
		if total > maxVariants {
			return nil, false
		}
	}
	out := make([]string, 0, total)
	idx := make([]int, len(pos))
	for {
		var b strings.Builder
		last := 0
		for k, p := range pos {
			b.WriteString(s[last:p])
			b.WriteString(windashChars[idx[k]])
			last = p + 1
		}
		b.WriteString(s[last:])
		out = append(out, b.String())
		k := len(idx) - 1
		for k >= 0 {
			idx[k]++
			if idx[k] < len(windashChars) {
				break
			}
			idx[k] = 0
			k--
		}
		if k < 0 {
			return out, true
		}
	}
}

// encodeUTF16 returns the UTF-16 bytes of s as a string.
func encodeUTF16(s string, bigEndian, bom bool) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u)+2)
	if bom {
		if bigEndian {
			b = append(b, 0xFE, 0xFF)
		} else {
			b = append(b, 0xFF, 0xFE)
		}
	}
	for _, c := range u {
		if bigEndian {
			b = append(b, byte(c>>8), byte(c))
		} else {
			b = append(b, byte(c), byte(c>>8))
		}
	}
	return string(b)
}

// base64Offsets returns the three base64 forms of s that appear when s
// sits at byte offset 0, 1 or 2 (mod 3) of a longer encoded string: the
// characters influenced by unknown neighbouring bytes are cut off.
func base64Offsets(s string) []string {
	starts := [3]int{0, 2, 3}
	// Characters to drop at the end, by (len(s)+shift) % 3.
	ends := [3]int{0, 3, 2}
	out := make([]string, 0, 3)
	for shift := 0; shift < 3; shift++ {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(" ", shift) + s))
		lo, hi := starts[shift], len(enc)-ends[(len(s)+shift)%3]
		if lo >= hi {
			continue
		}
		out = append(out, enc[lo:hi])
	}
	return out
}

// expandPlaceholders replaces every %name% in s (a backslash before '%'
// makes it literal) with each of the placeholder's values. A placeholder
// with no values yields no strings. missing names placeholders that are
// not defined at all.
func expandPlaceholders(s string, values map[string][]string) (out []string, missing []string, ok bool) {
	out = []string{""}
	var lit strings.Builder
	emit := func(choices []string) bool {
		next := make([]string, 0, len(out)*len(choices))
		for _, o := range out {
			for _, c := range choices {
				next = append(next, o+c)
			}
		}
		out = next
		return len(out) <= maxVariants
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && s[i+1] == '%' {
			lit.WriteByte('%')
			i++
			continue
		}
		if c == '%' {
			if j := strings.IndexByte(s[i+1:], '%'); j > 0 {
				name := s[i+1 : i+1+j]
				vals, defined := lookupPlaceholder(values, name)
				if !defined {
					missing = append(missing, name)
				}
				if !emit([]string{lit.String()}) || !emit(vals) {
					return nil, missing, false
				}
				lit.Reset()
				i += j + 1
				continue
			}
		}
		lit.WriteByte(c)
	}
	if !emit([]string{lit.String()}) {
		return nil, missing, false
	}
	return out, missing, true
}

// lookupPlaceholder finds a placeholder by name, case-insensitively.
func lookupPlaceholder(values map[string][]string, name string) ([]string, bool) {
	if v, ok := values[name]; ok {
		return v, true
	}
	for k, v := range values {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}
