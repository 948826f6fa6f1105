package sigma

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// CorrelationType is a Sigma correlation type.
type CorrelationType uint8

const (
	EventCount CorrelationType = iota
	ValueCount
	Temporal
	TemporalOrdered
	ValueSum
	ValueAvg
	ValuePercentile
)

var corrTypeNames = map[string]CorrelationType{
	"event_count": EventCount, "value_count": ValueCount, "temporal": Temporal,
	"temporal_ordered": TemporalOrdered, "value_sum": ValueSum, "value_avg": ValueAvg,
	"value_percentile": ValuePercentile,
}

func (t CorrelationType) String() string {
	for k, v := range corrTypeNames {
		if v == t {
			return k
		}
	}
	return fmt.Sprintf("CorrelationType(%d)", uint8(t))
}

// corrCond is one criterion of a correlation condition; all must hold.
type corrCond struct {
	op  string // gt gte lt lte eq neq
	val float64
}

func (c corrCond) test(v float64) bool {
	switch c.op {
	case "gt":
		return v > c.val
	case "gte":
		return v >= c.val
	case "lt":
		return v < c.val
	case "lte":
		return v <= c.val
	case "eq":
		return v == c.val
	case "neq":
		return v != c.val
	}
	return false
}

// correlation is a compiled Sigma correlation rule (or a legacy
// "| count() by" aggregation turned into one).
type correlation struct {
	rule     *Rule
	typ      CorrelationType
	refs     []*Rule // the rules whose matches it consumes, in order
	groupBy  []string
	aliases  map[string]map[*Rule]string // alias -> rule -> event field
	timespan time.Duration
	conds    []corrCond
	field    string // value_* types
	generate bool   // referenced rules also produce their own hits
	// upper is set when the condition bounds the value from above (lt,
	// lte, eq, neq): such a condition can only be decided when a window
	// closes, not when an event arrives.
	upper bool
}

// correlationRefs lists the rule ids/names a correlation document names.
func correlationRefs(n *yaml.Node) []string {
	c := lookup(n, "correlation")
	rules := lookup(c, "rules")
	if rules == nil {
		return nil
	}
	if rules.Kind == yaml.ScalarNode {
		return []string{rules.Value}
	}
	var out []string
	for _, r := range rules.Content {
		if r = resolveAlias(r); r.Kind == yaml.ScalarNode {
			out = append(out, r.Value)
		}
	}
	return out
}

