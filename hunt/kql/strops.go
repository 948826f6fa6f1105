package kql

import (
	"strings"
	"unicode/utf8"
)

// isTermChar reports whether c belongs to a has-term: ASCII letters and
// digits. Every other byte separates terms.
func isTermChar(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
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

// indexFold returns the first index >= from where needle (already lower
// case, ASCII) occurs in h, ignoring ASCII case; -1 if none.
func indexFold(h, needle string, from int) int {
	n := len(needle)
	if n == 0 {
		return from
	}
	first := needle[0]
	firstUp := first
	if first >= 'a' && first <= 'z' {
		firstUp = first - ('a' - 'A')
	}
	for i := from; i+n <= len(h); i++ {
		c := h[i]
		if c != first && c != firstUp {
			// skip quickly to the next candidate
			j := strings.IndexByte(h[i+1:], first)
			if firstUp != first {
				k := strings.IndexByte(h[i+1:], firstUp)
				if j < 0 || (k >= 0 && k < j) {
					j = k
				}
			}
			if j < 0 {
				return -1
			}
			i += j
			continue
		}
		if hasPrefixFoldLower(h[i:], needle) {
			return i
		}
	}
	return -1
}

// hasPrefixFoldLower reports whether s starts with lower-case ASCII p,
// ignoring ASCII case.
func hasPrefixFoldLower(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for j := 0; j < len(p); j++ {
		if lowerASCII(s[j]) != p[j] {
			return false
		}
	}
	return true
}

// strMatcher is a compiled string operator with a constant needle.
type strMatcher struct {
	op     string // base operator without negation and _cs
	cs     bool   // case-sensitive
	needle string // lower-cased unless cs
	ascii  bool   // needle is ASCII: the allocation-free path applies
	startB bool   // needle starts with a term character
	endB   bool   // needle ends with a term character
}

func newStrMatcher(op, needle string) *strMatcher {
	cs := strings.HasSuffix(op, "_cs")
	op = strings.TrimSuffix(op, "_cs")
	m := &strMatcher{op: op, cs: cs, needle: needle}
	if !cs {
		m.needle = strings.ToLower(needle)
	}
	m.ascii = isASCII(m.needle)
	if len(needle) > 0 {
		m.startB = isTermChar(needle[0])
		m.endB = isTermChar(needle[len(needle)-1])
	}
	return m
}

// match applies the operator to h.
func (m *strMatcher) match(h string) bool {
	if !m.cs && !(m.ascii && isASCII(h)) {
		h = strings.ToLower(h)
		return m.matchCS(h)
	}
	if m.cs {
		return m.matchCS(h)
	}
	n := m.needle
	switch m.op {
	case "contains":
		return indexFold(h, n, 0) >= 0
	case "startswith":
		return hasPrefixFoldLower(h, n)
	case "endswith":
		return len(h) >= len(n) && hasPrefixFoldLower(h[len(h)-len(n):], n)
	case "==":
		return len(h) == len(n) && hasPrefixFoldLower(h, n)
	}
	// has family
	if n == "" {
		return true
	}
	for i := indexFold(h, n, 0); i >= 0; i = indexFold(h, n, i+1) {
		if m.boundaryOK(h, i) {
			return true
		}
	}
	return false
}

func (m *strMatcher) matchCS(h string) bool {
	n := m.needle
	switch m.op {
	case "contains":
		return strings.Contains(h, n)
	case "startswith":
		return strings.HasPrefix(h, n)
	case "endswith":
		return strings.HasSuffix(h, n)
	case "==":
		return h == n
	}
	if n == "" {
		return true
	}
	off := 0
	for {
		i := strings.Index(h[off:], n)
		if i < 0 {
			return false
		}
		if m.boundaryOK(h, off+i) {
			return true
		}
		off += i + 1
	}
}

// boundaryOK checks the term boundaries of a has/hasprefix/hassuffix match
// at i: an end of the needle that is a term character must sit on a term
// boundary of h.
func (m *strMatcher) boundaryOK(h string, i int) bool {
	end := i + len(m.needle)
	checkStart := m.startB && (m.op == "has" || m.op == "hasprefix")
	checkEnd := m.endB && (m.op == "has" || m.op == "hassuffix")
	if checkStart && i > 0 && isTermChar(h[i-1]) {
		return false
	}
	if checkEnd && end < len(h) && isTermChar(h[end]) {
		return false
	}
	return true
}

// stringOp evaluates a string operator with a dynamic needle.
func stringOp(op, h, needle string) bool {
	return newStrMatcher(op, needle).match(h)
}

// splitNeg splits "!has" into ("has", true) and maps legacy spellings.
func splitNeg(op string) (string, bool) {
	switch op {
	case "notcontains":
		return "contains", true
	case "notcontainscs":
		return "contains_cs", true
	case "containscs":
		return "contains_cs", false
	case "notstartswith":
		return "startswith", true
	case "notendswith":
		return "endswith", true
	case "nothas":
		return "has", true
	case "notlike":
		return "like", true
	}
	if strings.HasPrefix(op, "!") {
		return op[1:], true
	}
	return op, false
}
