// Package tuning reads tuning files: exclusions that suppress the known
// false positives of a site, written in the Sigma detection language.
//
// A tuning file (--tuning FILE) is YAML:
//
//	exclusions:                 # per-rule exclusions
//	  - name: veeam-backup-jobs  # unique; the summary counts hits by it
//	    description: Veeam's scheduled backups archive with 7za
//	    rules: [ae8a5c5d-4cfb-4a59-9adb-eb6c6c219620]  # rule ids
//	    detection:               # a Sigma detection over the hit's event
//	      parent:
//	        ParentImage|endswith: '\veeambackup.exe'
//	      condition: parent
//	global:                     # exclusions for the hits of every rule
//	  - name: lab-machines
//	    detection:
//	      lab:
//	        Computer|startswith: 'LAB-'
//	      condition: lab
//
// Entry points: Load (or Parse) reads and compiles a file once; its errors
// are *Error values with the file, line and column. A Set is immutable and
// safe for concurrent use; Set.Filter returns the hunt.HitFilter that
// suppresses the hits an exclusion matches and counts them per exclusion.
//
// Semantics: a hit is suppressed by the first exclusion, in file order
// (per-rule ones, then global ones), whose rules name the hit's rule (by
// id or detection id, case-insensitively; global exclusions name
// every rule) and whose detection matches the hit's event. The detection
// is compiled by hunt/sigma (CompileDetection): Sigma's modifiers,
// case-insensitive strings, and the Security 4688 field mapping, so
// ParentImage covers Sysmon 1 and 4688 alike. A Sigma hit's event is the
// log event; a KQL hit's is its result row (the query's columns); a
// correlation hit has no event of its own and is never suppressed.
package tuning

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"gopkg.in/yaml.v3"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/sigma"
	"github.com/loghunt/loghunt/internal/yamldoc"
)

// MaxFileSize bounds a tuning file; real ones are a few KiB.
const MaxFileSize = 8 << 20

// Sentinel causes wrapped by Error.
var (
	ErrSyntax    = errors.New("invalid tuning file")
	ErrDetection = errors.New("invalid exclusion detection")
	ErrTooLarge  = errors.New("tuning file too large")
)

// Error is a problem in a tuning file, at its position (1-based; zero when
// unknown). errors.Is matches its cause: ErrSyntax, ErrDetection (which
// also wraps the hunt/sigma cause, e.g. sigma.ErrModifier), ErrTooLarge or
// an I/O error.
type Error struct {
	Path         string
	Line, Column int
	Err          error
}

func (e *Error) Error() string {
	pos := e.Path
	switch {
	case e.Line > 0 && e.Column > 0:
		pos = fmt.Sprintf("%s:%d:%d", e.Path, e.Line, e.Column)
	case e.Line > 0:
		pos = fmt.Sprintf("%s:%d", e.Path, e.Line)
	}
	return pos + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Exclusion is one exclusion of a tuning file.
type Exclusion struct {
	Name        string
	Description string
	// Rules are the rule ids (or detection ids: a Sigma rule's id covers
	// its KQL twins) the exclusion applies to; empty for a global one.
	Rules  []string
	Global bool
	// Line and Column are where the exclusion starts in the file.
	Line, Column int
	// RulePos are the positions of Rules' entries.
	RulePos [][2]int

	match *sigma.EventMatcher
}

// Set is the compiled exclusions of one tuning file.
type Set struct {
	Path       string
	Exclusions []*Exclusion // per-rule ones in file order, then global ones
}

// Options configure Parse.
type Options struct {
	// Placeholders gives the values of %name% placeholders (the expand
	// modifier), as for rules. Nil: Sigma's default (each matches nothing).
	Placeholders map[string][]string
}

// Load reads and compiles the tuning file at path.
func Load(path string, opts Options) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	if len(data) > MaxFileSize {
		return nil, &Error{Path: path, Err: fmt.Errorf("%w: over the %d byte limit", ErrTooLarge, MaxFileSize)}
	}
	return Parse(path, data, opts)
}

// Parse compiles a tuning file's content; path names it in errors. The
// first problem in the file is returned.
func Parse(path string, data []byte, opts Options) (*Set, error) {
	fail := func(n *yaml.Node, format string, args ...any) error {
		e := &Error{Path: path, Err: fmt.Errorf("%w: %s", ErrSyntax, fmt.Sprintf(format, args...))}
		if n != nil {
			e.Line, e.Column = n.Line, n.Column
		}
		return e
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fail(nil, "the file is empty; want exclusions: and/or global:")
		}
		e := &Error{Path: path, Err: fmt.Errorf("%w: %v", ErrSyntax, err)}
		e.Line = yamldoc.Line(err)
		return nil, e
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil {
		return nil, fail(&more, "one YAML document expected; this file has more")
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fail(top, "want a mapping with exclusions: and/or global:")
	}
	s := &Set{Path: path}
	names := map[string]*Exclusion{}
	var global []*Exclusion
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		isGlobal := false
		switch k.Value {
		case "exclusions":
		case "global":
			isGlobal = true
		default:
			return nil, fail(k, "unknown key %q (want exclusions or global)", k.Value)
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue
		}
		if v.Kind != yaml.SequenceNode {
			return nil, fail(v, "%s: want a list of exclusions", k.Value)
		}
		for _, en := range v.Content {
			ex, err := parseExclusion(path, en, isGlobal, opts, fail)
			if err != nil {
				return nil, err
			}
			if prev, dup := names[strings.ToLower(ex.Name)]; dup {
				return nil, fail(en, "exclusion name %q is already used at line %d", ex.Name, prev.Line)
			}
			names[strings.ToLower(ex.Name)] = ex
			if isGlobal {
				global = append(global, ex)
			} else {
				s.Exclusions = append(s.Exclusions, ex)
			}
		}
	}
	s.Exclusions = append(s.Exclusions, global...)
	return s, nil
}

