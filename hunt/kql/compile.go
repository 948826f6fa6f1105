package kql

import (
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// rowFn evaluates a scalar expression for one row.
type rowFn func(row []any) any

// cexpr is a compiled scalar expression.
type cexpr struct {
	fn    rowFn
	typ   value.Type
	konst bool
	val   any
	// col is the input column index when the expression is a bare column.
	col int
}

func konst(v any, t value.Type) *cexpr {
	return &cexpr{fn: func([]any) any { return v }, typ: t, konst: true, val: v, col: -1}
}

func dyn(fn rowFn, t value.Type) *cexpr { return &cexpr{fn: fn, typ: t, col: -1} }

// compiler compiles scalar expressions against an input schema.
type compiler struct {
	r      *run
	env    *scope
	cols   []value.Column
	idx    map[string]int
	opaque bool
	// aggs, when not nil, collects aggregate calls (summarize).
	aggOK bool
	// nb gives prev()/next() access to neighbouring rows (extend, project).
	nb *neighborCtx
	// otherCols, when set, holds the columns of the other tables of a find:
	// such a column is null in a table that lacks it, without a warning.
	otherCols map[string]bool
}

// neighborCtx is the row cursor of a serialized operator: get(j) returns
// row j in the layout the expressions were compiled against.
type neighborCtx struct {
	get func(j int) []any
	i   int
	n   int
}

// neighbor compiles prev(x[, offset[, default]]) and next(...).
func (c *compiler) neighbor(x *Call) *cexpr {
	if c.nb == nil {
		fail(x.P, "%s() is only supported in extend and project", x.Name)
	}
	if len(x.Args) < 1 || len(x.Args) > 3 {
		fail(x.P, "%s() takes 1 to 3 arguments", x.Name)
	}
	a := c.compile(x.Args[0])
	k := int64(1)
	if len(x.Args) > 1 {
		v, ok := toLong(c.constant(x.Args[1]))
		if !ok {
			fail(x.P, "%s() needs a constant offset", x.Name)
		}
		k = v.(int64)
	}
	var def any
	if len(x.Args) > 2 {
		def = c.constant(x.Args[2])
	}
	if x.Name == "prev" {
		k = -k
	}
	nb := c.nb
	return dyn(func([]any) any {
		j := int64(nb.i) + k
		if j < 0 || j >= int64(nb.n) {
			return def
		}
		r := nb.get(int(j))
		if r == nil {
			return def
		}
		return a.fn(r)
	}, a.typ)
}

func (r *run) compiler(t *value.Table, env *scope, aggOK bool) *compiler {
	c := &compiler{r: r, env: env, aggOK: aggOK}
	if t != nil {
		c.cols = t.Columns
		c.idx = colIndex(t.Columns)
		c.opaque = r.opaque[t]
	}
	return c
}

// constant evaluates an expression that must not depend on a row.
func (c *compiler) constant(e Expr) any {
	ce := c.compile(e)
	if !ce.konst {
		return ce.fn(nil)
	}
	return ce.val
}

// fold turns an expression whose inputs are all constant into a constant.
func fold(ce *cexpr, args ...*cexpr) *cexpr {
	for _, a := range args {
		if !a.konst {
			return ce
		}
	}
	v := ce.fn(nil)
	return konst(v, ce.typ)
}

func (c *compiler) compile(e Expr) *cexpr {
	switch x := e.(type) {
	case *Lit:
		return konst(x.Val, x.T)
	case *Ident:
		return c.ident(x)
	case *Unary:
		a := c.compile(x.X)
		if x.Op == "+" {
			return a
		}
		return fold(dyn(func(row []any) any { return negate(a.fn(row)) }, a.typ), a)
	case *Binary:
		return c.binary(x)
	case *ListOp:
		return c.listOp(x)
	case *Between:
		return c.between(x)
	case *Call:
		return c.call(x)
	case *Member:
		if id, ok := x.X.(*Ident); ok && (id.Name == "$left" || id.Name == "$right") {
			return c.ident(&Ident{P: x.P, Name: x.Name})
		}
		// a dotted column name that exists as such
		a := c.compile(x.X)
		name := x.Name
		return fold(dyn(func(row []any) any { return member(a.fn(row), name) }, value.Dynamic), a)
	case *Index:
		a := c.compile(x.X)
		i := c.compile(x.I)
		return fold(dyn(func(row []any) any { return index(a.fn(row), i.fn(row)) }, value.Dynamic), a, i)
	case *NamedArg:
		return c.compile(x.X)
	case *Pipe, *Source:
		// a tabular expression in scalar position: its single value
		t := c.r.table(x, c.env)
		return konst(firstCell(t), firstType(t))
	case *Star:
		fail(x.P, "* is not a scalar expression")
	case *FuncDef:
		fail(x.P, "function definition used as a value")
	}
	fail(e.Position(), "unsupported expression")
	return nil
}

func firstCell(t *value.Table) any {
	if len(t.Rows) == 0 || len(t.Rows[0]) == 0 {
		return nil
	}
	return t.Rows[0][0]
}

func firstType(t *value.Table) value.Type {
	if len(t.Columns) == 0 {
		return value.Dynamic
	}
	return t.Columns[0].Type
}

func (c *compiler) ident(x *Ident) *cexpr {
	if i, ok := c.idx[x.Name]; ok {
		typ := c.cols[i].Type
		return &cexpr{fn: func(row []any) any { return row[i] }, typ: typ, col: i}
	}
	if b := c.env.lookup(x.Name); b != nil {
		if b.fn != nil {
			if len(b.fn.Params) == 0 || allDefaults(b.fn.Params) {
				return c.call(&Call{P: x.P, Name: x.Name})
			}
			fail(x.P, "function %s used without arguments", x.Name)
		}
		c.r.letValue(b, x.P)
		switch {
		case b.row != nil:
			return b.row
		case b.isTab:
			// a one-column table used as a scalar (toscalar semantics)
			return konst(firstCell(b.tab), firstType(b.tab))
		}
		return b.val
	}
	switch x.Name {
	case "$left", "$right":
		fail(x.P, "%s outside join", x.Name)
	}
	if c.otherCols[x.Name] {
		return konst(nil, value.Dynamic)
	}
	if c.r.opts.Strict && !c.opaque {
		fail(x.P, "unknown column %s", x.Name)
	}
	if !c.opaque {
		c.r.warn(x.P, "unknown column or name %s", x.Name)
	}
	return konst(nil, value.Dynamic)
}

func negate(v any) any {
	switch x := v.(type) {
	case int64:
		return -x
	case float64:
		return -x
	case time.Duration:
		return -x
	}
	return nil
}

func member(v any, name string) any {
	switch x := v.(type) {
	case map[string]any:
		return x[name]
	case string:
		if d := parseJSON(x); d != nil {
			if m, ok := d.(map[string]any); ok {
				return m[name]
			}
		}
	}
	return nil
}

func index(v, i any) any {
	if s, ok := v.(string); ok {
		v = parseJSON(s)
	}
	switch x := v.(type) {
	case []any:
		n, ok := i.(int64)
		if !ok {
			if f, isF := i.(float64); isF {
				n, ok = int64(f), true
			}
		}
		if !ok {
			return nil
		}
		if n < 0 {
			n += int64(len(x))
		}
		if n < 0 || n >= int64(len(x)) {
			return nil
		}
		return x[n]
	case map[string]any:
		if k, ok := i.(string); ok {
			return x[k]
		}
	}
	return nil
}

func truthy(v any) bool {
	b, ok := v.(bool)
	return ok && b
}

func (c *compiler) binary(x *Binary) *cexpr {
	l := c.compile(x.L)
	r := c.compile(x.R)
	switch x.Op {
	case "and":
		return fold(dyn(func(row []any) any {
			a := l.fn(row)
			if b, ok := a.(bool); ok && !b {
				return false
			}
			bv := r.fn(row)
			if b, ok := bv.(bool); ok && !b {
				return false
			}
			if a == nil || bv == nil {
				return nil
			}
			return truthy(a) && truthy(bv)
		}, value.Bool), l, r)
	case "or":
		return fold(dyn(func(row []any) any {
			a := l.fn(row)
			if truthy(a) {
				return true
			}
			bv := r.fn(row)
			if truthy(bv) {
				return true
			}
			if a == nil || bv == nil {
				return nil
			}
			return false
		}, value.Bool), l, r)
	case "+", "-", "*", "/", "%":
		op := x.Op
		t := arithType(op, l.typ, r.typ)
		return fold(dyn(func(row []any) any { return arith(op, l.fn(row), r.fn(row)) }, t), l, r)
	case "==", "!=", "<", "<=", ">", ">=":
		c.checkNeverTrue(x.P, x.L, x.Op, []*cexpr{r})
		return fold(c.comparison(x.Op, l, r), l, r)
	case "=~", "!~":
		c.checkNeverTrue(x.P, x.L, x.Op, []*cexpr{r})
		neg := x.Op == "!~"
		if r.konst {
			return matchConst(l, newStrMatcher("==", toStr(r.val)), neg)
		}
		return fold(dyn(func(row []any) any {
			return strings.EqualFold(toStr(l.fn(row)), toStr(r.fn(row))) != neg
		}, value.Bool), l, r)
	case "matches regex", "!matches regex":
		neg := x.Op == "!matches regex"
		if r.konst {
			re, err := regexp.Compile(toStr(r.val))
			if err != nil {
				failWrap(x.R.Position(), err, "bad regular expression")
			}
			return fold(dyn(func(row []any) any { return re.MatchString(toStr(l.fn(row))) != neg }, value.Bool), l)
		}
		return fold(dyn(func(row []any) any {
			re, err := regexp.Compile(toStr(r.fn(row)))
			if err != nil {
				return nil
			}
			return re.MatchString(toStr(l.fn(row))) != neg
		}, value.Bool), l, r)
	}
	if op, neg := splitNeg(x.Op); stringOps[x.Op] {
		if op == "like" {
			op = "contains"
		}
		if r.konst {
			return matchConst(l, newStrMatcher(op, toStr(r.val)), neg)
		}
		return fold(dyn(func(row []any) any {
			return stringOp(op, toStr(l.fn(row)), toStr(r.fn(row))) != neg
		}, value.Bool), l, r)
	}
	fail(x.P, "unknown operator %s", x.Op)
	return nil
}

// matchConst compiles l matched by m, a string operator with a constant
// needle, negated when neg. A bare column is read from the row directly.
func matchConst(l *cexpr, m *strMatcher, neg bool) *cexpr {
	if l.col >= 0 {
		i := l.col
		return dyn(func(row []any) any {
			s, ok := row[i].(string)
			if !ok {
				s = toStr(row[i])
			}
			return m.match(s) != neg
		}, value.Bool)
	}
	return fold(dyn(func(row []any) any {
		v := l.fn(row)
		s, ok := v.(string)
		if !ok {
			s = toStr(v)
		}
		return m.match(s) != neg
	}, value.Bool), l)
}

func (c *compiler) comparison(op string, l, r *cexpr) *cexpr {
	// fast path: string column == constant string
	if rs, ok := r.val.(string); ok && r.konst && (op == "==" || op == "!=") {
		neg := op == "!="
		return dyn(func(row []any) any {
			v := l.fn(row)
			if s, ok := v.(string); ok {
				return (s == rs) != neg
			}
			if v == nil {
				// null == value is false, null != value is true
				return neg
			}
			return equalCells(v, rs).(bool) != neg
		}, value.Bool)
	}
	return dyn(func(row []any) any {
		a, b := l.fn(row), r.fn(row)
		if a == nil || b == nil {
			// Kusto "Null values": a null operand makes every binary
			// operator null, except == and != with exactly one null
			// operand, which give false and true.
			if (op == "==" || op == "!=") && (a != nil || b != nil) {
				return op == "!="
			}
			return nil
		}
		cmp, ok := compareCells(a, b)
		if !ok {
			return op == "!="
		}
		switch op {
		case "==":
			return cmp == 0
		case "!=":
			return cmp != 0
		case "<":
			return cmp < 0
		case "<=":
			return cmp <= 0
		case ">":
			return cmp > 0
		}
		return cmp >= 0
	}, value.Bool)
}

func arithType(op string, a, b value.Type) value.Type {
	switch {
	case a == value.DateTime && b == value.DateTime && op == "-":
		return value.TimeSpan
	case a == value.DateTime || b == value.DateTime:
		return value.DateTime
	case a == value.TimeSpan && b == value.TimeSpan && op == "/":
		return value.Real
	case a == value.TimeSpan || b == value.TimeSpan:
		return value.TimeSpan
	case a == value.Real || b == value.Real:
		return value.Real
	case (a == value.Long || a == value.Int) && (b == value.Long || b == value.Int):
		return value.Long
	}
	return value.Dynamic
}

// arith implements + - * / % over numbers, datetimes and timespans.
func arith(op string, a, b any) any {
	if a == nil || b == nil {
		return nil
	}
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			switch op {
			case "+":
				return x + y
			case "-":
				return x - y
			case "*":
				return x * y
			case "/":
				if y == 0 {
					return nil
				}
				return x / y
			case "%":
				if y == 0 {
					return nil
				}
				return x % y
			}
		case float64:
			return arithReal(op, float64(x), y)
		case time.Duration:
			if op == "*" {
				return time.Duration(x) * y
			}
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return arithReal(op, x, float64(y))
		case float64:
			return arithReal(op, x, y)
		case time.Duration:
			if op == "*" {
				return time.Duration(x * float64(y))
			}
		}
	case time.Time:
		switch y := b.(type) {
		case time.Duration:
			switch op {
			case "+":
				return x.Add(y)
			case "-":
				return x.Add(-y)
			}
		case time.Time:
			if op == "-" {
				return x.Sub(y)
			}
		}
	case time.Duration:
		switch y := b.(type) {
		case time.Duration:
			switch op {
			case "+":
				return x + y
			case "-":
				return x - y
			case "/":
				if y == 0 {
					return nil
				}
				return float64(x) / float64(y)
			case "%":
				if y == 0 {
					return nil
				}
				return x % y
			}
		case time.Time:
			if op == "+" {
				return y.Add(x)
			}
		case int64:
			switch op {
			case "*":
				return x * time.Duration(y)
			case "/":
				if y == 0 {
					return nil
				}
				return x / time.Duration(y)
			}
		case float64:
			switch op {
			case "*":
				return time.Duration(float64(x) * y)
			case "/":
				if y == 0 {
					return nil
				}
				return time.Duration(float64(x) / y)
			}
		}
	case string:
		// numeric strings from dynamic values
		if f, ok := toReal(x); ok {
			return arith(op, f, b)
		}
	}
	if s, ok := b.(string); ok {
		if f, ok := toReal(s); ok {
			return arith(op, a, f)
		}
	}
	return nil
}

