package sigma

import (
	"fmt"
	"strings"
	"unicode/utf8"

	sigmago "github.com/bradleyjkemp/sigma-go"
	"gopkg.in/yaml.v3"
)

// parseDetection reads a detection mapping (a rule's detection section, or
// a filter rule's filter section, whose key skip is not a search) into its
// tree. It checks the structure, the modifiers and the condition; what the
// values mean (regular expressions, numbers, CIDR ranges, placeholders) is
// the compiler's to check.
//
// On error the returned tree holds what was read before the failing entry,
// and failedField names the field matcher that failed its checks ("" if
// the error is elsewhere). The compiler compiles that part first, so that
// a rule with several errors reports the first one in the file, and then
// interns failedField: the field table comes out as when parsing and
// compiling were one pass. conds, if not nil, keeps condition parses for
// the next call.
func parseDetection(path string, det *yaml.Node, skip string, conds conditionCache) (d *Detection, failedField string, err error) {
	if det.Kind != yaml.MappingNode {
		return nil, "", errAt(path, det, ErrYAML, "detection must be a mapping, got %s", kindName(det))
	}
	d = &Detection{Pos: posOf(det)}
	var condNode *yaml.Node
	for i := 0; i+1 < len(det.Content); i += 2 {
		k, v := det.Content[i], resolveAlias(det.Content[i+1])
		switch {
		case k.Value == "condition":
			condNode = v
			continue
		case k.Value == "timeframe":
			d.Timeframe = v.Value
			continue
		case skip != "" && k.Value == skip:
			continue
		}
		s, field, err := parseSearch(path, k, v)
		d.Searches = append(d.Searches, s)
		if err != nil {
			return d, field, err
		}
	}
	if condNode == nil {
		return d, "", errAt(path, det, ErrCondition, "missing condition")
	}
	var condNodes []*yaml.Node
	switch condNode.Kind {
	case yaml.ScalarNode:
		condNodes = []*yaml.Node{condNode}
	case yaml.SequenceNode:
		condNodes = condNode.Content
	default:
		return d, "", errAt(path, condNode, ErrCondition, "condition must be a string or a list of strings")
	}
	index := make(map[string]int, len(d.Searches))
	for i, s := range d.Searches {
		index[s.Name] = i
	}
	d.Conditions = make([]Condition, 0, len(condNodes))
	for _, cn := range condNodes {
		cn = resolveAlias(cn)
		if cn.Kind != yaml.ScalarNode {
			return d, "", errAt(path, cn, ErrCondition, "condition must be a string")
		}
		c, err := parseCondition(path, cn, d.Searches, index, len(condNodes), conds)
		if err != nil {
			return d, "", err
		}
		d.Conditions = append(d.Conditions, c)
	}
	return d, "", nil
}

func posOf(n *yaml.Node) Pos { return Pos{Line: n.Line, Column: n.Column} }

// parseSearch reads one search identifier's value.
func parseSearch(path string, k, v *yaml.Node) (s Search, failedField string, err error) {
	name := k.Value
	s = Search{Name: name, Pos: posOf(k)}
	switch v.Kind {
	case yaml.MappingNode:
		m, field, err := parseMap(path, v)
		s.Maps = []FieldMap{m}
		return s, field, err
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			return s, "", errAt(path, v, ErrYAML, "search %q is an empty list", name)
		}
		var keywords []Value
		for _, c := range v.Content {
			c = resolveAlias(c)
			switch c.Kind {
			case yaml.MappingNode:
				m, field, err := parseMap(path, c)
				s.Maps = append(s.Maps, m)
				if err != nil {
					return s, field, err
				}
			case yaml.ScalarNode:
				keywords = append(keywords, valueOf(c))
			default:
				return s, "", errAt(path, c, ErrYAML, "search %q: list items must be maps or strings", name)
			}
		}
		if len(keywords) > 0 {
			fm, err := parseField(path, v, "", nil, keywords)
			if err != nil {
				return s, "", err
			}
			s.Keywords = &fm
		}
	case yaml.ScalarNode:
		if v.ShortTag() == "!!null" {
			return s, "", errAt(path, v, ErrYAML, "search %q is empty", name)
		}
		fm, err := parseField(path, v, "", nil, []Value{valueOf(v)})
		if err != nil {
			return s, "", err
		}
		s.Keywords = &fm
	default:
		return s, "", errAt(path, v, ErrYAML, "search %q has an invalid value", name)
	}
	return s, "", nil
}

