package kql

import "github.com/loghunt/loghunt/hunt/kql/value"

// TableLister is an optional Catalog extension: TableNames lists every
// table the catalog serves, which is the scope of a find without an
// in-clause. Without it such a find is an error.
type TableLister interface {
	TableNames() []string
}

// TableNames implements TableLister: the tables in the order given to
// NewMapCatalog.
func (m *MapCatalog) TableNames() []string {
	names := make([]string, len(m.list))
	for i, t := range m.list {
		names[i] = t.Name
	}
	return names
}

// ReadsEveryTable reports whether the query holds a find without an
// in-clause, which reads every table of the catalog (see TableLister):
// Tables cannot name them, so an engine must materialize them all.
func (q *Query) ReadsEveryTable() bool {
	found := false
	var walk func(e Expr)
	walk = func(e Expr) {
		switch x := e.(type) {
		case *Pipe:
			walk(x.Src)
			walkOp(x.Op, walk)
		case *Source:
			if f, ok := x.Op.(*FindOp); ok && f.Tables == nil {
				found = true
			}
			walkOp(x.Op, walk)
		case *Call:
			for _, a := range x.Args {
				walk(a)
			}
		case *FuncDef:
			for _, l := range x.Body.Lets {
				walk(l.X)
			}
			walk(x.Body.X)
		case *ListOp:
			for _, a := range x.List {
				walk(a)
			}
		case *Binary:
			walk(x.L)
			walk(x.R)
		}
	}
	for _, l := range q.Lets {
		walk(l.X)
	}
	walk(q.Body)
	return found
}

// walkOp visits the tabular subexpressions of an operator.
func walkOp(op TabOp, walk func(Expr)) {
	switch o := op.(type) {
	case *UnionOp:
		for _, t := range o.Tables {
			walk(t)
		}
	case *JoinOp:
		walk(o.Right)
	case *MvApplyOp:
		walk(o.Sub)
	case *FindOp:
		for _, t := range o.Tables {
			walk(t)
		}
	case *WhereOp:
		walk(o.Pred)
	}
}

