// Package value is the data model shared by the KQL evaluator (hunt/kql) and
// the tables it queries (hunt/kql/schema): typed columns and rows of plain Go
// values.
//
// A cell holds one of:
//
//	nil            null (never used for strings: KQL strings are never null, use "")
//	string         string
//	int64          long / int
//	float64        real
//	bool           bool
//	time.Time      datetime (UTC)
//	time.Duration  timespan
//	[]any, map[string]any   dynamic (elements are again cells)
package value

// Type is a KQL scalar type.
type Type uint8

// KQL scalar types.
const (
	Dynamic Type = iota
	String
	Long
	Int
	Real
	Bool
	DateTime
	TimeSpan
	GUID
)

var typeNames = [...]string{"dynamic", "string", "long", "int", "real", "bool", "datetime", "timespan", "guid"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// ParseType returns the Type named s ("string", "long", "datetime"...), and
// false for an unknown name.
func ParseType(s string) (Type, bool) {
	for i, n := range typeNames {
		if n == s {
			return Type(i), true
		}
	}
	switch s {
	case "double", "decimal":
		return Real, true
	case "boolean":
		return Bool, true
	case "date":
		return DateTime, true
	case "time":
		return TimeSpan, true
	case "uniqueid":
		return GUID, true
	}
	return Dynamic, false
}

// Column is a named, typed column.
type Column struct {
	Name string
	Type Type
}

// Table is a materialized tabular result: the columns, and one []any per
// row with one cell per column, in column order.
type Table struct {
	Name    string
	Columns []Column
	Rows    [][]any
}

// Index returns the position of the named column, or -1.
func (t *Table) Index(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}
