// Package schema emulates the Microsoft Sentinel and Defender tables that KQL
// hunting queries read (DeviceProcessEvents, SecurityEvent, imNetworkSession
// and the rest) from the Windows events loghunt parses.
//
// Entry points:
//   - Default returns the embedded table descriptions (columns.tsv): every
//     column with its KQL type and its allowed values when the schema
//     enumerates them; and those of the tables no Windows event fills
//     (nosource.tsv: EmailEvents, SigninLogs, ...), served empty, with a
//     note for every query that reads one (Catalog.TableNote).
//   - NewBuilder collects rows for the tables a query set references. Feed
//     it every event with Add, then call Finish once for a Catalog.
//   - Catalog.Table hands the evaluator a table by name, applying the
//     parameters of ASIM functions such as _Im_NetworkSession(starttime=...).
//
// The package never imports hunt/kql: the evaluator declares the catalog
// interface it needs and *Catalog satisfies it structurally.
package schema

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

//go:embed columns.tsv
var columnsTSV string

// nosourceTSV describes the tables no Windows event fills (EmailEvents,
// SigninLogs, ...), in the columns.tsv format.
//
//go:embed nosource.tsv
var nosourceTSV string

// ColumnInfo describes one column of an emulated table.
type ColumnInfo struct {
	value.Column
	// Values lists every value the schema allows for an enumerated column
	// (ASIM NetworkDirection: Inbound, Outbound, Local, External, NA), or is
	// nil for an open column. A comparison with any other constant can never
	// be true.
	Values []string
}

// Param is a parameter of an ASIM parser function such as _Im_NetworkSession.
type Param struct {
	Name string
	Type value.Type
}

// TableInfo describes one emulated table and the names it answers to.
type TableInfo struct {
	// Name is the canonical name, e.g. "imProcessCreate".
	Name string
	// Aliases are the other names queries use for the same rows, e.g.
	// "imProcessCreation", "_Im_ProcessCreate".
	Aliases []string
	// Params are the parameters the ASIM function forms accept; nil for a
	// plain table.
	Params  []Param
	Columns []ColumnInfo
	// NoSource marks a table that no Windows event fills (nosource.tsv):
	// it is always empty offline, and Catalog.TableNote says so to every
	// query that reads it.
	NoSource bool

	index map[string]int
}

// Index returns the position of the named column, or -1.
func (t *TableInfo) Index(name string) int {
	if i, ok := t.index[name]; ok {
		return i
	}
	return -1
}

// ValueColumns returns the columns as value.Columns, in table order.
func (t *TableInfo) ValueColumns() []value.Column {
	out := make([]value.Column, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Column
	}
	return out
}

// Schema is a set of table descriptions. It is immutable and safe for
// concurrent use.
type Schema struct {
	tables []*TableInfo
	byName map[string]*TableInfo // canonical names and aliases
}

// Tables returns the tables in data-file order.
func (s *Schema) Tables() []*TableInfo { return s.tables }

// Lookup returns the table a name (canonical, alias or function name)
// refers to. KQL table names are case-sensitive, and so is Lookup.
func (s *Schema) Lookup(name string) (*TableInfo, bool) {
	t, ok := s.byName[name]
	return t, ok
}

var (
	asimTime = []Param{{"starttime", value.DateTime}, {"endtime", value.DateTime}}
	asimProc = append(append([]Param(nil), asimTime...),
		Param{"commandline_has_any", value.Dynamic}, Param{"commandline_has_all", value.Dynamic},
		Param{"commandline_has_any_ip_prefix", value.Dynamic}, Param{"actingprocess_has_any", value.Dynamic},
		Param{"targetprocess_has_any", value.Dynamic}, Param{"parentprocess_has_any", value.Dynamic},
		Param{"targetusername_has", value.String}, Param{"dvcipaddr_has_any_prefix", value.Dynamic},
		Param{"dvchostname_has_any", value.Dynamic}, Param{"eventtype", value.String}, Param{"disabled", value.Bool})
	asimNet = append(append([]Param(nil), asimTime...),
		Param{"srcipaddr_has_any_prefix", value.Dynamic}, Param{"dstipaddr_has_any_prefix", value.Dynamic},
		Param{"ipaddr_has_any_prefix", value.Dynamic}, Param{"dstportnumber", value.Int},
		Param{"hostname_has_any", value.Dynamic}, Param{"dvcaction", value.Dynamic},
		Param{"eventresult", value.String}, Param{"disabled", value.Bool}, Param{"pack", value.Bool})
	asimFile = append(append([]Param(nil), asimTime...),
		Param{"eventtype_in", value.Dynamic}, Param{"srcipaddr_has_any_prefix", value.Dynamic},
		Param{"actorusername_has_any", value.Dynamic}, Param{"targetfilepath_has_any", value.Dynamic},
		Param{"srcfilepath_has_any", value.Dynamic}, Param{"hashes_has_any", value.Dynamic},
		Param{"dvchostname_has_any", value.Dynamic}, Param{"disabled", value.Bool})
	asimReg = append(append([]Param(nil), asimTime...),
		Param{"eventtype_in", value.Dynamic}, Param{"actorusername_has_any", value.Dynamic},
		Param{"registrykey_has_any", value.Dynamic}, Param{"registryvalue_has_any", value.Dynamic},
		Param{"registryvaluedata_has_any", value.Dynamic}, Param{"dvchostname_has_any", value.Dynamic},
		Param{"disabled", value.Bool})
)

