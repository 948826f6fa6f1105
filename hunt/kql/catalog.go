package kql

import (
	"strings"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// Arg is one argument of a function-style table reference such as
// _Im_NetworkSession(starttime=ago(1d), endtime=now()). Name is "" for a
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
// query (imProcessCreate, imProcessCreation and _Im_ProcessCreate are all
// possible spellings; CanonicalTableName folds them). args is nil for a
// plain table reference and holds the evaluated arguments of a
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

// CanonicalTableName folds the spellings of one table to a single name:
// the ASIM function forms _Im_X and _ASim_X become imX and ASimX, and the
// legacy imProcessCreation becomes imProcessCreate. Other names are
// returned unchanged.
func CanonicalTableName(name string) string {
	switch {
	case strings.HasPrefix(name, "_Im_"):
		name = "im" + name[len("_Im_"):]
	case strings.HasPrefix(name, "_ASim_"):
		name = "ASim" + name[len("_ASim_"):]
	}
	switch name {
	case "imProcessCreation":
		return "imProcessCreate"
	case "ASimProcessCreation":
		return "ASimProcessCreate"
	}
	return name
}

// MapCatalog is an in-memory Catalog over fixed tables, keyed by their
// canonical name (CanonicalTableName). Function-style arguments are
// ignored. It is safe for concurrent use once built.
type MapCatalog struct {
	tables map[string]*value.Table
	values map[string]map[string][]string
}

// NewMapCatalog returns a catalog serving the given tables under
// CanonicalTableName(t.Name).
func NewMapCatalog(tables ...*value.Table) *MapCatalog {
	m := &MapCatalog{tables: map[string]*value.Table{}, values: map[string]map[string][]string{}}
	for _, t := range tables {
		m.tables[CanonicalTableName(t.Name)] = t
	}
	return m
}

// SetValues declares the closed value set of a string column (see
// ValueLister). It must be called before the catalog is shared.
func (m *MapCatalog) SetValues(table, column string, vals ...string) {
	table = CanonicalTableName(table)
	if m.values[table] == nil {
		m.values[table] = map[string][]string{}
	}
	m.values[table][column] = vals
}

// Table implements Catalog.
func (m *MapCatalog) Table(name string, _ []Arg) (*value.Table, bool) {
	t, ok := m.tables[CanonicalTableName(name)]
	return t, ok
}

// Columns implements Catalog.
func (m *MapCatalog) Columns(name string) ([]value.Column, bool) {
	t, ok := m.tables[CanonicalTableName(name)]
	if !ok {
		return nil, false
	}
	return t.Columns, true
}

// Values implements ValueLister.
func (m *MapCatalog) Values(table, column string) ([]string, bool) {
	v, ok := m.values[CanonicalTableName(table)][column]
	return v, ok
}