// parseMap reads one map of "field|mods: values".
func parseMap(path string, m *yaml.Node) (fmap FieldMap, failedField string, err error) {
	fmap = FieldMap{Pos: posOf(m), Fields: make([]FieldMatcher, 0, len(m.Content)/2)}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		parts := strings.Split(k.Value, "|")
		vals, err := values(path, m.Content[i+1])
		if err != nil {
			return fmap, "", err
		}
		fm, err := parseField(path, k, parts[0], parts[1:], vals)
		if err != nil {
			return fmap, parts[0], err
		}
		fmap.Fields = append(fmap.Fields, fm)
	}
	if len(fmap.Fields) == 0 {
		return fmap, "", errAt(path, m, ErrYAML, "empty search map")
	}
	return fmap, "", nil
}

// values reads a value node (a scalar or a list of scalars).
func values(path string, n *yaml.Node) ([]Value, error) {
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.ScalarNode:
		return []Value{valueOf(n)}, nil
	case yaml.SequenceNode:
		out := make([]Value, 0, len(n.Content))
		for _, c := range n.Content {
			c = resolveAlias(c)
			if c.Kind != yaml.ScalarNode {
				return nil, errAt(path, c, ErrYAML, "a value list may only hold scalars, got %s", kindName(c))
			}
			out = append(out, valueOf(c))
		}
		return out, nil
	}
	return nil, errAt(path, n, ErrYAML, "a field value must be a scalar or a list of scalars, got %s", kindName(n))
}

func valueOf(n *yaml.Node) Value {
	v := Value{Raw: n.Value, Pos: posOf(n)}
	switch n.ShortTag() {
	case "!!null":
		v.Kind, v.Raw = NullValue, ""
	case "!!bool":
		v.Kind = BoolValue
	case "!!int", "!!float":
		v.Kind = NumberValue
	}
	return v
}

// modSet is what a list of modifiers asks for.
type modSet struct {
	position                          Modifier // ModContains, ModStartsWith, ModEndsWith or 0
	all, cased, re, exists, cidr, ref bool
	neq, num                          bool
	reFlags                           string // i, m, s in the order written
	cmp                               cmpOp  // with num
	tp                                timePart
	transforms                        []Modifier // value transformations, in order
}

func readModifiers(mods []Modifier) modSet {
	var s modSet
	for _, m := range mods {
		switch m {
		case ModContains, ModStartsWith, ModEndsWith:
			s.position = m
		case ModAll:
			s.all = true
		case ModCased:
			s.cased = true
		case ModExists:
			s.exists = true
		case ModRe:
			s.re = true
		case ModReIgnoreCase, ModReMultiline, ModReDotAll:
			s.reFlags += m.String()
		case ModBase64, ModBase64Offset, ModUTF16LE, ModUTF16BE, ModUTF16, ModWide, ModWindash, ModExpand:
			s.transforms = append(s.transforms, m)
		case ModCIDR:
			s.cidr = true
		case ModLt:
			s.num, s.cmp = true, cmpLt
		case ModLte:
			s.num, s.cmp = true, cmpLte
		case ModGt:
			s.num, s.cmp = true, cmpGt
		case ModGte:
			s.num, s.cmp = true, cmpGte
		case ModNeq:
			s.neq = true
		case ModFieldRef:
			s.ref = true
		case ModMinute:
			s.tp = tpMinute
		case ModHour:
			s.tp = tpHour
		case ModDay:
			s.tp = tpDay
		case ModWeek:
			s.tp = tpWeek
		case ModMonth:
			s.tp = tpMonth
		case ModYear:
			s.tp = tpYear
		}
	}
	return s
}

// stringCompared reports whether values under these modifiers are
// compared as strings (wildcard patterns), so their Pattern is set.
func (s *modSet) stringCompared() bool {
	return !s.re && !s.cidr && s.tp == tpNone && !s.num && !s.ref && !s.exists
}

