package search

import (
	"errors"
	"fmt"
	"strings"
)

// FieldFilter is one --field NAME=VALUE: the event must have a field
// called Name (compared case-insensitively) with at least one value that
// Value matches as a whole. In Value, '*' matches any run of characters,
// none included; there is no escape, so '*' also stands for a literal star.
// The value is compared case-insensitively unless the search is
// case-sensitive. An empty Value matches a field that is present and
// empty; an absent field never matches.
type FieldFilter struct {
	Name  string
	Value string
}

func (f FieldFilter) String() string { return f.Name + "=" + f.Value }

// ErrBadField is wrapped by the errors of ParseFieldFilter.
var ErrBadField = errors.New("bad field filter")

// ParseFieldFilter reads NAME=VALUE: the name runs to the first '=' (field
// names have none) and must not be empty; the value is the rest, as given.
func ParseFieldFilter(s string) (FieldFilter, error) {
	name, value, ok := strings.Cut(s, "=")
	switch {
	case !ok:
		return FieldFilter{}, fmt.Errorf("%w %q: want NAME=VALUE", ErrBadField, s)
	case name == "":
		return FieldFilter{}, fmt.Errorf("%w %q: the field name is empty", ErrBadField, s)
	case len(s) > MaxPattern:
		return FieldFilter{}, fmt.Errorf("%w: %d bytes, longer than %d", ErrBadField, len(s), MaxPattern)
	}
	return FieldFilter{Name: name, Value: value}, nil
}

// glob matches a whole value against a pattern whose only special
// character is '*'. Matching is linear in the value's length times the
// pattern's: each literal segment is found at its leftmost place, which is
// the right place for a pattern with no other wildcard.
type glob struct {
	segs   []string // the pattern split at '*'; one segment: no star
	fold   bool
	folded []folded // segs, prepared for a case-insensitive search
}

func newGlob(pattern string, caseless bool) glob {
	g := glob{segs: strings.Split(pattern, "*"), fold: caseless}
	if caseless {
		for _, s := range g.segs {
			g.folded = append(g.folded, fold(s))
		}
	}
	return g
}

func (g glob) match(s string) bool {
	if len(g.segs) == 1 {
		if g.fold {
			return strings.EqualFold(s, g.segs[0])
		}
		return s == g.segs[0]
	}
	first, last := g.segs[0], g.segs[len(g.segs)-1]
	if g.fold {
		n, ok := prefixFold(s, first)
		if !ok {
			return false
		}
		s = s[n:]
		k, ok := suffixFold(s, last)
		if !ok {
			return false
		}
		s = s[:k]
	} else {
		if !strings.HasPrefix(s, first) {
			return false
		}
		s = s[len(first):]
		if !strings.HasSuffix(s, last) {
			return false
		}
		s = s[:len(s)-len(last)]
	}
	for k, seg := range g.segs[1 : len(g.segs)-1] {
		var i, n int
		if g.fold {
			i, n = g.folded[k+1].index(s)
		} else {
			i, n = strings.Index(s, seg), len(seg)
		}
		if i < 0 {
			return false
		}
		s = s[i+n:]
	}
	return true
}
