package schema

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
	"github.com/loghunt/loghunt/parsers"
)

// Catalog holds the tables a Builder produced. It is safe for concurrent
// use; the tables it returns share rows and must be treated as read-only.
type Catalog struct {
	s      *Schema
	tables map[string]*value.Table // by canonical name
	stats  Stats
	// origins maps the first cell of each row to the event it came from;
	// read-only after Finish.
	origins map[*any]rowKey

	mu       sync.Mutex
	warnings []string
	warned   map[string]bool
}

// Arg is one argument of an ASIM function call such as
// _Im_NetworkSession(starttime=ago(1d)): Name is "" for a positional
// argument, and Value is an evaluated cell (see package value). It has the
// shape of the evaluator's kql.Arg, so Adapt can serve that interface.
type Arg struct {
	Name  string
	Value any
}

// Adapter serves a Catalog through an interface whose Table method takes
// another argument type of the same shape as Arg, such as kql.Arg:
// schema.Adapt[kql.Arg](cat) satisfies kql.Catalog and kql.ValueLister
// without this package importing the evaluator.
type Adapter[A ~struct {
	Name  string
	Value any
}] struct {
	*Catalog
}

// Adapt wraps c for an evaluator whose argument type is A.
func Adapt[A ~struct {
	Name  string
	Value any
}](c *Catalog) Adapter[A] {
	return Adapter[A]{c}
}

// Table is Catalog.Table with the evaluator's argument type.
func (a Adapter[A]) Table(name string, args []A) (*value.Table, bool) {
	conv := make([]Arg, len(args))
	for i, x := range args {
		conv[i] = Arg(x)
	}
	return a.Catalog.Table(name, conv)
}

// SentinelNaming is how Microsoft Sentinel names tables beyond their plain
// names, for the evaluator's kql.Naming: the ASIM parser functions _Im_X
// and _ASim_X, called as _Im_X(starttime=...), are the tables imX and ASimX,
// and the legacy imProcessCreation is imProcessCreate. The evaluator knows
// none of this; the engine hands it this value, and a Catalog answers with
// it. The zero value is ready to use. Catalog.Table and Catalog.Columns
// themselves resolve names with Schema.Lookup, which knows every table's
// aliases.
type SentinelNaming struct{}

// CanonicalTable folds the spellings of one table to a single name: _Im_X
// and _ASim_X become imX and ASimX, imProcessCreation becomes
// imProcessCreate. Other names are returned unchanged.
func (SentinelNaming) CanonicalTable(name string) string {
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

// TableFunction reports whether name is an ASIM parser function (_Im_X or
// _ASim_X), whose calls read a table wherever they appear.
func (SentinelNaming) TableFunction(name string) bool {
	return strings.HasPrefix(name, "_Im_") || strings.HasPrefix(name, "_ASim_")
}

// TableName reports whether name is spelled as an ASIM table or parser
// (imX, ASimX, _Im_X, _ASim_X), known to this schema or not.
func (n SentinelNaming) TableName(name string) bool {
	return n.TableFunction(name) || strings.HasPrefix(name, "im") || strings.HasPrefix(name, "ASim")
}

// CanonicalTable is SentinelNaming's; with TableFunction and TableName it
// makes a Catalog (and its Adapter) a kql.Naming.
func (c *Catalog) CanonicalTable(name string) string { return SentinelNaming{}.CanonicalTable(name) }

// TableFunction is SentinelNaming's.
func (c *Catalog) TableFunction(name string) bool { return SentinelNaming{}.TableFunction(name) }

// TableName is SentinelNaming's.
func (c *Catalog) TableName(name string) bool { return SentinelNaming{}.TableName(name) }

// Stats returns the counts of the Builder that produced the catalog.
func (c *Catalog) Stats() Stats { return c.stats }

// Schema returns the schema the catalog was built for.
func (c *Catalog) Schema() *Schema { return c.s }

// Warnings returns the problems noticed while serving tables (unknown or
// unsupported function parameters, tables that were not collected), each
// once, in the order first seen.
func (c *Catalog) Warnings() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.warnings...)
}

func (c *Catalog) warn(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.warned == nil {
		c.warned = map[string]bool{}
	}
	if !c.warned[msg] {
		c.warned[msg] = true
		c.warnings = append(c.warnings, msg)
	}
}

