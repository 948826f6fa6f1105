package sigma

import (
	"errors"
	"fmt"
	"strings"
)

// Kind says what a loaded rule document is.
type Kind uint8

const (
	// KindDetection is an ordinary Sigma rule with a detection section.
	KindDetection Kind = iota
	// KindCorrelation is a Sigma correlation (meta) rule.
	KindCorrelation
	// KindFilter is a Sigma filter rule that suppresses matches of the
	// rules it names.
	KindFilter
)

func (k Kind) String() string {
	switch k {
	case KindDetection:
		return "detection"
	case KindCorrelation:
		return "correlation"
	case KindFilter:
		return "filter"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Logsource is a rule's logsource section.
type Logsource struct {
	Category   string `yaml:"category"`
	Product    string `yaml:"product"`
	Service    string `yaml:"service"`
	Definition string `yaml:"definition"`
}

func (l Logsource) String() string {
	var parts []string
	for _, kv := range [][2]string{{"product", l.Product}, {"category", l.Category}, {"service", l.Service}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, " ")
}

// RelatedRule is one entry of a rule's related section.
type RelatedRule struct {
	ID   string `yaml:"id"`
	Type string `yaml:"type"`
}

// Rule is the metadata of one loaded rule. It is immutable after loading and
// shared by every Match of the rule.
type Rule struct {
	ID             string
	Name           string // the optional "name" used by correlations
	Title          string
	Status         string
	Level          string // lower-case, "" when the rule gives none
	Description    string
	Author         string
	Date           string
	Modified       string
	References     []string
	Tags           []string
	FalsePositives []string
	Fields         []string
	Related        []RelatedRule
	Logsource      Logsource
	Kind           Kind

	// Path is the file the rule was read from, as the source named it
	// (for an embedded fs.FS, the path inside it). Line is the 1-based
	// line of the rule's document.
	Path string
	Line int

	// Generate is false for a detection rule whose matches are only input
	// to correlations (it was referenced by correlations that all have
	// generate: false, or it was loaded only because a selected
	// correlation needs it). Callers print hits of such rules only on
	// request. Correlation rules always have Generate set.
	Generate bool

	detection *Detection
}

// Detection returns the rule's detection tree: its detection section for a
// detection rule (a legacy "| count()" rule run as a correlation shares
// its base rule's), its filter section for a filter rule, nil for a
// correlation rule. The compiled matcher was built from this tree; it must
// not be modified.
func (r *Rule) Detection() *Detection { return r.detection }

// Sentinel errors wrapped by LoadError.
var (
	ErrYAML          = errors.New("invalid rule YAML")
	ErrCondition     = errors.New("invalid condition")
	ErrModifier      = errors.New("unsupported modifier")
	ErrValue         = errors.New("invalid value")
	ErrRegexp        = errors.New("unsupported regular expression")
	ErrUnsupported   = errors.New("unsupported construct")
	ErrReference     = errors.New("unknown rule reference")
	ErrDuplicateID   = errors.New("duplicate rule id")
	ErrPlaceholder   = errors.New("undefined placeholder")
	ErrCorrelation   = errors.New("invalid correlation")
	ErrFilter        = errors.New("invalid filter")
	ErrUnreadable    = errors.New("unreadable rule source")
	ErrLogsourceNone = errors.New("logsource routes to no event")
)

// LoadError says why one rule (or one rule file) was not loaded, and where.
type LoadError struct {
	Path   string
	Line   int // 1-based, 0 if unknown
	Column int // 1-based, 0 if unknown
	RuleID string
	Title  string
	Err    error
}

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	if e.RuleID != "" {
		fmt.Fprintf(&b, " (%s)", e.RuleID)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *LoadError) Unwrap() error { return e.Err }

// FieldValue is one field value that made a search match.
type FieldValue struct {
	Field string
	Value string
}

// Match is one rule matching one event.
//
// A Match passed to a callback is owned by the Ruleset and only valid during
// the call; use Clone to keep it.
type Match struct {
	Rule *Rule
	// Searches names the searches that matched and count toward the
	// condition (searches only used under "not" are left out), in the
	// order the rule defines them.
	Searches []string
	// Values lists, for those searches, the field values that matched.
	// Keyword matches use the field the keyword was found in.
	Values []FieldValue
}

// Clone returns a copy of m that stays valid after the callback returns
// and after the event's parser reuses its memory: the matched values (event
// strings) are copied.
func (m *Match) Clone() *Match {
	c := *m
	c.Searches = append([]string(nil), m.Searches...)
	c.Values = make([]FieldValue, len(m.Values))
	for i, v := range m.Values {
		c.Values[i] = FieldValue{Field: v.Field, Value: strings.Clone(v.Value)}
	}
	return &c
}
