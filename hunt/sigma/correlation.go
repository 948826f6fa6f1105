package sigma

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// correlation is a compiled Sigma correlation rule.
type correlation struct {
	rule *Rule
}

// correlationRefs lists the rule ids/names a correlation document names.
func correlationRefs(n *yaml.Node) []string {
	c := lookup(n, "correlation")
	rules := lookup(c, "rules")
	if rules == nil {
		return nil
	}
	var out []string
	if rules.Kind == yaml.ScalarNode {
		return []string{rules.Value}
	}
	for _, r := range rules.Content {
		if r = resolveAlias(r); r.Kind == yaml.ScalarNode {
			out = append(out, r.Value)
		}
	}
	return out
}

func (rs *Ruleset) compileCorrelation(d *rawDoc, resolve func(string) (*Rule, *LoadError)) (*correlation, *LoadError) {
	return nil, errAt(d.path, lookup(d.node, "correlation"), ErrUnsupported, "correlation rules are not supported yet")
}

func legacyCorrelation(cr *compiledRule, d *rawDoc) (*correlation, *LoadError) {
	return nil, errAt(d.path, cr.det.aggNode, ErrUnsupported, "aggregation conditions are not supported yet")
}

func (rs *Ruleset) applyGenerate() {}

var _ = fmt.Sprint
