// Package yamldoc holds what the rule, tuning and Sigma loaders share of
// gopkg.in/yaml.v3: the documents of a file (Documents), and the line of a
// syntax error, which yaml.v3 reports only as text ("yaml: line 5: ...").
package yamldoc

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// Documents decodes every YAML document of data and returns the top node
// of each, leaving out empty documents (a trailing "---"). On a document
// that does not parse it returns the documents before it and the parser's
// error.
func Documents(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, err
		}
		if n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
			continue
		}
		top := n.Content[0]
		if top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
			continue // empty document, e.g. a trailing "---"
		}
		docs = append(docs, top)
	}
}

// Line returns the line yaml.v3 names in err's text ("line N"), or 0 when
// there is none or it is absurd (over 2^30).
func Line(err error) int {
	if err == nil {
		return 0
	}
	s := err.Error()
	i := strings.Index(s, "line ")
	if i < 0 {
		return 0
	}
	n, digits := 0, 0
	for _, c := range s[i+len("line "):] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
		digits++
		if n > 1<<30 {
			return 0
		}
	}
	if digits == 0 {
		return 0
	}
	return n
}
