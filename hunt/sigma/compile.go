package sigma

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// fieldTable interns the field names rules use. Ids index the per-event
// scratch slots.
type fieldTable struct {
	ids   map[string]int
	names []string
}

func newFieldTable() *fieldTable { return &fieldTable{ids: map[string]int{}} }

func (t *fieldTable) id(name string) int {
	if id, ok := t.ids[name]; ok {
		return id
	}
	id := len(t.names)
	t.ids[name] = id
	t.names = append(t.names, name)
	return id
}

// fmKind is what a fieldMatcher tests.
type fmKind uint8

const (
	fmValues fmKind = iota // the field has a value matching the patterns
	fmNull                 // the field is absent (Sigma null)
	fmExists               // the field is present
	fmAbsent               // the field is absent (exists: false)
	fmNever                // never matches (e.g. an empty placeholder list)
)

// fieldMatcher is one "Field|modifiers: values" line of a search.
type fieldMatcher struct {
	field int    // field id, or -1 for a keyword search over all values
	name  string // field name as written
	kind  fmKind
	all   bool // every pattern must match (the "all" modifier)
	neq   bool // no value may match (the "neq" modifier)
	fold  bool // patterns are lower-case; compare lower-cased values
	pats  []valueMatcher
}

// search is one named search identifier: OR over alternatives, each an AND
// of field matchers.
type search struct {
	name string
	alts [][]*fieldMatcher
}

// condNode is a compiled condition expression.
type condNode interface {
	eval(c *evalCtx) bool
}

type condAnd []condNode
type condOr []condNode
type condNot struct{ x condNode }
type condRef int // index into compiledRule.searches
type condAllOf []int
type condOneOf []int

func (n condAnd) eval(c *evalCtx) bool {
	for _, x := range n {
		if !x.eval(c) {
			return false
		}
	}
	return true
}

func (n condOr) eval(c *evalCtx) bool {
	for _, x := range n {
		if x.eval(c) {
			return true
		}
	}
	return false
}

func (n condNot) eval(c *evalCtx) bool { return !n.x.eval(c) }
func (n condRef) eval(c *evalCtx) bool { return c.search(int(n)) }

func (n condAllOf) eval(c *evalCtx) bool {
	for _, i := range n {
		if !c.search(i) {
			return false
		}
	}
	return true
}

func (n condOneOf) eval(c *evalCtx) bool {
	for _, i := range n {
		if c.search(i) {
			return true
		}
	}
	return false
}

// detection is a compiled detection section: searches plus condition. Rules
// and filter rules both compile to one.
type detection struct {
	searches  []*search
	cond      condNode
	positive  []bool       // per search: used outside any "not"
	agg       *Aggregation // the legacy aggregation, or nil
	aggPos    Pos          // its condition's position
	timeframe string
	nPats     int // value patterns, numbered by valueMatcher.idx
}

// compileCtx carries what compiling a detection needs.
type compileCtx struct {
	path     string
	fields   *fieldTable
	opts     *LoadOptions
	warnings []string
}