// find implements find: the rows of each table (the in-clause, or every
// table of the catalog) for which the predicate is true, with a column
// naming the source table (source_, or withsource=). The predicate is
// compiled against each table; a column that table lacks is null there,
// as in a union of the tables, so "A == x or B == x" finds rows of tables
// that have only B. Output columns, as the find page describes them:
//   - with project C1[:T], ...: the source column and C1, ... (null where
//     a table lacks one), plus pack_ (a bag of the other non-empty
//     columns) when pack_all() is listed;
//   - project-smart (the default): the source column, the columns the
//     predicate names, the columns every table has, and pack_, a bag of
//     each row's other non-empty columns.
func (r *run) find(o *FindOp, env *scope) *value.Table {
	var exprs []Expr
	var names []string
	if o.Tables == nil {
		tl, ok := r.cat.(TableLister)
		if !ok {
			if sc, isSchema := r.cat.(schemaOnly); isSchema {
				tl, ok = sc.cat.(TableLister)
			}
		}
		if !ok {
			failWrap(o.P, ErrUnsupported, "find without in(...): the catalog does not list its tables")
		}
		for _, n := range tl.TableNames() {
			exprs = append(exprs, &Ident{P: o.P, Name: n})
			names = append(names, n)
		}
	} else {
		exprs = o.Tables
		for _, te := range o.Tables {
			name := ""
			if id, ok := te.(*Ident); ok {
				name = id.Name
			}
			names = append(names, name)
		}
	}
	src := o.WithSource
	if src == "" {
		src = "source_"
	}
	type part struct {
		t    *value.Table
		rows []int
	}
	tables := make([]*value.Table, len(exprs))
	anyCol := map[string]bool{}
	for k, te := range exprs {
		tables[k] = r.table(te, env)
		for _, c := range tables[k].Columns {
			anyCol[c.Name] = true
		}
	}
	var parts []part
	for k, t := range tables {
		if names[k] == "" {
			names[k] = t.Name
		}
		// the predicate over this table; a column of another table is
		// null here
		pc := r.compiler(t, env, false)
		pc.otherCols = anyCol
		pred := pc.compile(o.Pred).fn
		var keep []int
		for i, row := range t.Rows {
			r.tick(o.P)
			if b, ok := pred(row).(bool); ok && b {
				keep = append(keep, i)
			}
		}
		parts = append(parts, part{t: t, rows: keep})
	}

	// the output columns
	cols := []value.Column{{Name: src, Type: value.String}}
	pos := map[string]int{src: 0}
	addCol := func(c value.Column) {
		if j, ok := pos[c.Name]; ok {
			if cols[j].Type != c.Type && j > 0 {
				cols[j].Type = value.Dynamic
			}
			return
		}
		pos[c.Name] = len(cols)
		cols = append(cols, c)
	}
	typeIn := func(name string) (value.Type, bool) {
		typ, found := value.Dynamic, false
		for _, p := range parts {
			if i := p.t.Index(name); i >= 0 {
				if found && typ != p.t.Columns[i].Type {
					return value.Dynamic, true
				}
				typ, found = p.t.Columns[i].Type, true
			}
		}
		return typ, found
	}
	pack := false
	if o.Project != nil {
		for _, c := range o.Project {
			if c.Type == value.Dynamic {
				if typ, ok := typeIn(c.Name); ok {
					c.Type = typ
				}
			}
			addCol(c)
		}
		pack = o.PackAll
	} else {
		for _, name := range predColumns(o.Pred) {
			if typ, ok := typeIn(name); ok {
				addCol(value.Column{Name: name, Type: typ})
			}
		}
		if len(parts) > 0 {
			for _, c := range parts[0].t.Columns {
				common := true
				for _, p := range parts[1:] {
					if p.t.Index(c.Name) < 0 {
						common = false
						break
					}
				}
				if common {
					typ, _ := typeIn(c.Name)
					addCol(value.Column{Name: c.Name, Type: typ})
				}
			}
		}
		pack = true
	}
	if pack {
		addCol(value.Column{Name: "pack_", Type: value.Dynamic})
	}

	total := 0
	for _, p := range parts {
		total += len(p.rows)
	}
	r.checkRows(o.P, total)
	out := newTable(cols, total)
	for k, p := range parts {
		m := make([]int, len(cols))
		for j, c := range cols {
			m[j] = -1
			if j > 0 && c.Name != "pack_" {
				m[j] = p.t.Index(c.Name)
			}
		}
		if r.opaque[p.t] {
			r.opaque[out] = true
		}
		for _, i := range p.rows {
			r.tick(o.P)
			r.grow(rowBytes(len(cols)))
			row := p.t.Rows[i]
			nr := make([]any, len(cols))
			nr[0] = names[k]
			for j, c := range cols {
				switch {
				case j == 0:
				case m[j] >= 0:
					nr[j] = convertCell(row[m[j]], c.Type)
				case c.Name == "pack_":
					bag := map[string]any{}
					for ci, tc := range p.t.Columns {
						if _, shown := pos[tc.Name]; shown || isEmpty(row[ci]) {
							continue
						}
						bag[tc.Name] = row[ci]
					}
					nr[j] = bag
				}
				if nr[j] == nil && c.Type == value.String {
					nr[j] = ""
				}
			}
			out.Rows = append(out.Rows, nr)
		}
	}
	return out
}

// convertCell converts a cell to a project column's declared type; dynamic
// keeps it as it is.
func convertCell(v any, t value.Type) any {
	if t == value.Dynamic || v == nil {
		return v
	}
	return convertTo(v, t)
}

// predColumns lists the column names a predicate mentions, in order of
// first appearance.
func predColumns(e Expr) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(Expr)
	walk = func(e Expr) {
		switch x := e.(type) {
		case *Ident:
			if !seen[x.Name] {
				seen[x.Name] = true
				out = append(out, x.Name)
			}
		case *Binary:
			walk(x.L)
			walk(x.R)
		case *Unary:
			walk(x.X)
		case *ListOp:
			walk(x.L)
		case *Between:
			walk(x.L)
		case *Call:
			for _, a := range x.Args {
				walk(a)
			}
		case *Member:
			walk(x.X)
		case *Index:
			walk(x.X)
		}
	}
	walk(e)
	return out
}