// Columns returns the columns of the named table (canonical name, alias or
// function name), and false when the schema does not know the name.
func (c *Catalog) Columns(name string) ([]value.Column, bool) {
	t, ok := c.s.Lookup(name)
	if !ok {
		return nil, false
	}
	return t.ValueColumns(), true
}

// Values returns the values the schema allows for an enumerated column
// (e.g. imNetworkSession.NetworkDirection: Inbound, Outbound, Local,
// External, NA). ok is false for an unknown table or column, or an open
// column. Comparing such a column with any other constant is never true.
func (c *Catalog) Values(table, column string) ([]string, bool) {
	t, ok := c.s.Lookup(table)
	if !ok {
		return nil, false
	}
	i := t.Index(column)
	if i < 0 || t.Columns[i].Values == nil {
		return nil, false
	}
	return t.Columns[i].Values, true
}

// Table returns the named table (any spelling Schema.Lookup accepts), and
// false when the schema does not know the name. args are the arguments of an
// ASIM function call, nil for a plain table reference: positional ones bind
// to TableInfo.Params in order. Problems with the arguments (unknown
// parameters, values of the wrong type) are recorded for Warnings and the
// argument is ignored. The returned table is shared: callers must not modify
// it.
func (c *Catalog) Table(name string, args []Arg) (*value.Table, bool) {
	t, warns, err := c.Open(name, args)
	for _, w := range warns {
		c.warn("%s", w)
	}
	if err != nil {
		return nil, false
	}
	return t, true
}

// Open is Table with the warnings returned: it never records them. err is
// non-nil only when the name is unknown.
func (c *Catalog) Open(name string, args []Arg) (*value.Table, []string, error) {
	info, ok := c.s.Lookup(name)
	if !ok {
		return nil, nil, fmt.Errorf("unknown table %q", name)
	}
	var warns []string
	t := c.tables[info.Name]
	if t == nil && info.NoSource {
		// Always empty; TableNote tells the query.
		t = &value.Table{Name: info.Name, Columns: info.ValueColumns()}
	}
	if t == nil {
		warns = append(warns, fmt.Sprintf("table %s was not collected from the events (not among the tables the builder was asked for); it is empty", name))
		t = &value.Table{Name: info.Name, Columns: info.ValueColumns()}
	}
	if len(args) == 0 {
		if name != info.Name {
			cp := *t
			cp.Name = name
			return &cp, warns, nil
		}
		return t, warns, nil
	}
	if info.Params == nil {
		warns = append(warns, fmt.Sprintf("%s takes no arguments; %d ignored", name, len(args)))
		return t, warns, nil
	}
	f, w := compileFilter(info, name, args)
	warns = append(warns, w...)
	out := &value.Table{Name: name, Columns: t.Columns}
	if f.none {
		return out, warns, nil
	}
	for _, r := range t.Rows {
		if f.match(r) {
			out.Rows = append(out.Rows, r)
		}
	}
	return out, warns, nil
}

// filter is the row predicate of an ASIM function call.
type filter struct {
	none  bool // disabled=true
	preds []func(r []any) bool
}

func (f *filter) match(r []any) bool {
	for _, p := range f.preds {
		if !p(r) {
			return false
		}
	}
	return true
}