func arithReal(op string, x, y float64) any {
	switch op {
	case "+":
		return x + y
	case "-":
		return x - y
	case "*":
		return x * y
	case "/":
		if y == 0 {
			if x == 0 {
				return math.NaN()
			}
			return math.Inf(int(math.Copysign(1, x)))
		}
		return x / y
	case "%":
		return math.Mod(x, y)
	}
	return nil
}

// listValues expands the right side of in/has_any into cells: constants,
// dynamic arrays (flattened) and one-column tables.
func (c *compiler) listValues(list []Expr) ([]*cexpr, bool) {
	var out []*cexpr
	allConst := true
	for _, e := range list {
		if c.r.isTabular(e, c.env) {
			t := c.r.table(e, c.env)
			for _, row := range t.Rows {
				if len(row) > 0 {
					out = append(out, konst(row[0], value.Dynamic))
				}
			}
			continue
		}
		ce := c.compile(e)
		if ce.konst {
			if arr, ok := ce.val.([]any); ok {
				for _, v := range arr {
					out = append(out, konst(v, typeOf(v)))
				}
				continue
			}
		} else {
			allConst = false
		}
		out = append(out, ce)
	}
	return out, allConst
}

func (c *compiler) listOp(x *ListOp) *cexpr {
	l := c.compile(x.L)
	items, allConst := c.listValues(x.List)
	if x.Op == "in" || x.Op == "in~" {
		c.checkNeverTrue(x.P, x.L, x.Op, items)
	}
	evalItems := func(row []any) []any {
		vals := make([]any, 0, len(items))
		for _, it := range items {
			v := it.fn(row)
			if arr, ok := v.([]any); ok {
				vals = append(vals, arr...)
			} else {
				vals = append(vals, v)
			}
		}
		return vals
	}
	switch x.Op {
	case "in", "!in", "in~", "!in~":
		neg := strings.HasPrefix(x.Op, "!")
		fold := strings.HasSuffix(x.Op, "~")
		if allConst {
			set := map[string]bool{}
			var others []any
			hasNull := false
			for _, it := range items {
				v := it.val
				if s, ok := v.(string); ok {
					if fold {
						s = strings.ToLower(s)
					}
					set[s] = true
				} else if v != nil {
					others = append(others, v)
				} else {
					hasNull = true
				}
			}
			return foldC(dyn(func(row []any) any {
				v := l.fn(row)
				if v == nil {
					return nullIn(neg, hasNull)
				}
				s, isStr := v.(string)
				if !isStr {
					for _, o := range others {
						if e, _ := equalCells(v, o).(bool); e {
							return !neg
						}
					}
					s = toStr(v)
				}
				if fold {
					if set[s] {
						return !neg
					}
					s = strings.ToLower(s)
				}
				return set[s] != neg
			}, value.Bool), l)
		}
		return dyn(func(row []any) any {
			v := l.fn(row)
			vals := evalItems(row)
			if v == nil {
				hasNull := false
				for _, o := range vals {
					hasNull = hasNull || o == nil
				}
				return nullIn(neg, hasNull)
			}
			for _, o := range vals {
				if fold {
					if strings.EqualFold(toStr(v), toStr(o)) {
						return !neg
					}
				} else if e, _ := equalCells(v, o).(bool); e {
					return !neg
				}
			}
			return neg
		}, value.Bool)
	case "has_any", "has_all", "has_any~", "has_all~":
		all := strings.HasPrefix(x.Op, "has_all")
		if allConst {
			var ms []*strMatcher
			for _, it := range items {
				ms = append(ms, newStrMatcher("has", toStr(it.val)))
			}
			return foldC(dyn(func(row []any) any {
				s := toStr(l.fn(row))
				for _, m := range ms {
					if m.match(s) {
						if !all {
							return true
						}
					} else if all {
						return false
					}
				}
				return all && len(ms) > 0
			}, value.Bool), l)
		}
		return dyn(func(row []any) any {
			s := toStr(l.fn(row))
			vals := evalItems(row)
			for _, v := range vals {
				if stringOp("has", s, toStr(v)) {
					if !all {
						return true
					}
				} else if all {
					return false
				}
			}
			return all && len(vals) > 0
		}, value.Bool)
	}
	fail(x.P, "unknown operator %s", x.Op)
	return nil
}

