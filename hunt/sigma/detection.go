package sigma

import (
	"fmt"
	"strings"
)

// This file holds the detection tree: the plain-data form of a rule's
// detection section (or a filter rule's filter section), read once from
// the YAML by parseDetection (detparse.go). The compiler (compile.go)
// builds its matchers from this tree and nothing else, and
// (*Rule).Detection hands it to other consumers.

// Pos is a position in a rule file: 1-based line and column, or zero when
// unknown.
type Pos struct {
	Line, Column int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Column) }

// Detection is a rule's detection section as written: its named searches,
// its condition and its timeframe.
//
// A Detection reached through (*Rule).Detection belongs to a loaded rule
// and must not be modified.
type Detection struct {
	// Searches are the search identifiers in the order the rule defines
	// them. A name may repeat (YAML does not forbid it); a reference by
	// name then means the last one.
	Searches []Search
	// Conditions holds the condition, or each item of a condition list
	// (the obsolete form of "or"): the detection matches when any of
	// them does. It is never empty in a loaded rule.
	Conditions []Condition
	// Timeframe is the timeframe key as written ("" when absent); only
	// the legacy "| count() ..." aggregation uses it.
	Timeframe string
	Pos       Pos // the detection (or filter) mapping
}

// Search is one search identifier: it matches when every field matcher of
// any one of its Maps matches, or when Keywords matches.
type Search struct {
	Name string
	Pos  Pos // the search's key
	// Maps are the alternatives: one map, or a list of maps.
	Maps []FieldMap
	// Keywords are the plain strings of the search (a list of strings, or
	// a single string): one more alternative, a matcher with no field and
	// no modifiers. Nil when there are none.
	Keywords *FieldMatcher
}

// FieldMap is one map of "field|modifiers: values": all its matchers must
// match.
type FieldMap struct {
	Pos    Pos
	Fields []FieldMatcher
}

// FieldMatcher is one "Field|mod1|mod2: values" entry. An empty Field is a
// keyword matcher: it looks at every value of the event (a keyword search,
// or a map key such as "|all").
//
// Without modifiers that say otherwise, the field matches when any of the
// Values matches (the all modifier: every one); strings compare
// case-insensitively and as wildcard patterns.
type FieldMatcher struct {
	Field     string
	Modifiers []Modifier // as written, in order (transformations apply in this order)
	Values    []Value
	// Pos is the key's position (for keywords, the search's value).
	Pos Pos
}

// Has reports whether m is among the matcher's modifiers.
func (f *FieldMatcher) Has(m Modifier) bool {
	for _, x := range f.Modifiers {
		if x == m {
			return true
		}
	}
	return false
}

// ValueKind is the YAML type of a value as written.
type ValueKind uint8

const (
	// StringValue is a string (or any scalar not below).
	StringValue ValueKind = iota
	// NumberValue is a YAML integer or float; Raw keeps its written form
	// ("0x1410" stays "0x1410").
	NumberValue
	// BoolValue is a YAML boolean (the exists modifier takes one).
	BoolValue
	// NullValue is YAML null: the field is absent. It differs from an
	// empty string, which matches a present, empty field.
	NullValue
)

func (k ValueKind) String() string {
	switch k {
	case StringValue:
		return "string"
	case NumberValue:
		return "number"
	case BoolValue:
		return "bool"
	case NullValue:
		return "null"
	}
	return fmt.Sprintf("ValueKind(%d)", uint8(k))
}

// Value is one value of a field matcher.
type Value struct {
	Kind ValueKind
	// Raw is the scalar's text as written, backslashes included ("" for
	// null). Regular expressions, CIDR ranges, numbers of the comparison
	// modifiers and field names of fieldref are read from Raw, as are
	// the transformations (windash, expand, base64, base64offset, utf16*,
	// wide), which apply to Raw in the order the modifiers are written.
	Raw string
	// Pattern is Raw read as a Sigma wildcard pattern, with its escapes
	// resolved: `C:\\*.exe` is the literal `C:\`, any run, then `.exe`,
	// while `C:\*.exe` with one backslash is the literal `C:*.exe`.
	// It is set for values compared as strings (no re, cidr, lt, lte, gt,
	// gte, fieldref, exists or time modifier; not null) and is what
	// they match when no transformation applies. An empty string has an
	// empty pattern. The position modifiers (contains, startswith,
	// endswith) are not folded in.
	Pattern []PatternPart
	Pos     Pos
}

// PartKind says what a PatternPart matches.
type PartKind uint8

const (
	// Literal matches its Text exactly (case-insensitively unless the
	// cased modifier is given).
	Literal PartKind = iota
	// AnyRun is the wildcard '*': any run of characters, even none.
	AnyRun
	// AnyChar is the wildcard '?': exactly one character.
	AnyChar
)

// PatternPart is one piece of a wildcard pattern.
type PatternPart struct {
	Kind PartKind
	Text string // Literal only
}

