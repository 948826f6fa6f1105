package hunt

import (
	"fmt"
	"strings"
)

// Skipped is an input or a rule that was left out, and why: a path that is
// not a log, an unreadable file, a rule file that does not load or a rule
// the selection dropped. It is an error, so that errors.Is and errors.As
// reach the typed cause in Err (a zip bomb, a KQL syntax error...).
type Skipped struct {
	// Path is the file as the user knows it: a file system path, or
	// "bundled:sigma/x.yml" for an embedded rule.
	Path string `json:"path"`
	// Line and Column are 1-based positions in the file, 0 when the
	// reason is about the whole file.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// RuleID names the rule inside the file, when known.
	RuleID string `json:"rule_id,omitempty"`
	// Reason says why, for people. When empty, Err's text is the reason.
	Reason string `json:"reason"`
	// Err is the typed cause, when there is one; nil otherwise.
	Err error `json:"-"`
}

// Why returns the reason: Reason, or Err's text when Reason is empty.
func (s Skipped) Why() string {
	if s.Reason == "" && s.Err != nil {
		return s.Err.Error()
	}
	return s.Reason
}

// Error returns "path:line:column: [id] reason", leaving out what is not
// known.
func (s Skipped) Error() string {
	var b strings.Builder
	b.WriteString(s.Path)
	if s.Line > 0 {
		fmt.Fprintf(&b, ":%d", s.Line)
		if s.Column > 0 {
			fmt.Fprintf(&b, ":%d", s.Column)
		}
	}
	if s.RuleID != "" {
		fmt.Fprintf(&b, " [%s]", s.RuleID)
	}
	b.WriteString(": ")
	b.WriteString(s.Why())
	return b.String()
}

// Unwrap returns the typed cause.
func (s Skipped) Unwrap() error { return s.Err }
