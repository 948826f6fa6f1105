package kql

import (
	"context"
	"sort"
	"strings"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// TableUse says what a query can read of one table it names, so that an
// engine can store less of the table (predicate and projection pushdown).
// The query itself is unchanged: run over a table that holds at least the
// rows Filter keeps, with at least the Columns' cells, it gives the same
// result as over the whole table.
type TableUse struct {
	// Table is the name as the query spells it (see Query.Tables).
	Table string
	// Filter, when not nil, is the part of the query's leading where
	// clauses that depends on the row alone (no now(), no let, no
	// subquery): a row it rejects can never reach the result. It reads
	// the columns FilterColumns.
	Filter        Expr
	FilterColumns []string
	// Columns lists the columns the query reads by name; nil means every
	// column (the query shows whole rows, or reads them all).
	Columns []string
}

// Uses returns, for every table the query names (Query.Tables under the
// same Naming), what it reads of it. Only a table that the query names once,
// as the source of its main pipeline (Table | where ... | ...), gets a
// Filter or Columns; any other reference reads every row and column.
func (q *Query) Uses(names Naming) []TableUse {
	if names == nil {
		names = plainNaming{}
	}
	w := &tableWalker{names: names, bound: map[string]bool{}, seen: map[string]bool{}, funcs: map[string]*FuncDef{}, count: map[string]int{}}
	for _, l := range q.Lets {
		w.bound[l.Name] = true
		if f, ok := l.X.(*FuncDef); ok {
			w.funcs[l.Name] = f
		}
	}
	for _, l := range q.Lets {
		w.expr(l.X, true)
	}
	w.expr(q.Body, true)
	refs := map[string]int{}
	for name, n := range w.count {
		refs[names.CanonicalTable(name)] += n
	}
	uses := make([]TableUse, len(w.out))
	for i, name := range w.out {
		uses[i] = TableUse{Table: name}
	}
	if q.ReadsEveryTable() {
		return uses
	}
	// the main pipeline: its source and operators in order
	var ops []TabOp
	e := q.Body
	for {
		p, ok := e.(*Pipe)
		if !ok {
			break
		}
		ops = append(ops, p.Op)
		e = p.Src
	}
	src, ok := e.(*Ident)
	if !ok || w.bound[src.Name] || refs[names.CanonicalTable(src.Name)] != 1 {
		return uses
	}
	for i, j := 0, len(ops)-1; i < j; i, j = i+1, j-1 {
		ops[i], ops[j] = ops[j], ops[i]
	}
	for i := range uses {
		if uses[i].Table != src.Name {
			continue
		}
		var conj []Expr
		for _, op := range ops {
			wo, ok := op.(*WhereOp)
			if !ok {
				break
			}
			conj = append(conj, splitAnd(wo.Pred)...)
		}
		var keep []Expr
		cols := map[string]bool{}
		for _, c := range conj {
			if rowLocal(c, w.bound) {
				keep = append(keep, c)
				identNames(c, cols)
			}
		}
		if len(keep) > 0 {
			f := keep[0]
			for _, c := range keep[1:] {
				f = &Binary{P: f.Position(), Op: "and", L: f, R: c}
			}
			uses[i].Filter = f
			uses[i].FilterColumns = sortedSet(cols)
		}
		uses[i].Columns = readColumns(ops)
	}
	return uses
}

// notRowLocal are builtins whose value does not depend on the row alone.
var notRowLocal = map[string]bool{
	"now": true, "ago": true, "rand": true, "row_number": true, "prev": true, "next": true,
	"toscalar": true, "column_ifexists": true, "pack_all": true, "ingestion_time": true,
	"materialize": true, "view": true, "table": true,
}

// rowLocal reports whether e depends on the row's columns and constants
// only: no let names, no now(), no subquery, no user function.
func rowLocal(e Expr, bound map[string]bool) bool {
	ok := true
	var walk func(e Expr)
	walk = func(e Expr) {
		if !ok || e == nil {
			return
		}
		switch x := e.(type) {
		case *Lit:
		case *Ident:
			if bound[x.Name] || strings.HasPrefix(x.Name, "$") {
				ok = false
			}
		case *Unary:
			walk(x.X)
		case *Binary:
			walk(x.L)
			walk(x.R)
		case *ListOp:
			walk(x.L)
			for _, a := range x.List {
				walk(a)
			}
		case *Between:
			walk(x.L)
			walk(x.Lo)
			walk(x.Hi)
		case *Call:
			if _, isBuiltin := lookupBuiltin(x.Name); !isBuiltin || notRowLocal[x.Name] || bound[x.Name] {
				// dynamic() and typeof() literals are calls too
				if x.Name != "dynamic" && x.Name != "typeof" {
					ok = false
					return
				}
			}
			for _, a := range x.Args {
				walk(a)
			}
		case *NamedArg:
			walk(x.X)
		case *Member:
			walk(x.X)
		case *Index:
			walk(x.X)
			walk(x.I)
		default:
			ok = false
		}
	}
	walk(e)
	return ok
}

// identNames adds every identifier e names.
func identNames(e Expr, out map[string]bool) {
	switch x := e.(type) {
	case *Ident:
		out[x.Name] = true
	case *Unary:
		identNames(x.X, out)
	case *Binary:
		identNames(x.L, out)
		identNames(x.R, out)
	case *ListOp:
		identNames(x.L, out)
		for _, a := range x.List {
			identNames(a, out)
		}
	case *Between:
		identNames(x.L, out)
		identNames(x.Lo, out)
		identNames(x.Hi, out)
	case *Call:
		for _, a := range x.Args {
			identNames(a, out)
		}
	case *NamedArg:
		identNames(x.X, out)
	case *Member:
		identNames(x.X, out)
	case *Index:
		identNames(x.X, out)
		identNames(x.I, out)
	}
}

// readColumns returns the columns a pipeline reads of its source when an
// operator that names its output columns (project, summarize, count, ...)
// comes before anything that passes whole rows on (join, union,
// project-away, ...) or reaches the result; nil otherwise (every column).
func readColumns(ops []TabOp) []string {
	cols := map[string]bool{}
	exprs := func(xs ...Expr) bool {
		for _, x := range xs {
			if x == nil {
				continue
			}
			if !namesOnly(x) {
				return false
			}
			identNames(x, cols)
		}
		return true
	}
	assigns := func(as []Assign) bool {
		for _, a := range as {
			if !exprs(a.X) {
				return false
			}
		}
		return true
	}
	for _, op := range ops {
		switch o := op.(type) {
		case *WhereOp:
			if !exprs(o.Pred) {
				return nil
			}
		case *ProjectOp:
			if !assigns(o.Cols) {
				return nil
			}
			if o.Kind == "project" {
				return sortedSet(cols)
			}
		case *SortOp:
			for _, k := range o.Keys {
				if !exprs(k.X) {
					return nil
				}
			}
		case *TopOp:
			for _, k := range o.Keys {
				if !exprs(k.X) {
					return nil
				}
			}
		case *TakeOp, *SampleOp:
		case *SummarizeOp:
			if !assigns(o.Aggs) || !assigns(o.By) {
				return nil
			}
			return sortedSet(cols)
		case *CountOp:
			return sortedSet(cols)
		case *DistinctOp:
			if o.Star || !exprs(o.Cols...) {
				return nil
			}
			return sortedSet(cols)
		default:
			return nil
		}
	}
	return nil
}

// namesOnly reports whether every column e reads is named in it: no *,
// no pack_all(), no column_ifexists(), no subquery.
func namesOnly(e Expr) bool {
	ok := true
	var walk func(e Expr)
	walk = func(e Expr) {
		if !ok || e == nil {
			return
		}
		switch x := e.(type) {
		case *Star, *Pipe, *Source, *FuncDef:
			ok = false
		case *Ident:
			if strings.Contains(x.Name, "*") {
				ok = false
			}
		case *Call:
			switch x.Name {
			case "pack_all", "column_ifexists", "bag_pack_columns", "toscalar", "materialize", "view", "table":
				ok = false
				return
			}
			for _, a := range x.Args {
				walk(a)
			}
		case *Unary:
			walk(x.X)
		case *Binary:
			walk(x.L)
			walk(x.R)
		case *ListOp:
			walk(x.L)
			for _, a := range x.List {
				walk(a)
			}
		case *Between:
			walk(x.L)
			walk(x.Lo)
			walk(x.Hi)
		case *NamedArg:
			walk(x.X)
		case *Member:
			walk(x.X)
		case *Index:
			walk(x.X)
			walk(x.I)
		}
	}
	walk(e)
	return ok
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// CompileFilter compiles a TableUse's Filter over rows with the given
// columns into a predicate. The predicate is for one goroutine: compile
// one per worker. It reports true for a row whose evaluation fails, so
// that such a row is kept and the query decides. It returns nil when the
// filter cannot be compiled over these columns (a column it names is not
// among them).
func CompileFilter(filter Expr, cols []value.Column) func(row []any) bool {
	if filter == nil {
		return nil
	}
	have := colIndex(cols)
	names := map[string]bool{}
	identNames(filter, names)
	for n := range names {
		if _, ok := have[n]; !ok {
			return nil
		}
	}
	r := newRun(context.Background(), NewMapCatalog(), Options{})
	var fn rowFn
	if err := catchBailout(func() {
		c := r.compiler(&value.Table{Columns: cols}, &scope{names: map[string]*binding{}}, false)
		fn = c.compile(filter).fn
	}); err != nil {
		return nil
	}
	return func(row []any) (keep bool) {
		defer func() {
			if rec := recover(); rec != nil {
				keep = true
			}
		}()
		b, ok := fn(row).(bool)
		return !ok || b
	}
}

func catchBailout(f func()) (err error) {
	defer func() {
		if rec := recover(); rec != nil {
			if b, ok := rec.(bailout); ok {
				err = b.err
				return
			}
			panic(rec)
		}
	}()
	f()
	return nil
}