// compileFilter turns ASIM parser parameters into row predicates, following
// the documented filtering semantics: starttime/endtime bound TimeGenerated,
// *_has_any match whole terms case-insensitively, *_has_any_prefix match IP
// address prefixes on octet boundaries, and "*" or an empty list mean no
// filter.
func compileFilter(t *TableInfo, name string, args []Arg) (filter, []string) {
	var f filter
	var warns []string
	named := map[string]any{}
	pos := 0
	for _, a := range args {
		if a.Name != "" {
			named[strings.ToLower(a.Name)] = a.Value
			continue
		}
		if pos >= len(t.Params) {
			warns = append(warns, fmt.Sprintf("%s: too many arguments, argument %d ignored", name, pos+1))
			pos++
			continue
		}
		named[t.Params[pos].Name] = a.Value
		pos++
	}
	col := func(c string) int { return t.Index(c) }
	strCell := func(r []any, i int) string {
		if i < 0 {
			return ""
		}
		s, _ := r[i].(string)
		return s
	}
	anyStr := func(cols []string, test func(string) bool) func(r []any) bool {
		idx := make([]int, 0, len(cols))
		for _, c := range cols {
			if i := col(c); i >= 0 {
				idx = append(idx, i)
			}
		}
		return func(r []any) bool {
			for _, i := range idx {
				if test(strCell(r, i)) {
					return true
				}
			}
			return false
		}
	}
	for _, p := range t.Params {
		v, ok := named[p.Name]
		if !ok {
			continue
		}
		delete(named, p.Name)
		if v == nil {
			continue
		}
		bad := func() {
			warns = append(warns, fmt.Sprintf("%s: parameter %s: unsupported value %v (%T), ignored", name, p.Name, v, v))
		}
		switch p.Name {
		case "starttime", "endtime":
			tv, ok := v.(time.Time)
			if !ok {
				bad()
				continue
			}
			i, start := col("TimeGenerated"), p.Name == "starttime"
			f.preds = append(f.preds, func(r []any) bool {
				rt, ok := r[i].(time.Time)
				if !ok {
					return false
				}
				if start {
					return !rt.Before(tv)
				}
				return !rt.After(tv)
			})
		case "disabled":
			if bv, ok := v.(bool); ok {
				f.none = f.none || bv
			} else {
				bad()
			}
		case "pack":
			// Only changes whether AdditionalFields is packed; no filtering.
		case "dstportnumber":
			n, ok := toInt(v)
			if !ok {
				bad()
				continue
			}
			i := col("DstPortNumber")
			f.preds = append(f.preds, func(r []any) bool { x, ok := r[i].(int64); return ok && x == n })
		case "eventresult", "eventtype", "targetusername_has":
			s, ok := v.(string)
			if !ok {
				bad()
				continue
			}
			if s == "*" || s == "" {
				continue
			}
			switch p.Name {
			case "eventresult":
				f.preds = append(f.preds, anyStr([]string{"EventResult"}, func(x string) bool { return x == s }))
			case "eventtype":
				f.preds = append(f.preds, anyStr([]string{"EventType"}, func(x string) bool { return x == s }))
			default:
				f.preds = append(f.preds, anyStr([]string{"TargetUsername"}, func(x string) bool { return hasTerm(x, s) }))
			}
		default:
			list, ok := toStrings(v)
			if !ok {
				bad()
				continue
			}
			if len(list) == 0 {
				continue
			}
			cols, test, all := paramColumns(p.Name, list)
			if cols == nil {
				warns = append(warns, fmt.Sprintf("%s: parameter %s is accepted but not applied", name, p.Name))
				continue
			}
			if all {
				i := col(cols[0])
				f.preds = append(f.preds, func(r []any) bool {
					s := strCell(r, i)
					for _, n := range list {
						if !hasTerm(s, n) {
							return false
						}
					}
					return true
				})
				continue
			}
			f.preds = append(f.preds, anyStr(cols, test))
		}
	}
	for n := range named {
		warns = append(warns, fmt.Sprintf("%s: unknown parameter %s, ignored", name, n))
	}
	return f, warns
}