func parseExclusion(path string, n *yaml.Node, global bool, opts Options, fail func(*yaml.Node, string, ...any) error) (*Exclusion, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fail(n, "an exclusion is a mapping with name, rules and detection")
	}
	ex := &Exclusion{Global: global, Line: n.Line, Column: n.Column}
	var det, rulesNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "name":
			if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
				return nil, fail(v, "name: want a non-empty string")
			}
			ex.Name = strings.TrimSpace(v.Value)
		case "description":
			if v.Kind != yaml.ScalarNode {
				return nil, fail(v, "description: want a string")
			}
			ex.Description = v.Value
		case "rules", "rule":
			rulesNode = k
			if global {
				return nil, fail(k, "a global exclusion applies to every rule: move it under exclusions: to name rules")
			}
			items := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				items = v.Content
			}
			for _, r := range items {
				if r.Kind != yaml.ScalarNode || strings.TrimSpace(r.Value) == "" {
					return nil, fail(r, "%s: want rule ids", k.Value)
				}
				ex.Rules = append(ex.Rules, strings.TrimSpace(r.Value))
				ex.RulePos = append(ex.RulePos, [2]int{r.Line, r.Column})
			}
		case "detection":
			det = v
		default:
			return nil, fail(k, "unknown key %q in an exclusion (want name, description, rules, detection)", k.Value)
		}
	}
	switch {
	case ex.Name == "":
		return nil, fail(n, "the exclusion has no name")
	case !global && len(ex.Rules) == 0 && rulesNode == nil:
		return nil, fail(n, "exclusion %q names no rules: add rules: [id, ...], or put it under global:", ex.Name)
	case !global && len(ex.Rules) == 0:
		return nil, fail(rulesNode, "exclusion %q: rules is empty", ex.Name)
	case det == nil:
		return nil, fail(n, "exclusion %q has no detection", ex.Name)
	}
	m, err := sigma.CompileDetection(path, det, sigma.LoadOptions{Placeholders: opts.Placeholders})
	if err != nil {
		e := &Error{Path: path, Err: fmt.Errorf("%w: exclusion %q: %w", ErrDetection, ex.Name, err)}
		var le *sigma.LoadError
		if errors.As(err, &le) {
			e.Line, e.Column = le.Line, le.Column
			e.Err = fmt.Errorf("%w: exclusion %q: %w", ErrDetection, ex.Name, le.Err)
		}
		return nil, e
	}
	ex.match = m
	return ex, nil
}

// appliesTo reports whether the exclusion covers the hits of rule r.
func (ex *Exclusion) appliesTo(r *hunt.Rule) bool {
	if ex.Global {
		return true
	}
	return slices.ContainsFunc(ex.Rules, func(id string) bool {
		return strings.EqualFold(id, r.ID) || strings.EqualFold(id, r.DetectionKey())
	})
}

// Match returns the first exclusion that suppresses h, or nil.
func (s *Set) Match(h *hunt.Hit) *Exclusion {
	if h.Event == nil {
		return nil
	}
	for _, ex := range s.Exclusions {
		if ex.appliesTo(h.Rule) && ex.match.Match(h.Event) {
			return ex
		}
	}
	return nil
}

// UnknownRules returns one message per rule reference that names no
// loaded rule (known says whether an id, name or detection id is loaded),
// at its position in the file: the exclusion can never apply.
func (s *Set) UnknownRules(known func(ref string) bool) []string {
	var out []string
	for _, ex := range s.Exclusions {
		for i, r := range ex.Rules {
			if !known(r) {
				out = append(out, fmt.Sprintf("%s:%d:%d: exclusion %q names rule %q, which is not loaded", s.Path, ex.RulePos[i][0], ex.RulePos[i][1], ex.Name, r))
			}
		}
	}
	return out
}

// Count is how many hits one exclusion suppressed.
type Count struct {
	Name string `json:"name"`
	Hits int64  `json:"hits"`
}

// Filter is the hunt.HitFilter of a Set: it drops the hits an exclusion
// matches and counts them per exclusion. It is safe for concurrent use.
type Filter struct {
	set    *Set
	counts []atomic.Int64
}

// Filter returns a new Filter over s, with its counts at zero.
func (s *Set) Filter() *Filter {
	return &Filter{set: s, counts: make([]atomic.Int64, len(s.Exclusions))}
}

// Suppress returns the exclusion that suppresses h, counting it, or nil.
func (f *Filter) Suppress(h *hunt.Hit) *Exclusion {
	ex := f.set.Match(h)
	if ex != nil {
		f.counts[slices.Index(f.set.Exclusions, ex)].Add(1)
	}
	return ex
}

// Keep implements hunt.HitFilter: it keeps the hits no exclusion matches.
func (f *Filter) Keep(h *hunt.Hit) bool { return f.Suppress(h) == nil }

// Counts returns the hits suppressed so far by each exclusion, in the
// order of the Set, zeros included.
func (f *Filter) Counts() []Count {
	out := make([]Count, len(f.set.Exclusions))
	for i, ex := range f.set.Exclusions {
		out[i] = Count{Name: ex.Name, Hits: f.counts[i].Load()}
	}
	return out
}
