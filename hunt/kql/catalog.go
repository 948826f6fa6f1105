package kql

import "github.com/loghunt/loghunt/hunt/kql/value"

// Arg is one argument of a function-style table reference such as
// T(starttime=ago(1d), endtime=now()) (see Naming). Name is "" for a
// positional argument. Value is an evaluated cell (see package value).
type Arg struct {
	Name  string
	Value any
}

// Catalog is what the evaluator needs from the tables it queries. The
// evaluator never imports an implementation: hunt/kql/schema provides the
// emulated Defender/Sentinel/ASIM tables, MapCatalog serves tests.
//
// Table returns the rows of the named table. name is spelled as in the
// query; a workspace may spell one table several ways (see Naming). args is
// nil for a plain table reference and holds the evaluated arguments of a
// function-style reference; an implementation may use parameters such as
// starttime/endtime to filter rows and ignore those it does not know.
// The evaluator never modifies the returned table, so an implementation may
// return the same *value.Table to several queries, also concurrently.
//
// Columns returns the column list of the named table without
// materializing it; it is used by Check for semantic warnings.
//
// Both return false when the table is unknown.
type Catalog interface {
	Table(name string, args []Arg) (*value.Table, bool)
	Columns(name string) ([]value.Column, bool)
}

// ValueLister is an optional Catalog extension: Values returns the closed
// set of values a string column can hold under the emulation (for example
// ASIM NetworkDirection: Inbound, Outbound, Local, External, NA), and false
// when the column is free text. Check uses it to report comparisons that can
// never be true.
type ValueLister interface {
	Values(table, column string) ([]string, bool)
}

// TableNoter is an optional Catalog extension: TableNote returns what every
// query that reads the named table must be told, or "". hunt/kql/schema
// uses it for the tables no Windows event fills, which it serves empty:
// such a query runs, and its warning says why it can find nothing there.
type TableNoter interface {
	TableNote(name string) string
}

// Naming says which names denote tables where the syntax alone does not
// tell, by the naming conventions of a workspace. The language itself knows
// none: in Microsoft Sentinel they are those of the ASIM parsers
// (_Im_NetworkSession(...), imProcessCreate and their legacy spellings),
// which hunt/kql/schema provides. A Catalog may implement Naming; without
// it, only plain table references and the names the catalog serves are
// tables.
type Naming interface {
	// CanonicalTable folds the spellings of one table to a single name,
	// and returns other names unchanged.
	CanonicalTable(name string) string
	// TableFunction reports whether name is a stored function that returns
	// a table, so that a call name(...) reads a table also where the query
	// expects a scalar (Query.Tables lists it).
	TableFunction(name string) bool
	// TableName reports whether name is spelled as a table of the
	// workspace (table functions included), so that a call name(...) that
	// neither the catalog nor the language knows is an unknown table rather
	// than an unknown function.
	TableName(name string) bool
}

// plainNaming is the Naming of a workspace without conventions.
type plainNaming struct{}

func (plainNaming) CanonicalTable(name string) string { return name }
func (plainNaming) TableFunction(string) bool         { return false }
func (plainNaming) TableName(string) bool             { return false }

// namingOf returns cat's Naming, or plainNaming.
func namingOf(cat Catalog) Naming {
	if n, ok := cat.(Naming); ok {
		return n
	}
	return plainNaming{}
}

// MapCatalog is an in-memory Catalog over fixed tables, keyed by their
// canonical name under its Naming (SetNaming; by default names are taken
// as they are). Function-style arguments are ignored. It is safe for
// concurrent use once built.
type MapCatalog struct {
	naming Naming
	list   []*value.Table
	tables map[string]*value.Table
	values map[string]map[string][]string
}

// NewMapCatalog returns a catalog serving the given tables under their
// names.
func NewMapCatalog(tables ...*value.Table) *MapCatalog {
	m := &MapCatalog{naming: plainNaming{}, list: tables, values: map[string]map[string][]string{}}
	m.index()
	return m
}

func (m *MapCatalog) index() {
	m.tables = map[string]*value.Table{}
	for _, t := range m.list {
		m.tables[m.naming.CanonicalTable(t.Name)] = t
	}
}

// SetNaming makes the catalog serve each table under every spelling n
// folds to its name, and answer for n as a Naming. It must be called before
// SetValues and before the catalog is shared.
func (m *MapCatalog) SetNaming(n Naming) *MapCatalog {
	m.naming = n
	m.index()
	return m
}

// CanonicalTable implements Naming.
func (m *MapCatalog) CanonicalTable(name string) string { return m.naming.CanonicalTable(name) }

// TableFunction implements Naming.
func (m *MapCatalog) TableFunction(name string) bool { return m.naming.TableFunction(name) }

// TableName implements Naming.
func (m *MapCatalog) TableName(name string) bool { return m.naming.TableName(name) }

// SetValues declares the closed value set of a string column (see
// ValueLister). It must be called before the catalog is shared.
func (m *MapCatalog) SetValues(table, column string, vals ...string) {
	table = m.naming.CanonicalTable(table)
	if m.values[table] == nil {
		m.values[table] = map[string][]string{}
	}
	m.values[table][column] = vals
}

// Table implements Catalog.
func (m *MapCatalog) Table(name string, _ []Arg) (*value.Table, bool) {
	t, ok := m.tables[m.naming.CanonicalTable(name)]
	return t, ok
}

// Columns implements Catalog.
func (m *MapCatalog) Columns(name string) ([]value.Column, bool) {
	t, ok := m.tables[m.naming.CanonicalTable(name)]
	if !ok {
		return nil, false
	}
	return t.Columns, true
}

// Values implements ValueLister.
func (m *MapCatalog) Values(table, column string) ([]string, bool) {
	v, ok := m.values[m.naming.CanonicalTable(table)][column]
	return v, ok
}