func foldC(ce *cexpr, args ...*cexpr) *cexpr { return fold(ce, args...) }

// nullIn is null in (list) and null !in (list). Kusto "Null values": in is
// the or of == over the list and !in the and of !=; null == value is
// false, null != value is true, and null == null is null. So a null left
// side gives false for in and true for !in, or null when the list holds a
// null.
func nullIn(neg, listHasNull bool) any {
	if listHasNull {
		return nil
	}
	return neg
}

func (c *compiler) between(x *Between) *cexpr {
	l, lo, hi := c.compile(x.L), c.compile(x.Lo), c.compile(x.Hi)
	neg := x.Not
	return fold(dyn(func(row []any) any {
		v := l.fn(row)
		a, b := lo.fn(row), hi.fn(row)
		if v == nil || a == nil || b == nil {
			return nil
		}
		// a timespan upper bound on a datetime: lo .. lo+span
		if d, ok := b.(time.Duration); ok {
			if t, ok := a.(time.Time); ok {
				b = t.Add(d)
			}
		}
		c1, ok1 := compareCells(v, a)
		c2, ok2 := compareCells(v, b)
		if !ok1 || !ok2 {
			return nil
		}
		return (c1 >= 0 && c2 <= 0) != neg
	}, value.Bool), l, lo, hi)
}

// checkNeverTrue reports an equality comparison of a column with a closed
// value set against constants outside that set.
func (c *compiler) checkNeverTrue(p Pos, lhs Expr, op string, rhs []*cexpr) {
	id, ok := lhs.(*Ident)
	if !ok {
		return
	}
	i, ok := c.idx[id.Name]
	if !ok || c.cols[i].Type != value.String {
		return
	}
	vals, ok := c.r.valueSets[id.Name]
	if !ok || len(vals) == 0 {
		return
	}
	fold := op == "=~" || op == "in~"
	if op != "==" && op != "=~" && op != "in" && op != "in~" {
		return
	}
	var lits []string
	for _, r := range rhs {
		if !r.konst {
			return
		}
		s, ok := r.val.(string)
		if !ok {
			return
		}
		for _, v := range vals {
			if v == s || (fold && strings.EqualFold(v, s)) {
				return
			}
		}
		lits = append(lits, `"`+s+`"`)
	}
	if len(lits) == 0 {
		return
	}
	c.r.warn(p, "%s %s %s can never be true: %s is one of %s", id.Name, op, strings.Join(lits, ", "), id.Name, strings.Join(vals, ", "))
}