// parseField reads one field (or keyword) matcher: at is the node errors
// point to, field is "" for keywords.
func parseField(path string, at *yaml.Node, field string, mods []string, vals []Value) (FieldMatcher, error) {
	fm := FieldMatcher{Field: field, Values: vals, Pos: posOf(at)}
	fail := func(sentinel error, format string, args ...any) (FieldMatcher, error) {
		label := field
		if label == "" {
			label = "keywords"
		}
		return FieldMatcher{}, errAt(path, at, sentinel, "%s: %s", label, fmt.Sprintf(format, args...))
	}
	if len(mods) > 0 {
		fm.Modifiers = make([]Modifier, 0, len(mods))
	}
	var position Modifier
	for _, m := range mods {
		lm := strings.ToLower(m)
		mod, ok := modifierByName[lm]
		switch {
		case lm == "":
			return fail(ErrModifier, "empty modifier")
		case !ok:
			return fail(ErrModifier, "%q", m)
		case mod == ModContains || mod == ModStartsWith || mod == ModEndsWith:
			if position != 0 && position != mod {
				return fail(ErrModifier, "modifiers %s and %s conflict", position, lm)
			}
			position = mod
		}
		fm.Modifiers = append(fm.Modifiers, mod)
	}
	ms := readModifiers(fm.Modifiers)
	if ms.reFlags != "" && !ms.re {
		return fail(ErrModifier, "regular expression flags %q without re", ms.reFlags)
	}
	if len(vals) == 0 {
		return fail(ErrValue, "no values")
	}
	if ms.exists {
		if len(vals) != 1 || vals[0].Kind != BoolValue && vals[0].Raw != "true" && vals[0].Raw != "false" {
			return fail(ErrValue, "exists needs true or false")
		}
		return fm, nil
	}
	for _, v := range vals {
		if v.Kind != NullValue {
			continue
		}
		if len(vals) != 1 || len(mods) > 0 {
			return fail(ErrValue, "null must be the only value and takes no modifiers")
		}
		if field == "" {
			return fail(ErrValue, "a keyword cannot be null")
		}
		return fm, nil
	}
	if ms.re && (len(ms.transforms) > 0 || ms.position != 0) {
		names := make([]string, 0, len(ms.transforms)+1)
		for _, t := range ms.transforms {
			names = append(names, t.String())
		}
		pos := ""
		if ms.position != 0 {
			pos = ms.position.String()
		}
		return fail(ErrModifier, "re cannot be combined with %v", append(names, pos))
	}
	if ms.stringCompared() {
		// One array backs the patterns of all the values: a loaded
		// rule keeps its tree, and fewer objects are less for the
		// garbage collector to mark.
		var endBuf [16]int
		ends := endBuf[:0]
		var parts []PatternPart
		if len(vals) > 1 {
			parts = make([]PatternPart, 0, len(vals))
		}
		for i := range fm.Values {
			parts = appendWildcardPattern(parts, fm.Values[i].Raw)
			ends = append(ends, len(parts))
		}
		start := 0
		for i, end := range ends {
			if end > start {
				fm.Values[i].Pattern = parts[start:end:end]
			}
			start = end
		}
	}
	return fm, nil
}

// wildcardPattern reads s as a Sigma wildcard pattern.
func wildcardPattern(s string) []PatternPart { return appendWildcardPattern(nil, s) }

// appendWildcardPattern appends the pattern of s to dst.
func appendWildcardPattern(dst []PatternPart, s string) []PatternPart {
	if s == "" {
		return dst
	}
	if !strings.ContainsAny(s, "*?\\") {
		return append(dst, PatternPart{Text: s}) // most values: one literal
	}
	for _, t := range parseWildcards(s) {
		switch t.kind {
		case tokStar:
			dst = append(dst, PatternPart{Kind: AnyRun})
		case tokOne:
			dst = append(dst, PatternPart{Kind: AnyChar})
		default:
			dst = append(dst, PatternPart{Text: t.lit})
		}
	}
	return dst
}

// positionedTokens converts a value's pattern to fresh matcher tokens,
// wrapped in the stars of its position modifier.
func positionedTokens(p []PatternPart, position Modifier) []token {
	toks := make([]token, 0, len(p)+2)
	if position == ModContains || position == ModEndsWith {
		toks = append(toks, token{kind: tokStar})
	}
	for _, pp := range p {
		switch pp.Kind {
		case AnyRun:
			toks = append(toks, token{kind: tokStar})
		case AnyChar:
			toks = append(toks, token{kind: tokOne})
		default:
			toks = append(toks, token{lit: pp.Text})
		}
	}
	if position == ModContains || position == ModStartsWith {
		toks = append(toks, token{kind: tokStar})
	}
	return mergeStars(toks)
}