// tableAliases lists, per canonical table, the other names and whether the
// table takes ASIM parameters.
var tableAliases = map[string]struct {
	aliases []string
	params  []Param
}{
	"imProcessCreate": {[]string{"imProcessCreation", "imProcess", "imProcessEvents", "_Im_ProcessCreate",
		"_Im_ProcessEvent", "ASimProcessEvent", "_ASim_ProcessEvent", "ASimProcessEventLogs"}, asimProc},
	"imNetworkSession": {[]string{"_Im_NetworkSession", "ASimNetworkSession", "_ASim_NetworkSession",
		"ASimNetworkSessionLogs"}, asimNet},
	"imFileEvent": {[]string{"_Im_FileEvent", "ASimFileEvent", "_ASim_FileEvent", "ASimFileEventLogs"}, asimFile},
	"imRegistry":  {[]string{"_Im_Registry", "ASimRegistry", "_ASim_Registry", "ASimRegistryEventLogs"}, asimReg},
}

// Parse reads a table description in the columns.tsv format: '#' comment
// lines, a header line, then one tab-separated line per column: table,
// column, type, values (| separated).
func Parse(text string) (*Schema, error) {
	return parseFiles(text, "")
}

// parseFiles reads the tables of columns (in the columns.tsv format) and
// those of noSource, whose tables are marked NoSource.
func parseFiles(columns, noSource string) (*Schema, error) {
	s := &Schema{byName: map[string]*TableInfo{}}
	if err := s.parse(columns, false); err != nil {
		return nil, err
	}
	if err := s.parse(noSource, true); err != nil {
		return nil, err
	}
	for _, t := range s.tables {
		for _, a := range t.Aliases {
			if _, dup := s.byName[a]; dup {
				return nil, fmt.Errorf("columns: alias %s of %s is already a table name", a, t.Name)
			}
			s.byName[a] = t
		}
	}
	return s, nil
}

func (s *Schema) parse(text string, noSource bool) error {
	header := true
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if header {
			header = false
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return fmt.Errorf("columns line %d: %d fields, want 4", n+1, len(f))
		}
		typ, ok := value.ParseType(f[2])
		if !ok {
			return fmt.Errorf("columns line %d: unknown type %q", n+1, f[2])
		}
		t := s.byName[f[0]]
		if t != nil && t.NoSource != noSource {
			return fmt.Errorf("columns line %d: table %s is in both data files", n+1, f[0])
		}
		if t == nil {
			t = &TableInfo{Name: f[0], index: map[string]int{}, NoSource: noSource}
			if a, ok := tableAliases[f[0]]; ok {
				t.Aliases, t.Params = a.aliases, a.params
			}
			s.tables = append(s.tables, t)
			s.byName[t.Name] = t
		}
		if _, dup := t.index[f[1]]; dup {
			return fmt.Errorf("columns line %d: duplicate column %s.%s", n+1, f[0], f[1])
		}
		c := ColumnInfo{Column: value.Column{Name: f[1], Type: typ}}
		if f[3] != "" {
			c.Values = strings.Split(f[3], "|")
		}
		t.index[c.Name] = len(t.Columns)
		t.Columns = append(t.Columns, c)
	}
	return nil
}

var defaultSchema = sync.OnceValues(func() (*Schema, error) { return parseFiles(columnsTSV, nosourceTSV) })

// Default returns the embedded schema. The data file is part of the build and
// tested, so a parse failure is a build defect: Default panics on it.
func Default() *Schema {
	s, err := defaultSchema()
	if err != nil {
		panic("hunt/kql/schema: embedded columns.tsv: " + err.Error())
	}
	return s
}
