package kql

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// Tables returns the names of the catalog tables the query may read, as
// spelled in the query, in order of first appearance: plain table
// references, function-style ones such as T(starttime=ago(1d)), and calls
// of the table functions of names (Naming.TableFunction) wherever they
// appear. Names bound by let are not included. An engine materializes only
// these. A nil names knows no table functions.
func (q *Query) Tables(names Naming) []string {
	if names == nil {
		names = plainNaming{}
	}
	w := &tableWalker{names: names, bound: map[string]bool{}, seen: map[string]bool{}, funcs: map[string]*FuncDef{}}
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
	return w.out
}

type tableWalker struct {
	names Naming
	bound map[string]bool
	funcs map[string]*FuncDef
	seen  map[string]bool
	out   []string
	depth int
	// count, when not nil, counts the references to each table name
	count map[string]int
}

func (w *tableWalker) add(name string) {
	if w.bound[name] || name == "$mvapply" || strings.Contains(name, "*") {
		return
	}
	if w.count != nil {
		w.count[name]++
	}
	if w.seen[name] {
		return
	}
	w.seen[name] = true
	w.out = append(w.out, name)
}

func (w *tableWalker) expr(e Expr, tab bool) {
	if e == nil || w.depth > 2*maxDepth {
		return
	}
	w.depth++
	defer func() { w.depth-- }()
	switch x := e.(type) {
	case *Ident:
		if tab {
			w.add(x.Name)
		}
	case *Call:
		_, isBuiltin := lookupBuiltin(x.Name)
		_, isAgg := aggregates[x.Name]
		switch {
		case x.Name == "materialize" || x.Name == "toscalar" || x.Name == "view":
			w.exprs(x.Args, true)
			return
		case !isBuiltin && !isAgg && !w.bound[x.Name] && (tab || w.names.TableFunction(x.Name)):
			w.add(x.Name)
		}
		f := w.funcs[x.Name]
		for i, a := range x.Args {
			// a let function's tabular parameter takes a table
			w.expr(a, f != nil && i < len(f.Params) && f.Params[i].Tabular)
		}
	case *NamedArg:
		w.expr(x.X, false)
	case *Unary:
		w.expr(x.X, false)
	case *Binary:
		w.expr(x.L, false)
		w.expr(x.R, false)
	case *ListOp:
		w.expr(x.L, false)
		for _, a := range x.List {
			_, isPipe := a.(*Pipe)
			w.expr(a, isPipe)
		}
	case *Between:
		w.expr(x.L, false)
		w.expr(x.Lo, false)
		w.expr(x.Hi, false)
	case *Member:
		w.expr(x.X, false)
	case *Index:
		w.expr(x.X, false)
		w.expr(x.I, false)
	case *Pipe:
		w.expr(x.Src, true)
		w.op(x.Op)
	case *Source:
		w.op(x.Op)
	case *FuncDef:
		saved := map[string]bool{}
		for _, p := range x.Params {
			saved[p.Name] = w.bound[p.Name]
			w.bound[p.Name] = true
		}
		for _, l := range x.Body.Lets {
			saved[l.Name] = w.bound[l.Name]
			w.bound[l.Name] = true
		}
		for _, l := range x.Body.Lets {
			w.expr(l.X, true)
		}
		w.expr(x.Body.X, true)
		for k, v := range saved {
			w.bound[k] = v
		}
	}
}

func (w *tableWalker) op(op TabOp) {
	switch o := op.(type) {
	case *WhereOp:
		w.expr(o.Pred, false)
	case *ProjectOp:
		w.assigns(o.Cols)
	case *SummarizeOp:
		w.assigns(o.Aggs)
		w.assigns(o.By)
	case *UnionOp:
		w.exprs(o.Tables, true)
	case *JoinOp:
		w.expr(o.Right, true)
	case *MvExpandOp:
		w.assigns(o.Items)
	case *MvApplyOp:
		w.expr(o.Sub, true)
	case *ParseOp:
		w.expr(o.X, false)
	case *InvokeOp:
		w.exprs(o.Call.Args, false)
	case *FindOp:
		w.exprs(o.Tables, true)
		w.expr(o.Pred, false)
	case *MakeSeriesOp:
		for _, a := range o.Aggs {
			w.expr(a.X, false)
			w.expr(a.Default, false)
		}
		w.expr(o.Axis, false)
		w.expr(o.From, false)
		w.expr(o.To, false)
		w.expr(o.Step, false)
		w.assigns(o.By)
	case *TopNestedOp:
		for _, lv := range o.Levels {
			w.expr(lv.N, false)
			w.expr(lv.Of.X, false)
			w.expr(lv.Others, false)
			w.expr(lv.By.X, false)
		}
	case *PrintOp:
		w.assigns(o.Cols)
	case *TopOp:
		w.sortKeys(o.Keys)
	case *SortOp:
		w.sortKeys(o.Keys)
	case *DistinctOp:
		w.exprs(o.Cols, false)
	}
}

func (w *tableWalker) exprs(xs []Expr, tab bool) {
	for _, x := range xs {
		w.expr(x, tab)
	}
}

func (w *tableWalker) assigns(as []Assign) {
	for _, a := range as {
		w.expr(a.X, false)
	}
}

func (w *tableWalker) sortKeys(ks []SortKey) {
	for _, k := range ks {
		w.expr(k.X, false)
	}
}

// schemaOnly serves empty tables with the catalog's columns, so a dry run
// compiles every expression without reading rows.
type schemaOnly struct{ cat Catalog }

func (s schemaOnly) Table(name string, _ []Arg) (*value.Table, bool) {
	cols, ok := s.cat.Columns(name)
	if !ok {
		return nil, false
	}
	return &value.Table{Name: name, Columns: cols}, true
}

func (s schemaOnly) Columns(name string) ([]value.Column, bool) { return s.cat.Columns(name) }

func (s schemaOnly) TableNote(name string) string {
	if n, ok := s.cat.(TableNoter); ok {
		return n.TableNote(name)
	}
	return ""
}

func (s schemaOnly) Values(table, column string) ([]string, bool) {
	if l, ok := s.cat.(ValueLister); ok {
		return l.Values(table, column)
	}
	return nil, false
}

// Check reports semantic problems of q against cat's schema without reading
// rows: unknown tables and columns, comparisons that can never be true
// under the catalog's closed value sets (see ValueLister), isnull() on a
// string, and features that cannot run offline. A failure that stops the
// analysis is reported as the last warning.
func Check(q *Query, cat Catalog) []Warning {
	r := newRun(context.Background(), schemaOnly{cat}, Options{Now: time.Unix(0, 0)})
	r.naming = namingOf(cat) // schemaOnly hides it
	r.dry = true
	_, err := r.query(q)
	if err != nil {
		w := Warning{Line: 1, Col: 1, Msg: "cannot check further: " + err.Error()}
		var e *Error
		if errors.As(err, &e) {
			w = Warning{Line: e.Line, Col: e.Col, Msg: "cannot check further: " + e.Msg}
			if e.Err != nil {
				w.Msg += ": " + e.Err.Error()
			}
		}
		r.warns = append(r.warns, w)
	}
	return r.warns
}