// conditionCache keeps sigma-go's parse of each rewritten condition for the
// rules of one Compile. Rewritten conditions repeat across rules (every
// "selection" is "zzida", every "all of selection_*" is "all of zzpata*"),
// and sigma-go's parser is a good part of the time loading takes.
type conditionCache map[string]conditionParse

type conditionParse struct {
	cond sigmago.Condition
	err  error
}

func (cc conditionCache) parse(text string) (sigmago.Condition, error) {
	if p, ok := cc[text]; ok {
		return p.cond, p.err
	}
	c, err := sigmago.ParseCondition(text)
	if cc != nil {
		cc[text] = conditionParse{c, err}
	}
	return c, err
}

// parseCondition reads one condition: the expression (parsed by sigma-go
// after rewriteCondition), its search references resolved against
// searches, and its aggregation. n is the number of conditions of the
// detection (an aggregation needs a single one).
func parseCondition(path string, cn *yaml.Node, searches []Search, index map[string]int, n int, conds conditionCache) (Condition, error) {
	text, names := rewriteCondition(cn.Value)
	parsed, err := conds.parse(text)
	if err != nil {
		return Condition{}, errAt(path, cn, ErrCondition, "%q: %v", cn.Value, err)
	}
	c := Condition{Text: cn.Value, Pos: posOf(cn)}
	b := &exprBuilder{names: names, searches: searches, index: index, at: newCondPositions(cn)}
	c.Expr, err = b.expr(parsed.Search)
	if err != nil {
		return Condition{}, errAt(path, cn, ErrCondition, "%q: %v", cn.Value, err)
	}
	if parsed.Aggregation != nil {
		cmp, ok := parsed.Aggregation.(sigmago.Comparison)
		if !ok || n > 1 {
			return Condition{}, errAt(path, cn, ErrUnsupported, "%q: only a single '| count(...) [by ...] op N' aggregation is supported (the near operator is obsolete; use a temporal correlation)", cn.Value)
		}
		c.Aggregation = aggregationOf(cmp)
	}
	return c, nil
}

func aggregationOf(cmp sigmago.Comparison) *Aggregation {
	a := &Aggregation{Op: string(cmp.Op), Threshold: cmp.Threshold}
	switch f := cmp.Func.(type) {
	case sigmago.Count:
		a.Func, a.Field, a.GroupBy = "count", f.Field, f.GroupedBy
	case sigmago.Min:
		a.Func, a.Field, a.GroupBy = "min", f.Field, f.GroupedBy
	case sigmago.Max:
		a.Func, a.Field, a.GroupBy = "max", f.Field, f.GroupedBy
	case sigmago.Average:
		a.Func, a.Field, a.GroupBy = "avg", f.Field, f.GroupedBy
	case sigmago.Sum:
		a.Func, a.Field, a.GroupBy = "sum", f.Field, f.GroupedBy
	}
	return a
}

// exprBuilder turns sigma-go's condition AST into Expr nodes, mapping the
// synthetic names of rewriteCondition back and resolving them.
type exprBuilder struct {
	names    map[string]string // synthetic name -> as written
	searches []Search
	index    map[string]int // search name -> index (the last of that name)
	at       *condPositions
}

func (b *exprBuilder) orig(s string) string {
	if o, ok := b.names[strings.TrimSuffix(s, "*")]; ok {
		return o
	}
	return s
}

