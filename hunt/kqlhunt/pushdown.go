package kqlhunt

import (
	"github.com/loghunt/loghunt/hunt/kql"
	"github.com/loghunt/loghunt/hunt/kql/schema"
)

// pushdown merges what every query can read of each table (kql's
// Query.Uses) into the tables' schema.Pushdown: a row is stored when any
// query's filter keeps it, a column when any query reads it. A table that
// one query reads whole (no filter, or every column) is stored whole in
// that respect. Nil when a query reads every table (find without in).
func pushdown(rs []*kqlRule) map[string]schema.Pushdown {
	s := schema.Default()
	type acc struct {
		info    *schema.TableInfo
		filters []kql.Expr
		allRows bool
		fcols   map[string]bool
		cols    map[string]bool
		allCols bool
	}
	tables := map[string]*acc{}
	var order []string
	for _, r := range rs {
		if r.query.ReadsEveryTable() {
			return nil
		}
		for _, u := range r.query.Uses(schema.SentinelNaming{}) {
			info, ok := s.Lookup(schema.SentinelNaming{}.CanonicalTable(u.Table))
			if !ok {
				if info, ok = s.Lookup(u.Table); !ok {
					continue
				}
			}
			a := tables[info.Name]
			if a == nil {
				a = &acc{info: info, fcols: map[string]bool{}, cols: map[string]bool{}}
				tables[info.Name] = a
				order = append(order, info.Name)
			}
			if u.Filter == nil {
				a.allRows = true
			} else {
				a.filters = append(a.filters, u.Filter)
				for _, c := range u.FilterColumns {
					a.fcols[c] = true
				}
			}
			if u.Columns == nil {
				a.allCols = true
			} else {
				for _, c := range u.Columns {
					a.cols[c] = true
				}
			}
		}
	}
	out := map[string]schema.Pushdown{}
	for _, name := range order {
		a := tables[name]
		var pd schema.Pushdown
		if !a.allCols {
			for c := range a.cols {
				pd.Columns = append(pd.Columns, c)
			}
			for c := range a.fcols {
				pd.Columns = append(pd.Columns, c)
			}
		}
		if !a.allRows && len(a.filters) > 0 {
			cols := a.info.ValueColumns()
			filters := a.filters
			// every filter must compile over the table, or none is used
			usable := true
			for _, f := range filters {
				if kql.CompileFilter(f, cols) == nil {
					usable = false
				}
			}
			if usable {
				for c := range a.fcols {
					pd.FilterColumns = append(pd.FilterColumns, c)
				}
				pd.Filter = func() func([]any) bool {
					preds := make([]func([]any) bool, len(filters))
					for i, f := range filters {
						preds[i] = kql.CompileFilter(f, cols)
					}
					return func(row []any) bool {
						for _, p := range preds {
							if p(row) {
								return true
							}
						}
						return false
					}
				}
			}
		}
		if pd.Filter != nil || pd.Columns != nil {
			out[name] = pd
		}
	}
	return out
}
