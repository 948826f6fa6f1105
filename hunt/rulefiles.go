package hunt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// RuleFile is one rule file found under a rules path, read into memory.
type RuleFile struct {
	// Path is the file's path as the user knows it: a filesystem path, or
	// "bundled:sigma/x.yml" for an embedded rule.
	Path string
	// Name is the path inside the fs.FS it was found in.
	Name string
	Data []byte
	Kind RuleKind
}

// RuleKind says which engine a rule file is for.
type RuleKind int

// Rule file kinds.
const (
	NotARule RuleKind = iota
	SigmaRule
	KQLRule
)

func (k RuleKind) String() string {
	switch k {
	case SigmaRule:
		return "sigma"
	case KQLRule:
		return "kql"
	}
	return "not a rule"
}

// ClassifyRule decides from its name and content whether a file is a Sigma
// rule (YAML with detection, correlation or filter), a KQL rule (a .kql
// file, or Sentinel hunting YAML with a query), or neither, and why.
func ClassifyRule(name string, data []byte) (RuleKind, string) {
	ext := strings.ToLower(path.Ext(name))
	switch ext {
	case ".kql", ".csl":
		return KQLRule, ""
	case ".yml", ".yaml":
	default:
		return NotARule, "not a .yml, .yaml or .kql file"
	}
	// Multi-document Sigma files (rule collections) are Sigma; a Sentinel
	// file is one mapping with a query.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var kinds []RuleKind
	for {
		var top map[string]any
		err := dec.Decode(&top)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			// Let the Sigma loader report the precise YAML error.
			return SigmaRule, ""
		}
		switch {
		case top["detection"] != nil || top["correlation"] != nil || top["filter"] != nil || top["logsource"] != nil:
			kinds = append(kinds, SigmaRule)
		case top["query"] != nil:
			kinds = append(kinds, KQLRule)
		case top["action"] != nil:
			kinds = append(kinds, SigmaRule) // collection action document
		}
	}
	switch {
	case len(kinds) == 0:
		return NotARule, "YAML without detection, correlation, filter or query"
	case slices.Contains(kinds, SigmaRule):
		return SigmaRule, ""
	}
	return KQLRule, ""
}

// SkippedFile is a file under a rules path that is not a rule.
type SkippedFile struct {
	Path   string
	Reason string
}

// FindRules reads every rule file under root in fsys (a file or a
// directory, walked recursively in lexical order). label prefixes the
// reported paths. Files that are not rules are returned as skipped with the
// reason; an unreadable file or directory is returned as skipped too.
func FindRules(fsys fs.FS, root, label string) ([]RuleFile, []SkippedFile) {
	var files []RuleFile
	var skipped []SkippedFile
	show := func(p string) string {
		if label == "" {
			return filepath.FromSlash(p)
		}
		return label + p
	}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			skipped = append(skipped, SkippedFile{show(p), err.Error()})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			skipped = append(skipped, SkippedFile{show(p), err.Error()})
			return nil
		}
		kind, why := ClassifyRule(p, data)
		if kind == NotARule {
			// Only complain about files that look like they were meant
			// to be rules; READMEs and licences are silently normal.
			ext := strings.ToLower(path.Ext(p))
			if ext == ".yml" || ext == ".yaml" || p == root {
				skipped = append(skipped, SkippedFile{show(p), why})
			}
			return nil
		}
		files = append(files, RuleFile{Path: show(p), Name: p, Data: data, Kind: kind})
		return nil
	})
	if err != nil {
		skipped = append(skipped, SkippedFile{show(root), err.Error()})
	}
	return files, skipped
}

// FindRulesOnDisk is FindRules for a path given on the command line.
func FindRulesOnDisk(p string) ([]RuleFile, []SkippedFile) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, []SkippedFile{{p, err.Error()}}
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, []SkippedFile{{p, fmt.Sprintf("cannot read rules: %v", err)}}
	}
	dir, root := abs, "."
	if !st.IsDir() {
		dir, root = filepath.Dir(abs), filepath.Base(abs)
	}
	files, skipped := FindRules(os.DirFS(dir), root, "")
	// Report paths as the user wrote them.
	rebase := func(s string) string {
		if root == "." {
			return filepath.Join(p, s)
		}
		return p
	}
	for i := range files {
		files[i].Path = rebase(files[i].Name)
	}
	for i := range skipped {
		skipped[i].Path = rebase(filepath.ToSlash(skipped[i].Path))
	}
	return files, skipped
}
