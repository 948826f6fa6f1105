package rules

import (
	"errors"
	"path"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/internal/yamldoc"
)

// KQL is a KQL rule as read from a file: a Sentinel hunting-query
// YAML (id, name, description, severity, tactics, relevantTechniques,
// requiredDataConnectors, query), or a bare .kql file.
type KQL struct {
	ID          string   `yaml:"id"`
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Severity    string   `yaml:"severity"`
	Tactics     []string `yaml:"tactics"`
	Techniques  []string `yaml:"relevantTechniques"`
	Query       string   `yaml:"query"`
	// Status is the rule's status in Sigma's terms, a loghunt extension
	// of the Sentinel shape: "unsupported" keeps a query that cannot fire
	// as written out of hunts unless named (see Selection).
	Status string `yaml:"status"`
	// DetectionID is the id of the detection this query is a form of
	// (the Sigma rule it was translated from), a loghunt extension: its
	// hits merge with that rule's on the same event. "" means ID.
	DetectionID string `yaml:"detectionId"`
	Path        string `yaml:"-"`
	// Line and Column are where the query text starts in the file
	// (1-based): 1:1 in a .kql file, the first content line of a YAML
	// block scalar. Zero when the query is not from a file (the command
	// line): positions in the query are then the only ones.
	Line, Column int `yaml:"-"`
	// perLine says each line of Query is a line of the file, indented by
	// Column-1 (a .kql file, a literal block scalar "query: |"). Otherwise
	// only the first firstLen characters of Query are where they are in
	// the file, from Line:Column on.
	perLine  bool
	firstLen int
}

// ErrNoQuery is the cause of a Sentinel YAML file without a query.
var ErrNoQuery = errors.New("no query")

// FilePos turns a 1-based position in Query into the position in the file.
// It is exact for a .kql file and a literal block scalar ("query: |"),
// which Sentinel files use, and for any position on the first line of
// other scalars. The lines of a folded (">") or multi-line flow scalar are
// joined in Query, so a position past its first line is reported at the
// start of the query.
func (d *KQL) FilePos(line, col int) (int, int) {
	switch {
	case d.Line == 0:
		return line, col
	case d.perLine:
		return d.Line + line - 1, d.Column - 1 + col
	case line == 1 && col <= d.firstLen:
		return d.Line, d.Column - 1 + col
	}
	return d.Line, d.Column
}

// ParseKQL reads a KQL rule file. A .kql file is the query itself; its
// id and name come from the file name. The error is a hunt.Skipped with
// the line of the problem when known and its cause (a YAML error,
// ErrNoQuery).
func ParseKQL(f File) (*KQL, error) {
	ext := strings.ToLower(path.Ext(f.Name))
	if ext == ".kql" || ext == ".csl" {
		base := strings.TrimSuffix(path.Base(f.Name), path.Ext(f.Name))
		return &KQL{ID: base, Name: base, Query: string(f.Data), Path: f.Path, Line: 1, Column: 1, perLine: true}, nil
	}
	fail := func(line int, err error) error {
		return hunt.Skipped{Path: f.Path, Line: line, Reason: err.Error(), Err: err}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(f.Data, &doc); err != nil {
		return nil, fail(yamldoc.Line(err), err)
	}
	var d KQL
	var top *yaml.Node
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		top = doc.Content[0]
		if err := top.Decode(&d); err != nil {
			return nil, fail(yamldoc.Line(err), err)
		}
	}
	q := queryNode(top)
	if strings.TrimSpace(d.Query) == "" {
		line := 0
		if q != nil {
			line = q.Line
		}
		return nil, fail(line, ErrNoQuery)
	}
	d.Line, d.Column, d.perLine, d.firstLen = queryStart(q, f.Data)
	if d.Name == "" {
		d.Name = strings.TrimSuffix(path.Base(f.Name), path.Ext(f.Name))
	}
	if d.ID == "" {
		d.ID = d.Name
	}
	d.Path = f.Path
	return &d, nil
}

// queryNode returns the value node of the top-level "query" key, or nil.
func queryNode(top *yaml.Node) *yaml.Node {
	if top == nil || top.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "query" {
			return top.Content[i+1]
		}
	}
	return nil
}

// queryStart finds where the text of the query scalar q starts in data,
// and whether its lines are the file's (perLine) or how many of its first
// characters are on the first line (firstLen). yaml.v3 puts a block
// scalar's node at its indicator ("|", ">"); its content starts on the next
// line, indented by the indentation of its first non-blank line (or the
// explicit indentation indicator).
func queryStart(q *yaml.Node, data []byte) (line, col int, perLine bool, firstLen int) {
	lines := strings.Split(string(data), "\n")
	rest := func(line, col int) int { // characters on line from col on
		if line < 1 || line > len(lines) {
			return 0
		}
		return max(utf8.RuneCountInString(strings.TrimRight(lines[line-1], "\r"))-col+1, 0)
	}
	switch q.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		indent := 0
		if q.Line-1 < len(lines) {
			header := lines[q.Line-1]
			header = header[min(max(q.Column-1, 0), len(header)):]
			for _, c := range strings.TrimLeft(header, "|>") {
				if c >= '1' && c <= '9' {
					// Relative to the parent's indentation: the key
					// is top-level, at column 1.
					indent = int(c - '0')
				}
				if c == ' ' || c == '#' {
					break
				}
			}
		}
		if indent == 0 {
			for _, l := range lines[min(q.Line, len(lines)):] {
				if strings.TrimSpace(l) != "" {
					indent = len(l) - len(strings.TrimLeft(l, " "))
					break
				}
			}
		}
		return q.Line + 1, indent + 1, q.Style == yaml.LiteralStyle, rest(q.Line+1, indent+1)
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		// The closing quote is on the line too when the scalar fits.
		return q.Line, q.Column + 1, false, min(rest(q.Line, q.Column+1), utf8.RuneCountInString(q.Value))
	}
	return q.Line, q.Column, false, rest(q.Line, q.Column)
}

// Rule returns the hunt.Rule describing d.
func (d *KQL) Rule() *hunt.Rule {
	var tags []string
	for _, t := range d.Tactics {
		tags = append(tags, "tactic."+t)
	}
	for _, t := range d.Techniques {
		tags = append(tags, "attack."+strings.ToLower(t))
	}
	det := d.DetectionID
	if strings.EqualFold(det, d.ID) {
		det = ""
	}
	return &hunt.Rule{ID: d.ID, Title: d.Name, Level: severityLevel(d.Severity), Engine: "kql", Path: d.Path, Tags: tags, Description: d.Description, Detection: det}
}

// severityLevel maps Sentinel severities onto Sigma levels.
func severityLevel(s string) string {
	switch strings.ToLower(s) {
	case "informational":
		return "informational"
	case "low":
		return "low"
	case "medium":
		return "medium"
	case "high":
		return "high"
	}
	return ""
}