// Modifier is one value modifier of the Sigma specification. Its String
// is the name as written in rules.
type Modifier uint8

// The modifiers. ReIgnoreCase, ReMultiline and ReDotAll are re's flags i,
// m and s.
const (
	ModContains Modifier = iota + 1
	ModStartsWith
	ModEndsWith
	ModAll
	ModCased
	ModExists
	ModRe
	ModReIgnoreCase
	ModReMultiline
	ModReDotAll
	ModBase64
	ModBase64Offset
	ModUTF16LE
	ModUTF16BE
	ModUTF16
	ModWide
	ModWindash
	ModExpand
	ModCIDR
	ModLt
	ModLte
	ModGt
	ModGte
	ModNeq
	ModFieldRef
	ModMinute
	ModHour
	ModDay
	ModWeek
	ModMonth
	ModYear
)

var modifierNames = [...]string{
	ModContains:     "contains",
	ModStartsWith:   "startswith",
	ModEndsWith:     "endswith",
	ModAll:          "all",
	ModCased:        "cased",
	ModExists:       "exists",
	ModRe:           "re",
	ModReIgnoreCase: "i",
	ModReMultiline:  "m",
	ModReDotAll:     "s",
	ModBase64:       "base64",
	ModBase64Offset: "base64offset",
	ModUTF16LE:      "utf16le",
	ModUTF16BE:      "utf16be",
	ModUTF16:        "utf16",
	ModWide:         "wide",
	ModWindash:      "windash",
	ModExpand:       "expand",
	ModCIDR:         "cidr",
	ModLt:           "lt",
	ModLte:          "lte",
	ModGt:           "gt",
	ModGte:          "gte",
	ModNeq:          "neq",
	ModFieldRef:     "fieldref",
	ModMinute:       "minute",
	ModHour:         "hour",
	ModDay:          "day",
	ModWeek:         "week",
	ModMonth:        "month",
	ModYear:         "year",
}

// modifierByName maps a lower-case modifier name to its Modifier.
var modifierByName = func() map[string]Modifier {
	m := make(map[string]Modifier, len(modifierNames))
	for i, n := range modifierNames {
		if n != "" {
			m[n] = Modifier(i)
		}
	}
	return m
}()

func (m Modifier) String() string {
	if int(m) < len(modifierNames) && modifierNames[m] != "" {
		return modifierNames[m]
	}
	return fmt.Sprintf("Modifier(%d)", uint8(m))
}

// Condition is one condition expression with its optional legacy
// aggregation ("... | count(field) by group > 5").
type Condition struct {
	Text        string // as written
	Pos         Pos    // the condition's YAML scalar
	Expr        Expr
	Aggregation *Aggregation // nil when there is none
}

// Aggregation is the obsolete aggregation part of a condition. The loader
// runs "count" ones as correlations over the rule's matches within its
// Timeframe; it refuses the others.
type Aggregation struct {
	Func      string // count, min, max, avg or sum
	Field     string // in the parentheses; "" when none
	GroupBy   string // after "by"; "" when none
	Op        string // =, !=, <, <=, > or >=
	Threshold float64
}

// Expr is a node of a condition expression: *AndExpr, *OrExpr, *NotExpr,
// *SearchRef or *OfExpr. Position is where the node starts in the rule
// file: exact for a condition written on one line without escapes,
// otherwise the position of the condition itself.
type Expr interface {
	Position() Pos
	isExpr()
}

// AndExpr matches when all of X do.
type AndExpr struct {
	X   []Expr
	Pos Pos
}

// OrExpr matches when any of X does.
type OrExpr struct {
	X   []Expr
	Pos Pos
}

// NotExpr matches when X does not.
type NotExpr struct {
	X   Expr
	Pos Pos
}

// SearchRef names one search.
type SearchRef struct {
	Name  string
	Index int // into Detection.Searches
	Pos   Pos
}

// OfExpr is "1 of x", "all of x", where x is a search name, a name
// pattern with '*', or "them" (every search whose name does not start
// with '_').
type OfExpr struct {
	All      bool   // "all of" rather than "1 of"
	Pattern  string // as written (lower-case "them" for them)
	Searches []int  // the searches it covers: indexes into Detection.Searches, in order
	Pos      Pos
}

func (x *AndExpr) Position() Pos   { return x.Pos }
func (x *OrExpr) Position() Pos    { return x.Pos }
func (x *NotExpr) Position() Pos   { return x.Pos }
func (x *SearchRef) Position() Pos { return x.Pos }
func (x *OfExpr) Position() Pos    { return x.Pos }

func (*AndExpr) isExpr()   {}
func (*OrExpr) isExpr()    {}
func (*NotExpr) isExpr()   {}
func (*SearchRef) isExpr() {}
func (*OfExpr) isExpr()    {}

// IsPattern reports whether x names its searches by a pattern or "them"
// rather than by one search's name.
func (x *OfExpr) IsPattern() bool {
	return x.Pattern == "them" || strings.Contains(x.Pattern, "*")
}
