package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/loghunt/loghunt/hunt"
)

// BundledPrefix marks the paths of embedded rules in reports.
const BundledPrefix = "bundled:"

// ErrUnknownLevel is wrapped by the error of a selection whose MinLevel is
// not a level.
var ErrUnknownLevel = errors.New("unknown level")

// Selection narrows the rules that run, for Sigma and KQL alike. The zero
// value keeps every rule.
type Selection struct {
	MinLevel   string   // informational, low, medium, high, critical; "" = all
	Status     []string // keep rules with one of these statuses; empty = all
	Tags       []string // keep rules with one of these tags; empty = all
	ExcludeIDs []string // leave these rule ids (or Sigma names) out
}

// Meta is what a selection looks at in a rule.
type Meta struct {
	ID, Name string // Name is a Sigma rule's name; KQL rules have none
	Level    string // "" counts as informational
	Status   string
	Tags     []string
	// NoStatus says the rule kind has no status (KQL): --status keeps it.
	NoStatus bool
}

// The option names Why returns, as the summary and "rules check" count them.
const (
	OptExclude  = "exclude"
	OptMinLevel = "min-level"
	OptStatus   = "status"
	OptTags     = "tags"
)

var levels = []string{"informational", "low", "medium", "high", "critical"}

// ValidLevel reports whether s names a Sigma level.
func ValidLevel(s string) bool {
	return slices.ContainsFunc(levels, func(l string) bool { return strings.EqualFold(s, l) })
}

// levelRank ranks a level; unknown levels and "" rank as informational.
func levelRank(s string) int {
	return max(slices.IndexFunc(levels, func(l string) bool { return strings.EqualFold(s, l) }), 0)
}

// Validate checks the selection once, before it is applied.
func (s Selection) Validate() error {
	if s.MinLevel != "" && !ValidLevel(s.MinLevel) {
		return fmt.Errorf("%w %q (want informational, low, medium, high or critical)", ErrUnknownLevel, s.MinLevel)
	}
	return nil
}

// Why returns "" to keep a rule, or the reason it is left out ("level low
// below min-level medium") and the option that left it out (OptExclude,
// OptMinLevel, OptStatus or OptTags). The options are checked in that
// order; the first that drops the rule is its reason.
func (s Selection) Why(m Meta) (reason, option string) {
	for _, x := range s.ExcludeIDs {
		if x != "" && (strings.EqualFold(x, m.ID) || strings.EqualFold(x, m.Name)) {
			return "excluded by id", OptExclude
		}
	}
	if s.MinLevel != "" && levelRank(m.Level) < levelRank(s.MinLevel) {
		lv := strings.ToLower(m.Level)
		if lv == "" {
			lv = "(none)"
		}
		return fmt.Sprintf("level %s below min-level %s", lv, strings.ToLower(s.MinLevel)), OptMinLevel
	}
	if len(s.Status) > 0 && !m.NoStatus && !slices.ContainsFunc(s.Status, func(x string) bool { return strings.EqualFold(x, m.Status) }) {
		st := m.Status
		if st == "" {
			st = "(none)"
		}
		return fmt.Sprintf("status %s not in %s", st, strings.Join(s.Status, ",")), OptStatus
	}
	if len(s.Tags) > 0 && !slices.ContainsFunc(m.Tags, func(t string) bool {
		return slices.ContainsFunc(s.Tags, func(want string) bool { return strings.EqualFold(t, want) })
	}) {
		return "no tag in " + strings.Join(s.Tags, ","), OptTags
	}
	return "", ""
}

// KQLMeta is what a selection looks at in a KQL rule: its id, level (from
// the Sentinel severity) and tags; it has no name or status.
func KQLMeta(r *hunt.Rule) Meta {
	return Meta{ID: r.ID, Level: r.Level, Tags: r.Tags, NoStatus: true}
}