// parseTimespan reads the correlation timespan syntax: a number and one
// of s, m, h, d (lower-case), e.g. "90m".
func parseTimespan(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, false
	}
	n, err := strconv.ParseUint(s[:len(s)-1], 10, 32)
	if err != nil || n == 0 {
		return 0, false
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// compileCorrelation compiles a correlation document; resolve finds the
// loaded rule an id or name refers to.
func (rs *Ruleset) compileCorrelation(d *rawDoc, resolve func(string) (*Rule, *LoadError)) (*correlation, *LoadError) {
	cn := lookup(d.node, "correlation")
	if cn == nil || cn.Kind != yaml.MappingNode {
		return nil, errAt(d.path, cn, ErrCorrelation, "correlation must be a mapping")
	}
	c := &correlation{rule: d.toRule(), aliases: map[string]map[*Rule]string{}}
	tn := lookup(cn, "type")
	if tn == nil {
		return nil, errAt(d.path, cn, ErrCorrelation, "missing type")
	}
	typ, ok := corrTypeNames[strings.ToLower(tn.Value)]
	if !ok {
		return nil, errAt(d.path, tn, ErrCorrelation, "unknown type %q", tn.Value)
	}
	c.typ = typ

	refs := correlationRefs(d.node)
	if len(refs) == 0 {
		return nil, errAt(d.path, cn, ErrCorrelation, "no rules listed")
	}
	byName := map[string]*Rule{}
	for _, ref := range refs {
		r, err := resolve(ref)
		if err != nil {
			if err.Line == 0 {
				n := lookup(cn, "rules")
				err.Line, err.Column = n.Line, n.Column
			}
			return nil, err
		}
		c.refs = append(c.refs, r)
		byName[ref] = r
	}

	if g := lookup(cn, "group-by"); g != nil {
		vals, err := values(d.path, g)
		if err != nil {
			return nil, asLoadError(err)
		}
		for _, v := range vals {
			if v.Kind != NullValue {
				c.groupBy = append(c.groupBy, v.Raw)
			}
		}
	}
	if a := lookup(cn, "aliases"); a != nil {
		if a.Kind != yaml.MappingNode {
			return nil, errAt(d.path, a, ErrCorrelation, "aliases must be a mapping")
		}
		for i := 0; i+1 < len(a.Content); i += 2 {
			alias, m := a.Content[i].Value, resolveAlias(a.Content[i+1])
			if m.Kind != yaml.MappingNode {
				return nil, errAt(d.path, m, ErrCorrelation, "alias %q must map rule names to fields", alias)
			}
			c.aliases[alias] = map[*Rule]string{}
			for j := 0; j+1 < len(m.Content); j += 2 {
				r, ok := byName[m.Content[j].Value]
				if !ok {
					return nil, errAt(d.path, m.Content[j], ErrCorrelation, "alias %q names rule %q, which the correlation does not list", alias, m.Content[j].Value)
				}
				c.aliases[alias][r] = m.Content[j+1].Value
			}
		}
	}

	ts := lookup(cn, "timespan")
	if ts == nil {
		ts = lookup(cn, "timeframe") // draft spelling
	}
	if ts == nil {
		return nil, errAt(d.path, cn, ErrCorrelation, "missing timespan")
	}
	span, ok := parseTimespan(ts.Value)
	if !ok {
		return nil, errAt(d.path, ts, ErrCorrelation, "timespan %q: want a number and s, m, h or d (e.g. 90m)", ts.Value)
	}
	c.timespan = span

	if cond := lookup(cn, "condition"); cond != nil {
		if cond.Kind != yaml.MappingNode {
			return nil, errAt(d.path, cond, ErrCorrelation, "condition must be a mapping such as {gte: 10}")
		}
		for i := 0; i+1 < len(cond.Content); i += 2 {
			k, v := strings.ToLower(cond.Content[i].Value), cond.Content[i+1]
			switch k {
			case "field":
				fv, err := values(d.path, v)
				if err != nil || len(fv) == 0 {
					return nil, errAt(d.path, v, ErrCorrelation, "condition field must name a field")
				}
				if len(fv) > 1 {
					return nil, errAt(d.path, v, ErrUnsupported, "condition on several fields is not supported")
				}
				c.field = fv[0].Raw
			case "gt", "gte", "lt", "lte", "eq", "neq":
				n, ok := parseNumber(v.Value)
				if !ok {
					return nil, errAt(d.path, v, ErrCorrelation, "condition %s: %q is not a number", k, v.Value)
				}
				c.conds = append(c.conds, corrCond{op: k, val: n})
				c.upper = c.upper || k == "lt" || k == "lte" || k == "eq" || k == "neq"
			default:
				return nil, errAt(d.path, cond.Content[i], ErrCorrelation, "unknown condition key %q", k)
			}
		}
	}
	switch c.typ {
	case EventCount:
		if len(c.conds) == 0 {
			return nil, errAt(d.path, cn, ErrCorrelation, "event_count needs a condition")
		}
	case ValueCount, ValueSum, ValueAvg, ValuePercentile:
		if len(c.conds) == 0 || c.field == "" {
			return nil, errAt(d.path, cn, ErrCorrelation, "%s needs a condition with a field", c.typ)
		}
	case Temporal, TemporalOrdered:
		if len(c.conds) == 0 {
			// Default: every listed rule must match.
			c.conds = []corrCond{{op: "gte", val: float64(len(c.refs))}}
		}
	}
	g := d.meta.Generate
	if g == nil {
		if gn := lookup(cn, "generate"); gn != nil {
			b := strings.EqualFold(gn.Value, "true")
			g = &b
		}
	}
	c.generate = g != nil && *g
	return c, nil
}

// legacyCorrelation turns a rule whose condition ends in
// "| count([field]) [by group] op N" into an event_count (or value_count)
// correlation over the rule's own matches, within its timeframe.
func legacyCorrelation(cr *compiledRule, d *rawDoc) (*correlation, *LoadError) {
	agg := cr.det.agg
	if agg.Func != "count" {
		return nil, errAtPos(d.path, cr.det.aggPos, ErrUnsupported, "aggregation %s: only count() is supported", aggregationTypeName[agg.Func])
	}
	field, by := agg.Field, agg.GroupBy
	if cr.det.timeframe == "" {
		return nil, errAtPos(d.path, cr.det.aggPos, ErrUnsupported, "aggregation without a timeframe cannot be bounded in time")
	}
	span, ok := parseTimespan(cr.det.timeframe)
	if !ok {
		return nil, errAtPos(d.path, cr.det.aggPos, ErrCorrelation, "timeframe %q: want a number and s, m, h or d", cr.det.timeframe)
	}
	op := map[string]string{"=": "eq", "!=": "neq", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}[agg.Op]
	r := *cr.rule
	r.Kind = KindCorrelation
	r.Generate = true
	c := &correlation{rule: &r, typ: EventCount, refs: []*Rule{cr.rule}, timespan: span,
		conds: []corrCond{{op: op, val: agg.Threshold}}, aliases: map[string]map[*Rule]string{}}
	c.upper = op == "lt" || op == "lte" || op == "eq" || op == "neq"
	if field != "" {
		c.typ, c.field = ValueCount, field
	}
	if by != "" {
		c.groupBy = []string{by}
	}
	return c, nil
}

// aggregationTypeName names an aggregation function as the messages always
// have (after the sigma-go type that held it).
var aggregationTypeName = map[string]string{"min": "sigma.Min", "max": "sigma.Max", "avg": "sigma.Average", "sum": "sigma.Sum"}

// applyGenerate decides which rules print their own hits: a rule referenced
// by correlations prints only if one of them says generate: true (the
// default is false), and only if it was selected itself.
func (rs *Ruleset) applyGenerate() {
	referenced := map[*Rule]bool{}
	wanted := map[*Rule]bool{}
	for _, c := range rs.corrs {
		for _, r := range c.refs {
			referenced[r] = true
			if c.generate {
				wanted[r] = true
			}
		}
	}
	for _, cr := range rs.rules {
		if referenced[cr.rule] && !wanted[cr.rule] {
			cr.rule.Generate = false
		}
	}
	for _, c := range rs.corrs {
		if referenced[c.rule] && !wanted[c.rule] {
			c.rule.Generate = false
		}
	}
}
