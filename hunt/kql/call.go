package kql

import (
	"fmt"
	"strconv"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// builtin is a scalar function: arity bounds, result type and
// implementation over evaluated arguments. A nil fn marks a function the
// call compiler builds itself (see call).
type builtin struct {
	min, max int // max < 0: variadic
	typ      value.Type
	fn       func(a []any) any
}

// builtinFamilies are the tables of scalar functions, one per family file
// (funcs_*.go). A name is in at most one of them (TestBuiltinNamesUnique).
var builtinFamilies = [...]map[string]builtin{
	conversionFuncs,
	stringFuncs,
	conditionalFuncs,
	mathFuncs,
	datetimeFuncs,
	dynamicFuncs,
	parseFuncs,
	ipFuncs,
	hashFuncs,
	seriesFuncs,
}

// lookupBuiltin returns the scalar function called name.
func lookupBuiltin(name string) (builtin, bool) {
	for _, f := range builtinFamilies {
		if b, ok := f[name]; ok {
			return b, true
		}
	}
	return builtin{}, false
}

// call compiles a function call: builtins, user functions, ago/now and
// the functions that need their arguments unevaluated or precompiled.
func (c *compiler) call(x *Call) *cexpr {
	if b := c.env.lookup(x.Name); b != nil && b.fn != nil {
		return c.userCall(b, x)
	}
	args := x.Args
	switch x.Name {
	case "now":
		return c.callNow(x)
	case "ago":
		return c.callAgo(x)
	case "toscalar":
		if len(args) != 1 {
			fail(x.P, "toscalar() takes one argument")
		}
		if c.r.isTabular(args[0], c.env) {
			t := c.r.table(args[0], c.env)
			return konst(firstCell(t), firstType(t))
		}
		return c.compile(args[0])
	case "column_ifexists":
		if len(args) != 2 {
			fail(x.P, "column_ifexists() takes two arguments")
		}
		name, ok := c.constant(args[0]).(string)
		if !ok {
			fail(x.P, "column_ifexists() needs a constant column name")
		}
		if _, ok := c.idx[name]; ok {
			return c.ident(&Ident{P: x.P, Name: name})
		}
		return c.compile(args[1])
	case "isnull":
		if len(args) == 1 {
			if a := c.compile(args[0]); a.typ == value.String && !a.konst {
				c.r.warn(x.P, "isnull() on string %s is always false: KQL strings are never null, use isempty()", exprName(args[0]))
			}
		}
	case "replace", "replace_regex", "extract", "extract_all":
		return c.regexCall(x)
	case "array_sort_asc", "array_sort_desc":
		return c.arraySort(x)
	case "row_number":
		n := int64(0)
		if len(args) > 0 {
			if v, ok := toLong(c.constant(args[0])); ok {
				n = v.(int64) - 1
			}
		}
		return dyn(func([]any) any { n++; return n }, value.Long)
	case "rand":
		return c.callRand()
	case "prev", "next":
		return c.neighbor(x)
	case "pack_all":
		return c.packAll()
	case "ingestion_time":
		return c.ingestionTime()
	}
	bi, ok := lookupBuiltin(x.Name)
	if !ok {
		if _, isAgg := aggregates[x.Name]; isAgg {
			fail(x.P, "aggregate %s() used outside summarize", x.Name)
		}
		if c.r.isTabular(x, c.env) {
			t := c.r.table(x, c.env)
			return konst(firstCell(t), firstType(t))
		}
		failWrap(x.P, ErrUnsupported, "unknown function %s()", x.Name)
	}
	if len(args) < bi.min || (bi.max >= 0 && len(args) > bi.max) {
		fail(x.P, "%s() takes %s arguments, got %d", x.Name, arity(bi), len(args))
	}
	ces := make([]*cexpr, len(args))
	for i, a := range args {
		if _, ok := a.(*Star); ok {
			fail(a.Position(), "* is not valid here")
		}
		ces[i] = c.compile(a)
	}
	typ := bi.typ
	switch x.Name {
	case "iff", "iif":
		typ = ces[1].typ
		if typ == value.Dynamic {
			typ = ces[2].typ
		}
	case "case", "coalesce", "max_of", "min_of", "abs":
		typ = ces[len(ces)-1].typ
	case "bin", "floor", "bin_at":
		typ = ces[0].typ
	}
	fn := bi.fn
	buf := make([]any, len(ces))
	var out *cexpr
	switch len(ces) {
	case 1:
		a0 := ces[0].fn
		out = dyn(func(row []any) any {
			buf[0] = a0(row)
			return fn(buf)
		}, typ)
	default:
		out = dyn(func(row []any) any {
			for i, ce := range ces {
				buf[i] = ce.fn(row)
			}
			return fn(buf)
		}, typ)
	}
	if x.Name == "new_guid" {
		return out
	}
	return fold(out, ces...)
}

func arity(b builtin) string {
	switch {
	case b.max < 0:
		return fmt.Sprintf("at least %d", b.min)
	case b.min == b.max:
		return strconv.Itoa(b.min)
	}
	return fmt.Sprintf("%d to %d", b.min, b.max)
}

// userCall compiles a call of a let function in a row context.
func (c *compiler) userCall(b *binding, x *Call) *cexpr {
	if c.r.isTabular(b.fn.Body.X, b.env) {
		t := c.r.callTabular(b, x, c.env, nil)
		return konst(firstCell(t), firstType(t))
	}
	fenv := c.r.bindArgs(b, x, c.env, nil, c)
	for _, l := range b.fn.Body.Lets {
		fenv = fenv.child()
		nb := &binding{name: l.Name, expr: l.X, env: fenv.parent}
		if f, ok := l.X.(*FuncDef); ok {
			nb.fn = f
		}
		fenv.names[l.Name] = nb
	}
	sub := *c
	sub.env = fenv
	return sub.compile(b.fn.Body.X)
}

// exprName derives a column name from an expression: a column keeps its
// name, a.b becomes a_b, a conversion or bin() takes its argument's name.
func exprName(e Expr) string {
	switch x := e.(type) {
	case *Ident:
		return x.Name
	case *Member:
		if id, ok := x.X.(*Ident); ok && (id.Name == "$left" || id.Name == "$right") {
			return x.Name
		}
		if n := exprName(x.X); n != "" {
			return n + "_" + x.Name
		}
	case *Index:
		if n := exprName(x.X); n != "" {
			if l, ok := x.I.(*Lit); ok {
				return n + "_" + toStr(l.Val)
			}
		}
	case *Call:
		switch x.Name {
		case "tostring", "toint", "tolong", "todouble", "toreal", "todatetime", "tobool",
			"totimespan", "todynamic", "tolower", "toupper", "bin", "floor", "bin_at",
			"parse_json", "todecimal", "toguid", "trim":
			if x.Name == "trim" && len(x.Args) == 2 {
				return exprName(x.Args[1])
			}
			if len(x.Args) > 0 {
				return exprName(x.Args[0])
			}
		}
	}
	return ""
}
