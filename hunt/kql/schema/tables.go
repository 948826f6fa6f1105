package schema

import "fmt"

// DerivedTables returns the canonical names of the tables a Builder fills
// from Windows events, in data-file order: every table but the ASIM parser
// functions (imProcessCreate and the like, which present the same events
// again) and the tables with no source (TableInfo.NoSource). They are the
// tables a find without an in-clause searches (Catalog.TableNames), and
// what an engine asks a Builder for when a query reads every table.
func (s *Schema) DerivedTables() []string {
	var out []string
	b := &Builder{}
	for _, t := range s.tables {
		if t.NoSource || (SentinelNaming{}).TableName(t.Name) || b.slot(t.Name) == nil {
			continue
		}
		out = append(out, t.Name)
	}
	return out
}

// TableNames lists the tables a find without an in-clause searches (it
// makes a Catalog a kql.TableLister): the derived tables
// (Schema.DerivedTables) the catalog was built with, in data-file order.
// The always-empty tables are left out, since they can contribute no row,
// and so are the ASIM functions, which a workspace does not search either.
func (c *Catalog) TableNames() []string {
	var out []string
	for _, name := range c.s.DerivedTables() {
		if c.tables[name] != nil {
			out = append(out, name)
		}
	}
	return out
}

// TableNote returns what a query must be told about reading the named
// table, or "": a table with no source in Windows event logs is empty in
// an offline hunt, so nothing the query looks for there can be found.
func (c *Catalog) TableNote(name string) string {
	info, ok := c.s.Lookup(name)
	if !ok || !info.NoSource {
		return ""
	}
	return NoSourceNote(name)
}

// NoSourceNote is TableNote's message for a table with no source.
func NoSourceNote(name string) string {
	return fmt.Sprintf("table %s has no source in Windows event logs; it is empty in an offline hunt, so this query cannot find anything there", name)
}

// IsNoSource reports whether name (any spelling Lookup accepts) is a table
// with no source in Windows event logs.
func (s *Schema) IsNoSource(name string) bool {
	info, ok := s.Lookup(name)
	return ok && info.NoSource
}