// compileSearches compiles the searches of a detection tree, in order. The
// tree may be the part parseDetection read before an error.
func (cc *compileCtx) compileSearches(t *Detection) ([]*search, error) {
	out := make([]*search, 0, len(t.Searches))
	for i := range t.Searches {
		s, err := cc.compileSearch(&t.Searches[i])
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// compileDetection compiles a whole detection tree's condition over its
// compiled searches.
func (cc *compileCtx) compileDetection(t *Detection, searches []*search) (*detection, error) {
	d := &detection{searches: searches, timeframe: t.Timeframe, positive: make([]bool, len(searches))}
	var ors condOr
	for i := range t.Conditions {
		c := &t.Conditions[i]
		node, err := cc.compileCond(c.Expr, d, false)
		if err != nil {
			return nil, errAtPos(cc.path, c.Pos, ErrCondition, "%q: %v", c.Text, err)
		}
		if c.Aggregation != nil {
			d.agg, d.aggPos = c.Aggregation, c.Pos
		}
		ors = append(ors, node)
	}
	if len(ors) == 1 {
		d.cond = ors[0]
	} else {
		d.cond = ors
	}
	for _, s := range d.searches {
		for _, alt := range s.alts {
			for _, fm := range alt {
				for i := range fm.pats {
					fm.pats[i].idx = int32(d.nPats)
					d.nPats++
				}
			}
		}
	}
	return d, nil
}

// compileCond compiles a condition expression, noting which searches are
// used positively.
func (cc *compileCtx) compileCond(e Expr, d *detection, neg bool) (condNode, error) {
	mark := func(idx []int) {
		if !neg {
			for _, i := range idx {
				d.positive[i] = true
			}
		}
	}
	switch x := e.(type) {
	case *AndExpr:
		out := make(condAnd, 0, len(x.X))
		for _, s := range x.X {
			n, err := cc.compileCond(s, d, neg)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	case *OrExpr:
		out := make(condOr, 0, len(x.X))
		for _, s := range x.X {
			n, err := cc.compileCond(s, d, neg)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	case *NotExpr:
		n, err := cc.compileCond(x.X, d, !neg)
		if err != nil {
			return nil, err
		}
		return condNot{n}, nil
	case *SearchRef:
		if x.Index < 0 || x.Index >= len(d.searches) {
			return nil, fmt.Errorf("search %q is not defined", x.Name)
		}
		mark([]int{x.Index})
		return condRef(x.Index), nil
	case *OfExpr:
		for _, i := range x.Searches {
			if i < 0 || i >= len(d.searches) {
				return nil, fmt.Errorf("pattern %q names a search that is not defined", x.Pattern)
			}
		}
		if len(x.Searches) == 0 {
			return nil, fmt.Errorf("pattern %q matches no search", x.Pattern)
		}
		mark(x.Searches)
		switch {
		case !x.IsPattern():
			// "1 of sel" and "all of sel" are "sel".
			return condRef(x.Searches[0]), nil
		case x.All:
			return condAllOf(slices.Clone(x.Searches)), nil
		}
		return condOneOf(slices.Clone(x.Searches)), nil
	}
	return nil, fmt.Errorf("unsupported condition element %T", e)
}

// compileSearch compiles one search of the tree: its maps, then its
// keywords, each one alternative.
func (cc *compileCtx) compileSearch(t *Search) (*search, error) {
	s := &search{name: t.Name, alts: make([][]*fieldMatcher, 0, len(t.Maps)+1)}
	for i := range t.Maps {
		m := &t.Maps[i]
		alt := make([]*fieldMatcher, 0, len(m.Fields))
		for j := range m.Fields {
			fm, err := cc.compileField(&m.Fields[j])
			if err != nil {
				return nil, err
			}
			alt = append(alt, fm)
		}
		s.alts = append(s.alts, alt)
	}
	if t.Keywords != nil {
		fm, err := cc.compileField(t.Keywords)
		if err != nil {
			return nil, err
		}
		s.alts = append(s.alts, []*fieldMatcher{fm})
	}
	return s, nil
}

// compileField compiles one field (or keyword) matcher of the tree, which
// parseField has checked: what is left to check is what the values mean.
func (cc *compileCtx) compileField(f *FieldMatcher) (*fieldMatcher, error) {
	field := f.Field
	fm := &fieldMatcher{field: -1, name: field}
	if field != "" {
		fm.field = cc.fields.id(field)
	}
	fail := func(sentinel error, format string, args ...any) (*fieldMatcher, error) {
		label := field
		if label == "" {
			label = "keywords"
		}
		return nil, errAtPos(cc.path, f.Pos, sentinel, "%s: %s", label, fmt.Sprintf(format, args...))
	}
	ms := readModifiers(f.Modifiers)
	fm.all, fm.neq = ms.all, ms.neq
	vals := f.Values

	// null and exists are tests of presence.
	if ms.exists {
		if strings.EqualFold(vals[0].Raw, "true") {
			fm.kind = fmExists
		} else {
			fm.kind = fmAbsent
		}
		return fm, nil
	}
	if vals[0].Kind == NullValue {
		fm.kind = fmNull
		return fm, nil
	}
	if fm.all && len(vals) == 1 {
		// The specification forbids this, but its meaning is clear.
		cc.warnings = append(cc.warnings, fmt.Sprintf("%s: 'all' with a single value", field))
	}
	fm.fold = !ms.cased
	position := ms.position
	if fm.field < 0 && position == 0 {
		// A keyword is found anywhere in a value unless it says
		// otherwise with wildcards or a position modifier.
		position = ModContains
	}

	fm.pats = make([]valueMatcher, 0, len(vals))
	add := func(vm valueMatcher) { fm.pats = append(fm.pats, vm) }
	for i := range vals {
		v := &vals[i]
		switch {
		case ms.re:
			prefix := ""
			if ms.reFlags != "" {
				prefix = "(?" + ms.reFlags + ")"
			}
			re, err := regexp.Compile(prefix + v.Raw)
			if err != nil {
				return fail(ErrRegexp, "%q: %v", v.Raw, err)
			}
			lo, hi := regexLenBounds(prefix + v.Raw)
			add(valueMatcher{kind: vmRegexp, re: re, fast: compileFastRegex(prefix + v.Raw), run: compileRunRegex(prefix + v.Raw),
				affix: compileAffix(prefix + v.Raw), text: v.Raw, reMin: lo, reMax: hi})
			continue
		case ms.cidr:
			p, ok := parseCIDR(v.Raw)
			if !ok {
				return fail(ErrValue, "%q is not a CIDR range", v.Raw)
			}
			add(valueMatcher{kind: vmCIDR, net: p, text: v.Raw})
			continue
		case ms.tp != tpNone:
			n, ok := parseNumber(v.Raw)
			if !ok {
				return fail(ErrValue, "%q is not a number", v.Raw)
			}
			op := cmpEq
			if ms.num {
				op = ms.cmp
			}
			add(valueMatcher{kind: vmTime, tp: ms.tp, op: op, num: n, text: v.Raw})
			continue
		case ms.num:
			n, ok := parseNumber(v.Raw)
			if !ok {
				return fail(ErrValue, "%q is not a number", v.Raw)
			}
			add(valueMatcher{kind: vmNum, op: ms.cmp, num: n, text: v.Raw})
			continue
		case ms.ref:
			if fm.field < 0 || v.Raw == "" {
				return fail(ErrValue, "fieldref needs a field and a field name")
			}
			op := map[Modifier]strOp{0: opEqual, ModContains: opContains, ModStartsWith: opPrefix, ModEndsWith: opSuffix}[ms.position]
			add(valueMatcher{kind: vmFieldRef, ref: cc.fields.id(v.Raw), str: strPattern{op: op, fold: !ms.cased}, text: v.Raw})
			continue
		}
		if len(ms.transforms) == 0 {
			add(valueMatcher{kind: vmStr, str: newStrPattern(positionedTokens(v.Pattern, position), fm.fold), text: v.Raw})
			continue
		}
		items, err := cc.transform(v.Raw, ms.transforms)
		if err != nil {
			return fail(ErrValue, "%v", err)
		}
		for _, it := range items {
			var toks []token
			if it.literal {
				toks = literalTokens(it.text)
			} else {
				toks = parseWildcards(it.text)
			}
			add(valueMatcher{kind: vmStr, str: newStrPattern(positioned(toks, position), fm.fold), text: it.text})
		}
	}
	if len(fm.pats) == 0 {
		// Every value expanded to nothing (an empty placeholder list).
		fm.kind = fmNever
	}
	return fm, nil
}

// positioned wraps a value's tokens in the stars of its position modifier.
func positioned(toks []token, position Modifier) []token {
	switch position {
	case ModContains:
		toks = append(append([]token{{kind: tokStar}}, toks...), token{kind: tokStar})
	case ModStartsWith:
		toks = append(toks, token{kind: tokStar})
	case ModEndsWith:
		toks = append([]token{{kind: tokStar}}, toks...)
	}
	return mergeStars(toks)
}

// mergeStars collapses adjacent '*' tokens.
func mergeStars(toks []token) []token {
	out := toks[:0]
	for _, t := range toks {
		if t.kind == tokStar && len(out) > 0 && out[len(out)-1].kind == tokStar {
			continue
		}
		out = append(out, t)
	}
	return out
}

// transform applies the value-transforming modifiers in the order written.
func (cc *compileCtx) transform(s string, transforms []Modifier) ([]item, error) {
	items := []item{{text: s}}
	for _, t := range transforms {
		var next []item
		switch t {
		case ModWindash:
			for _, it := range items {
				if it.literal {
					next = append(next, it)
					continue
				}
				vs, ok := windash(it.text)
				if !ok {
					return nil, fmt.Errorf("windash: %q has too many dashes (over %d variants)", it.text, maxVariants)
				}
				for _, v := range vs {
					next = append(next, item{text: v})
				}
			}
		case ModExpand:
			for _, it := range items {
				vs, missing, ok := expandPlaceholders(it.text, cc.opts.placeholders())
				if !ok {
					return nil, fmt.Errorf("expand: %q yields over %d values", it.text, maxVariants)
				}
				for _, m := range missing {
					if cc.opts.StrictPlaceholders {
						return nil, fmt.Errorf("%w %%%s%%", ErrPlaceholder, m)
					}
					cc.warnings = append(cc.warnings, fmt.Sprintf("placeholder %%%s%% is not defined: its values never match", m))
				}
				for _, v := range vs {
					next = append(next, item{text: v, literal: it.literal})
				}
			}
		case ModUTF16LE, ModWide, ModUTF16BE, ModUTF16:
			for _, it := range items {
				next = append(next, item{text: encodeUTF16(it.text, t == ModUTF16BE, t == ModUTF16), literal: true})
			}
		case ModBase64:
			for _, it := range items {
				next = append(next, item{text: base64.StdEncoding.EncodeToString([]byte(it.text)), literal: true})
			}
		case ModBase64Offset:
			for _, it := range items {
				for _, v := range base64Offsets(it.text) {
					next = append(next, item{text: v, literal: true})
				}
			}
		}
		items = next
	}
	return items, nil
}

// sortedKeys returns m's keys in order (for deterministic reports).
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
