package sigma

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// rawDoc is one YAML document of a rule file, before compilation.
type rawDoc struct {
	path string
	node *yaml.Node // the document's top mapping
	meta rawMeta
	kind Kind
	// detection is a filter rule's filter tree, once compiled.
	detection *Detection
}

// rawMeta is the metadata every rule kind shares.
type rawMeta struct {
	Title          string        `yaml:"title"`
	ID             string        `yaml:"id"`
	Name           string        `yaml:"name"`
	Status         string        `yaml:"status"`
	Description    string        `yaml:"description"`
	Author         string        `yaml:"author"`
	Level          string        `yaml:"level"`
	Date           string        `yaml:"date"`
	Modified       string        `yaml:"modified"`
	References     stringList    `yaml:"references"`
	Tags           stringList    `yaml:"tags"`
	FalsePositives stringList    `yaml:"falsepositives"`
	Fields         stringList    `yaml:"fields"`
	Logsource      Logsource     `yaml:"logsource"`
	Generate       *bool         `yaml:"generate"`
	Related        []RelatedRule `yaml:"related"`
}

// stringList accepts a scalar or a list of scalars; other shapes are
// ignored (metadata never blocks a rule from loading).
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() != "!!null" {
			*l = stringList{n.Value}
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if c = resolveAlias(c); c.Kind == yaml.ScalarNode {
				*l = append(*l, c.Value)
			}
		}
	}
	return nil
}

// lookup returns the value node of key in mapping m, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return resolveAlias(m.Content[i+1])
		}
	}
	return nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// classify decodes a document's metadata and decides its kind.
func classify(path string, n *yaml.Node) (*rawDoc, *LoadError) {
	d := &rawDoc{path: path, node: n}
	if n.Kind != yaml.MappingNode {
		return nil, errAt(path, n, ErrYAML, "a rule document must be a mapping, got %s", kindName(n))
	}
	if err := n.Decode(&d.meta); err != nil {
		return nil, errAt(path, n, ErrYAML, "metadata: %v", err)
	}
	switch {
	case lookup(n, "correlation") != nil:
		d.kind = KindCorrelation
	case lookup(n, "filter") != nil && lookup(n, "detection") == nil:
		d.kind = KindFilter
	case lookup(n, "detection") != nil:
		d.kind = KindDetection
	case lookup(n, "action") != nil:
		return nil, errAt(path, n, ErrUnsupported, "legacy multi-document 'action: %s' collections are not supported", lookup(n, "action").Value)
	default:
		return nil, errAt(path, n, ErrYAML, "document has neither detection, correlation nor filter")
	}
	if strings.TrimSpace(d.meta.Title) == "" {
		return nil, errAt(path, n, ErrYAML, "missing title")
	}
	return d, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a scalar"
	}
	return "nothing"
}

// errAt builds a LoadError positioned at node n.
func errAt(path string, n *yaml.Node, sentinel error, format string, args ...any) *LoadError {
	e := &LoadError{Path: path, Err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// errAtPos builds a LoadError positioned at p.
func errAtPos(path string, p Pos, sentinel error, format string, args ...any) *LoadError {
	return &LoadError{Path: path, Line: p.Line, Column: p.Column, Err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))}
}