// paramColumns returns the columns an ASIM list parameter tests, and the
// test for one cell. all is true for *_has_all.
func paramColumns(param string, list []string) (cols []string, test func(string) bool, all bool) {
	hasAny := func(s string) bool {
		for _, n := range list {
			if hasTerm(s, n) {
				return true
			}
		}
		return false
	}
	prefix := func(s string) bool {
		for _, n := range list {
			if ipHasPrefix(s, n) {
				return true
			}
		}
		return false
	}
	in := func(s string) bool {
		for _, n := range list {
			if s == n {
				return true
			}
		}
		return false
	}
	switch param {
	case "srcipaddr_has_any_prefix":
		return []string{"SrcIpAddr"}, prefix, false
	case "dstipaddr_has_any_prefix":
		return []string{"DstIpAddr"}, prefix, false
	case "ipaddr_has_any_prefix":
		return []string{"SrcIpAddr", "DstIpAddr"}, prefix, false
	case "dvcipaddr_has_any_prefix":
		return []string{"DvcIpAddr"}, prefix, false
	case "hostname_has_any":
		return []string{"SrcHostname", "DstHostname", "Hostname", "DvcHostname"}, hasAny, false
	case "dvchostname_has_any":
		return []string{"DvcHostname"}, hasAny, false
	case "dvcaction":
		return []string{"DvcAction"}, in, false
	case "eventtype_in":
		return []string{"EventType"}, in, false
	case "commandline_has_any":
		return []string{"CommandLine"}, hasAny, false
	case "commandline_has_all":
		return []string{"CommandLine"}, nil, true
	case "commandline_has_any_ip_prefix":
		return []string{"CommandLine"}, func(s string) bool {
			for _, n := range list {
				if strings.Contains(s, n) {
					return true
				}
			}
			return false
		}, false
	case "actingprocess_has_any":
		return []string{"ActingProcessName"}, hasAny, false
	case "targetprocess_has_any":
		return []string{"TargetProcessName"}, hasAny, false
	case "parentprocess_has_any":
		return []string{"ParentProcessName"}, hasAny, false
	case "actorusername_has_any":
		return []string{"ActorUsername"}, hasAny, false
	case "targetfilepath_has_any":
		return []string{"TargetFilePath"}, hasAny, false
	case "srcfilepath_has_any":
		return []string{"SrcFilePath"}, hasAny, false
	case "hashes_has_any":
		return []string{"TargetFileMD5", "TargetFileSHA1", "TargetFileSHA256", "TargetFileSHA512"}, func(s string) bool {
			for _, n := range list {
				if s != "" && strings.EqualFold(s, n) {
					return true
				}
			}
			return false
		}, false
	case "registrykey_has_any":
		return []string{"RegistryKey"}, hasAny, false
	case "registryvalue_has_any":
		return []string{"RegistryValue"}, hasAny, false
	case "registryvaluedata_has_any":
		return []string{"RegistryValueData"}, hasAny, false
	}
	return nil, nil, false
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case float64:
		return int64(n), n == float64(int64(n))
	}
	return 0, false
}

func toStrings(v any) ([]string, bool) {
	switch l := v.(type) {
	case []string:
		return l, true
	case []any:
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, ok := e.(string)
			if !ok {
				s = fmt.Sprint(e)
			}
			out = append(out, s)
		}
		return out, true
	case string:
		return []string{l}, true
	}
	return nil, false
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// hasTerm is KQL's has: needle occurs case-insensitively in hay, and an end
// of the needle that is a letter or digit sits on a term boundary.
func hasTerm(hay, needle string) bool {
	if needle == "" {
		return true
	}
	h, n := strings.ToLower(hay), strings.ToLower(needle)
	for from := 0; from <= len(h)-len(n); {
		i := strings.Index(h[from:], n)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(n)
		okL := !isAlnum(n[0]) || i == 0 || !isAlnum(h[i-1])
		okR := !isAlnum(n[len(n)-1]) || end == len(h) || !isAlnum(h[end])
		if okL && okR {
			return true
		}
		from = i + 1
	}
	return false
}

// ipHasPrefix is ASIM's has_any_ipv4_prefix for one prefix: ip starts with
// prefix, and the prefix ends on an octet boundary.
func ipHasPrefix(ip, prefix string) bool {
	if prefix == "" || !strings.HasPrefix(ip, prefix) {
		return false
	}
	return strings.HasSuffix(prefix, ".") || strings.HasSuffix(prefix, ":") || len(ip) == len(prefix) ||
		ip[len(prefix)] == '.' || ip[len(prefix)] == ':'
}

// Origin is where the event behind a row was read.
type Origin struct {
	Source   parsers.Source
	RecordID uint64
	EventID  uint32
}

// Origin returns where the event behind a result row was read. It works
// for rows the evaluator passed through unchanged (where, sort, top, take,
// union keep them); a row built anew (project, extend, summarize, join)
// has no origin.
func (c *Catalog) Origin(row []any) (Origin, bool) {
	if len(row) == 0 || c.origins == nil {
		return Origin{}, false
	}
	k, ok := c.origins[&row[0]]
	if !ok {
		return Origin{}, false
	}
	return k.origin(), true
}