func (b *exprBuilder) exprs(xs []sigmago.SearchExpr) ([]Expr, error) {
	out := make([]Expr, 0, len(xs))
	for _, x := range xs {
		e, err := b.expr(x)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (b *exprBuilder) expr(e sigmago.SearchExpr) (Expr, error) {
	switch x := e.(type) {
	case sigmago.And:
		xs, err := b.exprs(x)
		if err != nil {
			return nil, err
		}
		return &AndExpr{X: xs, Pos: firstPos(xs, b.at)}, nil
	case sigmago.Or:
		xs, err := b.exprs(x)
		if err != nil {
			return nil, err
		}
		return &OrExpr{X: xs, Pos: firstPos(xs, b.at)}, nil
	case sigmago.Not:
		pos := b.at.next()
		sub, err := b.expr(x.Expr)
		if err != nil {
			return nil, err
		}
		return &NotExpr{X: sub, Pos: pos}, nil
	case sigmago.SearchIdentifier:
		pos := b.at.next()
		name := b.orig(x.Name)
		i, ok := b.index[name]
		if !ok {
			return nil, fmt.Errorf("search %q is not defined", name)
		}
		return &SearchRef{Name: name, Index: i, Pos: pos}, nil
	case sigmago.OneOfIdentifier, sigmago.AllOfIdentifier:
		pos := b.at.next()
		var name string
		all := false
		if o, ok := x.(sigmago.OneOfIdentifier); ok {
			name = o.Ident.Name
		} else {
			name, all = x.(sigmago.AllOfIdentifier).Ident.Name, true
		}
		name = b.orig(name)
		i, ok := b.index[name]
		if !ok {
			return nil, fmt.Errorf("search %q is not defined", name)
		}
		return &OfExpr{All: all, Pattern: name, Searches: []int{i}, Pos: pos}, nil
	case sigmago.OneOfPattern, sigmago.AllOfPattern, sigmago.OneOfThem, sigmago.AllOfThem:
		pos := b.at.next()
		pattern, written, all := "*", "them", false
		switch y := x.(type) {
		case sigmago.OneOfPattern:
			pattern = b.orig(y.Pattern)
			written = pattern
		case sigmago.AllOfPattern:
			pattern, all = b.orig(y.Pattern), true
			written = pattern
		case sigmago.AllOfThem:
			all = true
		}
		idx := matchSearchNames(b.searches, pattern)
		if len(idx) == 0 {
			return nil, fmt.Errorf("pattern %q matches no search", pattern)
		}
		return &OfExpr{All: all, Pattern: written, Searches: idx, Pos: pos}, nil
	}
	return nil, fmt.Errorf("unsupported condition element %T", e)
}

func firstPos(xs []Expr, at *condPositions) Pos {
	if len(xs) > 0 {
		return xs[0].Position()
	}
	return at.base
}

// matchSearchNames returns the indexes of searches whose name matches the
// pattern ("*" wildcards). "them" excludes names starting with "_", as
// pySigma does.
func matchSearchNames(ss []Search, pattern string) []int {
	toks := parseWildcards(pattern)
	var idx []int
	for i := range ss {
		name := ss[i].Name
		if pattern == "*" && strings.HasPrefix(name, "_") {
			continue
		}
		if globMatch(toks, name) {
			idx = append(idx, i)
		}
	}
	return idx
}

// condPositions hands out the file positions of a condition's operators
// and operands in the order sigma-go's AST visits them (the order of the
// text): each "not", search name and "1 of"/"all of" starts one node.
type condPositions struct {
	base    Pos
	exact   bool // the text sits on one line of the file as written
	quote   int  // columns before the text (an opening quote)
	text    string
	anchors []int // byte offsets in text
	i       int
}

func newCondPositions(cn *yaml.Node) *condPositions {
	p := &condPositions{base: posOf(cn), text: cn.Value}
	switch {
	case cn.Style&(yaml.LiteralStyle|yaml.FoldedStyle|yaml.TaggedStyle) != 0 || strings.Contains(cn.Value, "\n"):
	case cn.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0:
		// Exact unless the quoting escaped something.
		p.quote, p.exact = 1, !strings.ContainsAny(cn.Value, "'\"\\")
	default:
		p.exact = true
	}
	search, _, _ := strings.Cut(cn.Value, "|")
	words := conditionWords(search)
	for i := 0; i < len(words); i++ {
		switch strings.ToLower(words[i].text) {
		case "(", ")", "and", "or", "of", "them":
		case "1", "all":
			p.anchors = append(p.anchors, words[i].off)
			if i+2 < len(words) && strings.EqualFold(words[i+1].text, "of") {
				i += 2
			}
		default: // "not" or a search name
			p.anchors = append(p.anchors, words[i].off)
		}
	}
	return p
}

// next returns the position of the next node.
func (p *condPositions) next() Pos {
	if p.i >= len(p.anchors) {
		return p.base
	}
	off := p.anchors[p.i]
	p.i++
	if !p.exact {
		return p.base
	}
	return Pos{Line: p.base.Line, Column: p.base.Column + p.quote + utf8.RuneCountInString(p.text[:off])}
}
