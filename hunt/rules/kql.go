package rules

import (
	"fmt"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/loghunt/loghunt/hunt"
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
	Path        string   `yaml:"-"`
}

// ParseKQL reads a KQL rule file. A .kql file is the query itself; its
// id and name come from the file name.
func ParseKQL(f File) (*KQL, error) {
	ext := strings.ToLower(path.Ext(f.Name))
	if ext == ".kql" || ext == ".csl" {
		base := strings.TrimSuffix(path.Base(f.Name), path.Ext(f.Name))
		return &KQL{ID: base, Name: base, Query: string(f.Data), Path: f.Path}, nil
	}
	var d KQL
	if err := yaml.Unmarshal(f.Data, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	if strings.TrimSpace(d.Query) == "" {
		return nil, fmt.Errorf("%s: no query", f.Path)
	}
	if d.Name == "" {
		d.Name = strings.TrimSuffix(path.Base(f.Name), path.Ext(f.Name))
	}
	if d.ID == "" {
		d.ID = d.Name
	}
	d.Path = f.Path
	return &d, nil
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
	return &hunt.Rule{ID: d.ID, Title: d.Name, Level: severityLevel(d.Severity), Engine: "kql", Path: d.Path, Tags: tags, Description: d.Description}
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
