package sigma

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strings"

	sigmago "github.com/bradleyjkemp/sigma-go"
	"gopkg.in/yaml.v3"
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
	positive  []bool // per search: used outside any "not"
	agg       *sigmago.Comparison
	aggNode   *yaml.Node
	timeframe string
	nPats     int // value patterns, numbered by valueMatcher.idx
}

// compileCtx carries what compiling a detection needs.
type compileCtx struct {
	path     string
	fields   *fieldTable
	opts     *LoadOptions
	warnings []string
	names    map[string]string // synthetic condition name -> original
}

// orig maps a synthetic condition name back to the rule's.
func (cc *compileCtx) orig(s string) string {
	if o, ok := cc.names[strings.TrimSuffix(s, "*")]; ok {
		return o
	}
	return s
}

// compileDetection compiles a detection mapping (a rule's detection, or a
// filter rule's filter section, whose "rules" key is skipped).
func (cc *compileCtx) compileDetection(det *yaml.Node, skip map[string]bool) (*detection, error) {
	if det.Kind != yaml.MappingNode {
		return nil, errAt(cc.path, det, ErrYAML, "detection must be a mapping, got %s", kindName(det))
	}
	d := &detection{}
	var condNodes *yaml.Node
	index := map[string]int{}
	for i := 0; i+1 < len(det.Content); i += 2 {
		k, v := det.Content[i], resolveAlias(det.Content[i+1])
		switch {
		case k.Value == "condition":
			condNodes = v
			continue
		case k.Value == "timeframe":
			d.timeframe = v.Value
			continue
		case skip[k.Value]:
			continue
		}
		s, err := cc.compileSearch(k.Value, v)
		if err != nil {
			return nil, err
		}
		index[s.name] = len(d.searches)
		d.searches = append(d.searches, s)
	}
	if condNodes == nil {
		return nil, errAt(cc.path, det, ErrCondition, "missing condition")
	}
	var conds []*yaml.Node
	switch condNodes.Kind {
	case yaml.ScalarNode:
		conds = []*yaml.Node{condNodes}
	case yaml.SequenceNode:
		conds = condNodes.Content
	default:
		return nil, errAt(cc.path, condNodes, ErrCondition, "condition must be a string or a list of strings")
	}
	d.positive = make([]bool, len(d.searches))
	var ors condOr
	for _, cn := range conds {
		cn = resolveAlias(cn)
		if cn.Kind != yaml.ScalarNode {
			return nil, errAt(cc.path, cn, ErrCondition, "condition must be a string")
		}
		text, names := rewriteCondition(cn.Value)
		parsed, err := sigmago.ParseCondition(text)
		if err != nil {
			return nil, errAt(cc.path, cn, ErrCondition, "%q: %v", cn.Value, err)
		}
		cc.names = names
		node, err := cc.compileCond(parsed.Search, d, index, false)
		if err != nil {
			return nil, errAt(cc.path, cn, ErrCondition, "%q: %v", cn.Value, err)
		}
		if parsed.Aggregation != nil {
			cmp, ok := parsed.Aggregation.(sigmago.Comparison)
			if !ok || len(conds) > 1 {
				return nil, errAt(cc.path, cn, ErrUnsupported, "%q: only a single '| count(...) [by ...] op N' aggregation is supported (the near operator is obsolete; use a temporal correlation)", cn.Value)
			}
			d.agg, d.aggNode = &cmp, cn
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

// compileCond translates sigma-go's condition AST, resolving identifiers
// and patterns to search indexes and noting which searches are used
// positively.
func (cc *compileCtx) compileCond(e sigmago.SearchExpr, d *detection, index map[string]int, neg bool) (condNode, error) {
	mark := func(idx []int) {
		if !neg {
			for _, i := range idx {
				d.positive[i] = true
			}
		}
	}
	switch x := e.(type) {
	case sigmago.And:
		out := make(condAnd, 0, len(x))
		for _, s := range x {
			n, err := cc.compileCond(s, d, index, neg)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	case sigmago.Or:
		out := make(condOr, 0, len(x))
		for _, s := range x {
			n, err := cc.compileCond(s, d, index, neg)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	case sigmago.Not:
		n, err := cc.compileCond(x.Expr, d, index, !neg)
		if err != nil {
			return nil, err
		}
		return condNot{n}, nil
	case sigmago.SearchIdentifier:
		x.Name = cc.orig(x.Name)
		i, ok := index[x.Name]
		if !ok {
			return nil, fmt.Errorf("search %q is not defined", x.Name)
		}
		mark([]int{i})
		return condRef(i), nil
	case sigmago.OneOfIdentifier, sigmago.AllOfIdentifier:
		var name string
		if o, ok := x.(sigmago.OneOfIdentifier); ok {
			name = o.Ident.Name
		} else {
			name = x.(sigmago.AllOfIdentifier).Ident.Name
		}
		name = cc.orig(name)
		i, ok := index[name]
		if !ok {
			return nil, fmt.Errorf("search %q is not defined", name)
		}
		mark([]int{i})
		return condRef(i), nil
	case sigmago.OneOfPattern, sigmago.AllOfPattern, sigmago.OneOfThem, sigmago.AllOfThem:
		pattern, all := "*", false
		switch y := x.(type) {
		case sigmago.OneOfPattern:
			pattern = cc.orig(y.Pattern)
		case sigmago.AllOfPattern:
			pattern, all = cc.orig(y.Pattern), true
		case sigmago.AllOfThem:
			all = true
		}
		idx := matchSearchNames(d.searches, pattern)
		if len(idx) == 0 {
			return nil, fmt.Errorf("pattern %q matches no search", pattern)
		}
		mark(idx)
		if all {
			return condAllOf(idx), nil
		}
		return condOneOf(idx), nil
	}
	return nil, fmt.Errorf("unsupported condition element %T", e)
}

// matchSearchNames returns the indexes of searches whose name matches the
// pattern ("*" wildcards). "them" excludes names starting with "_", as
// pySigma does.
func matchSearchNames(ss []*search, pattern string) []int {
	toks := parseWildcards(pattern)
	var idx []int
	for i, s := range ss {
		if pattern == "*" && strings.HasPrefix(s.name, "_") {
			continue
		}
		if globMatch(toks, s.name) {
			idx = append(idx, i)
		}
	}
	return idx
}

// compileSearch compiles one search identifier's value.
func (cc *compileCtx) compileSearch(name string, v *yaml.Node) (*search, error) {
	s := &search{name: name}
	switch v.Kind {
	case yaml.MappingNode:
		alt, err := cc.compileMap(v)
		if err != nil {
			return nil, err
		}
		s.alts = [][]*fieldMatcher{alt}
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			return nil, errAt(cc.path, v, ErrYAML, "search %q is an empty list", name)
		}
		var keywords []scalarValue
		for _, c := range v.Content {
			c = resolveAlias(c)
			switch c.Kind {
			case yaml.MappingNode:
				alt, err := cc.compileMap(c)
				if err != nil {
					return nil, err
				}
				s.alts = append(s.alts, alt)
			case yaml.ScalarNode:
				keywords = append(keywords, scalarOf(c))
			default:
				return nil, errAt(cc.path, c, ErrYAML, "search %q: list items must be maps or strings", name)
			}
		}
		if len(keywords) > 0 {
			fm, err := cc.compileField(v, "", nil, keywords)
			if err != nil {
				return nil, err
			}
			s.alts = append(s.alts, []*fieldMatcher{fm})
		}
	case yaml.ScalarNode:
		if v.ShortTag() == "!!null" {
			return nil, errAt(cc.path, v, ErrYAML, "search %q is empty", name)
		}
		fm, err := cc.compileField(v, "", nil, []scalarValue{scalarOf(v)})
		if err != nil {
			return nil, err
		}
		s.alts = [][]*fieldMatcher{{fm}}
	default:
		return nil, errAt(cc.path, v, ErrYAML, "search %q has an invalid value", name)
	}
	return s, nil
}

// compileMap compiles one map of "field|mods: values" (all must match).
func (cc *compileCtx) compileMap(m *yaml.Node) ([]*fieldMatcher, error) {
	var out []*fieldMatcher
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		parts := strings.Split(k.Value, "|")
		vals, err := scalars(cc.path, m.Content[i+1])
		if err != nil {
			return nil, err
		}
		fm, err := cc.compileField(k, parts[0], parts[1:], vals)
		if err != nil {
			return nil, err
		}
		out = append(out, fm)
	}
	if len(out) == 0 {
		return nil, errAt(cc.path, m, ErrYAML, "empty search map")
	}
	return out, nil
}

// compileField compiles one field (or keyword) matcher.
func (cc *compileCtx) compileField(at *yaml.Node, field string, mods []string, vals []scalarValue) (*fieldMatcher, error) {
	fm := &fieldMatcher{field: -1, name: field}
	if field != "" {
		fm.field = cc.fields.id(field)
	}
	fail := func(sentinel error, format string, args ...any) (*fieldMatcher, error) {
		label := field
		if label == "" {
			label = "keywords"
		}
		return nil, errAt(cc.path, at, sentinel, "%s: %s", label, fmt.Sprintf(format, args...))
	}

	var (
		position                       string // contains, startswith, endswith
		cased, isRe, exists, cidr, ref bool
		reFlags                        string
		cmp                            cmpOp
		isNum                          bool
		tp                             timePart
		transforms                     []string
	)
	for _, m := range mods {
		switch lm := strings.ToLower(m); lm {
		case "contains", "startswith", "endswith":
			if position != "" && position != lm {
				return fail(ErrModifier, "modifiers %s and %s conflict", position, lm)
			}
			position = lm
		case "all":
			fm.all = true
		case "cased":
			cased = true
		case "exists":
			exists = true
		case "re":
			isRe = true
		case "i", "m", "s":
			reFlags += lm
		case "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide", "windash", "expand":
			transforms = append(transforms, lm)
		case "cidr":
			cidr = true
		case "lt", "lte", "gt", "gte":
			isNum = true
			cmp = map[string]cmpOp{"lt": cmpLt, "lte": cmpLte, "gt": cmpGt, "gte": cmpGte}[lm]
		case "neq":
			fm.neq = true
		case "fieldref":
			ref = true
		case "minute", "hour", "day", "week", "month", "year":
			tp = map[string]timePart{"minute": tpMinute, "hour": tpHour, "day": tpDay, "week": tpWeek, "month": tpMonth, "year": tpYear}[lm]
		case "":
			return fail(ErrModifier, "empty modifier")
		default:
			return fail(ErrModifier, "%q", m)
		}
	}
	if reFlags != "" && !isRe {
		return fail(ErrModifier, "regular expression flags %q without re", reFlags)
	}
	if len(vals) == 0 {
		return fail(ErrValue, "no values")
	}

	// null and exists are tests of presence.
	hasNull := false
	for _, v := range vals {
		hasNull = hasNull || v.null
	}
	if exists {
		if len(vals) != 1 || !vals[0].isBool && vals[0].s != "true" && vals[0].s != "false" {
			return fail(ErrValue, "exists needs true or false")
		}
		if strings.EqualFold(vals[0].s, "true") {
			fm.kind = fmExists
		} else {
			fm.kind = fmAbsent
		}
		return fm, nil
	}
	if hasNull {
		if len(vals) != 1 || len(mods) > 0 {
			return fail(ErrValue, "null must be the only value and takes no modifiers")
		}
		if fm.field < 0 {
			return fail(ErrValue, "a keyword cannot be null")
		}
		fm.kind = fmNull
		return fm, nil
	}
	if fm.all && len(vals) == 1 {
		// The specification forbids this, but its meaning is clear.
		cc.warnings = append(cc.warnings, fmt.Sprintf("%s: 'all' with a single value", field))
	}
	fm.fold = !cased

	add := func(vm valueMatcher) { fm.pats = append(fm.pats, vm) }
	for _, v := range vals {
		switch {
		case isRe:
			if len(transforms) > 0 || position != "" {
				return fail(ErrModifier, "re cannot be combined with %v", append(transforms, position))
			}
			prefix := ""
			if reFlags != "" {
				prefix = "(?" + reFlags + ")"
			}
			re, err := regexp.Compile(prefix + v.s)
			if err != nil {
				return fail(ErrRegexp, "%q: %v", v.s, err)
			}
			lo, hi := regexLenBounds(prefix + v.s)
			add(valueMatcher{kind: vmRegexp, re: re, fast: compileFastRegex(prefix + v.s), text: v.s, reMin: lo, reMax: hi})
			continue
		case cidr:
			p, ok := parseCIDR(v.s)
			if !ok {
				return fail(ErrValue, "%q is not a CIDR range", v.s)
			}
			add(valueMatcher{kind: vmCIDR, net: p, text: v.s})
			continue
		case tp != tpNone:
			n, ok := parseNumber(v.s)
			if !ok {
				return fail(ErrValue, "%q is not a number", v.s)
			}
			op := cmpEq
			if isNum {
				op = cmp
			}
			add(valueMatcher{kind: vmTime, tp: tp, op: op, num: n, text: v.s})
			continue
		case isNum:
			n, ok := parseNumber(v.s)
			if !ok {
				return fail(ErrValue, "%q is not a number", v.s)
			}
			add(valueMatcher{kind: vmNum, op: cmp, num: n, text: v.s})
			continue
		case ref:
			if fm.field < 0 || v.s == "" {
				return fail(ErrValue, "fieldref needs a field and a field name")
			}
			op := map[string]strOp{"": opEqual, "contains": opContains, "startswith": opPrefix, "endswith": opSuffix}[position]
			add(valueMatcher{kind: vmFieldRef, ref: cc.fields.id(v.s), str: strPattern{op: op, fold: !cased}, text: v.s})
			continue
		}
		items, err := cc.transform(v.s, transforms)
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
			// A keyword is found anywhere in a value unless it says
			// otherwise with wildcards or a position modifier.
			if fm.field < 0 && position == "" {
				position = "contains"
			}
			switch position {
			case "contains":
				toks = append(append([]token{{kind: tokStar}}, toks...), token{kind: tokStar})
			case "startswith":
				toks = append(toks, token{kind: tokStar})
			case "endswith":
				toks = append([]token{{kind: tokStar}}, toks...)
			}
			toks = mergeStars(toks)
			add(valueMatcher{kind: vmStr, str: newStrPattern(toks, fm.fold), text: it.text})
		}
	}
	if len(fm.pats) == 0 {
		// Every value expanded to nothing (an empty placeholder list).
		fm.kind = fmNever
	}
	return fm, nil
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
func (cc *compileCtx) transform(s string, transforms []string) ([]item, error) {
	items := []item{{text: s}}
	for _, t := range transforms {
		var next []item
		switch t {
		case "windash":
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
		case "expand":
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
		case "utf16le", "wide", "utf16be", "utf16":
			for _, it := range items {
				next = append(next, item{text: encodeUTF16(it.text, t == "utf16be", t == "utf16"), literal: true})
			}
		case "base64":
			for _, it := range items {
				next = append(next, item{text: base64.StdEncoding.EncodeToString([]byte(it.text)), literal: true})
			}
		case "base64offset":
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
