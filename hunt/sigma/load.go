package sigma

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/loghunt/loghunt/internal/yamldoc"
)

// LoadOptions selects which rules a Loader keeps. The zero value loads every
// rule and uses DefaultPlaceholders.
type LoadOptions struct {
	// Select, when set, decides which detection and correlation rules are
	// kept (filters always are). It returns "" to keep a rule, or the
	// reason it is left out and the name of the option that left it out,
	// which Report.Skipped and Report.SkippedBy record. Rules without a
	// level have level "". Nil keeps every rule. The caller owns the
	// selection's semantics (hunt/rules.Selection), so that Sigma and KQL
	// rules are selected alike.
	Select func(id, name, level, status string, tags []string) (reason, option string)
	// Placeholders gives the values of %name% placeholders in values with
	// the expand modifier. Nil means DefaultPlaceholders(). Names compare
	// case-insensitively. A placeholder with an empty list never matches.
	Placeholders map[string][]string
	// StrictPlaceholders rejects rules using a placeholder that
	// Placeholders does not define. By default such a rule loads, the
	// placeholder matches nothing, and the report carries a warning.
	StrictPlaceholders bool
	// Threads is the number of goroutines Compile compiles rules on;
	// <= 0 means GOMAXPROCS. The Ruleset and the Report do not depend on
	// it.
	Threads int
}

// DefaultPlaceholders returns the standard placeholders of the Sigma
// specification, each defined as an empty list: an environment-specific
// value (administrators, jump servers, workstations, servers, domain
// controllers) that we do not know never matches, so a selection using it
// does not fire and a filter using it does not suppress anything. Users
// give real values through LoadOptions.Placeholders.
func DefaultPlaceholders() map[string][]string {
	return map[string][]string{
		"Administrators":    {},
		"JumpServers":       {},
		"Workstations":      {},
		"Servers":           {},
		"DomainControllers": {},
	}
}

func (o *LoadOptions) placeholders() map[string][]string {
	if o.Placeholders == nil {
		return DefaultPlaceholders()
	}
	return o.Placeholders
}

// Report accounts for every rule document a Loader saw.
type Report struct {
	// Loaded counts loaded rules by kind.
	Detection, Correlation, Filter int
	// Rules lists every loaded rule, in load order.
	Rules []*Rule
	// Failed lists every rule (or file) that was not loaded, with why.
	Failed []*LoadError
	// Skipped lists rules left out by the selection options, with the
	// option that dropped them. Their counts are in SkippedBy.
	Skipped   []Skip
	SkippedBy map[string]int
	// Unrouted lists loaded rules whose logsource has no Windows channel
	// in our routing table: they are only evaluated on events that carry
	// no channel (JSON logs of other shapes).
	Unrouted []Note
	// Warnings lists loaded rules with a caveat (an undefined
	// placeholder, "all" with a single value...).
	Warnings []Note
	// Files counts rule files read.
	Files int
}

// Skip is a rule left out by selection.
type Skip struct {
	Path, RuleID, Title string
	Name                string // the rule's optional name
	Reason              string // e.g. "level low below min-level medium"
}

// Note is a remark about a loaded rule.
type Note struct {
	Path, RuleID, Title string
	Text                string
}

// Total returns the number of rule documents seen, loaded or not (files
// that failed to parse as a whole count once).
func (r *Report) Total() int {
	return r.Detection + r.Correlation + r.Filter + len(r.Failed) + len(r.Skipped)
}

// Loader gathers rules from several sources, then compiles them together
// (correlations and filters may name rules from any source). Add sources,
// then call Compile once. A Loader is not safe for concurrent use.
type Loader struct {
	opts   LoadOptions
	docs   []*rawDoc
	report *Report
}

// NewLoader returns a Loader for opts.
func NewLoader(opts LoadOptions) *Loader {
	return &Loader{opts: opts, report: &Report{SkippedBy: map[string]int{}}}
}

// isRuleFile reports whether a file name looks like a Sigma rule.
func isRuleFile(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".yml" || ext == ".yaml"
}

// AddFS adds every .yml/.yaml file under root in fsys (recursively), or
// root itself if it is a file. Unreadable files are recorded in the
// report; the walk goes on.
func (l *Loader) AddFS(fsys fs.FS, root string) {
	st, err := fs.Stat(fsys, root)
	if err != nil {
		l.fail(&LoadError{Path: root, Err: fmt.Errorf("%w: %v", ErrUnreadable, err)})
		return
	}
	if !st.IsDir() {
		l.addFile(fsys, root, root)
		return
	}
	_ = fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			l.fail(&LoadError{Path: p, Err: fmt.Errorf("%w: %v", ErrUnreadable, err)})
			return nil
		}
		if d.IsDir() || !isRuleFile(p) {
			return nil
		}
		l.addFile(fsys, p, p)
		return nil
	})
}

// AddPath adds a rule file or a directory of rules from the local file
// system. A single file is read whatever its extension.
func (l *Loader) AddPath(p string) {
	st, err := os.Stat(p)
	if err != nil {
		l.fail(&LoadError{Path: p, Err: fmt.Errorf("%w: %v", ErrUnreadable, err)})
		return
	}
	if !st.IsDir() {
		dir, base := filepath.Split(p)
		if dir == "" {
			dir = "."
		}
		l.addFile(os.DirFS(dir), base, p)
		return
	}
	_ = filepath.WalkDir(p, func(fp string, d fs.DirEntry, err error) error {
		if err != nil {
			l.fail(&LoadError{Path: fp, Err: fmt.Errorf("%w: %v", ErrUnreadable, err)})
			return nil
		}
		if d.IsDir() || !isRuleFile(fp) {
			return nil
		}
		data, err := os.ReadFile(fp)
		if err != nil {
			l.fail(&LoadError{Path: fp, Err: fmt.Errorf("%w: %v", ErrUnreadable, err)})
			return nil
		}
		l.AddBytes(fp, data)
		return nil
	})
}

// maxRuleFile bounds a rule file's size; real rules are a few KiB.
const maxRuleFile = 8 << 20

func (l *Loader) addFile(fsys fs.FS, name, display string) {
	f, err := fsys.Open(name)
	if err != nil {
		l.fail(&LoadError{Path: display, Err: fmt.Errorf("%w: %v", ErrUnreadable, err)})
		return
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > maxRuleFile {
		l.fail(&LoadError{Path: display, Err: fmt.Errorf("%w: %d bytes is over the %d byte limit for a rule file", ErrUnreadable, st.Size(), maxRuleFile)})
		return
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		l.fail(&LoadError{Path: display, Err: fmt.Errorf("%w: %v", ErrUnreadable, err)})
		return
	}
	l.AddBytes(display, data)
}

// AddBytes adds the rule documents of one file's contents; name is used in
// reports and Rule.Path.
func (l *Loader) AddBytes(name string, data []byte) {
	if len(data) > maxRuleFile {
		l.report.Files++
		l.fail(&LoadError{Path: name, Err: fmt.Errorf("%w: %d bytes is over the %d byte limit for a rule file", ErrUnreadable, len(data), maxRuleFile)})
		return
	}
	docs, err := yamldoc.Documents(data)
	l.AddDocs(name, docs, err)
}

// AddDocs adds the rule documents of one file that the caller has parsed
// already (hunt/rules parses each file once, to classify it): docs are the
// top nodes of its YAML documents, in order, without empty ones, and err
// the YAML parser's error at the first document that does not parse (docs
// then hold those before it). With what splitDocs makes of the file's
// bytes, it adds what AddBytes adds: the same rules, errors and positions.
// The Loader keeps the nodes until Compile; it does not modify them.
func (l *Loader) AddDocs(name string, docs []*yaml.Node, err error) {
	l.report.Files++
	if err != nil {
		l.fail(&LoadError{Path: name, Err: fmt.Errorf("%w: %v", ErrYAML, err), Line: yamldoc.Line(err)})
	}
	for _, n := range docs {
		d, err := classify(name, n)
		if err != nil {
			err.RuleID, err.Title = idTitle(n)
			l.fail(err)
			continue
		}
		l.docs = append(l.docs, d)
	}
}

func idTitle(n *yaml.Node) (string, string) {
	var id, title string
	if v := lookup(n, "id"); v != nil {
		id = v.Value
	}
	if v := lookup(n, "title"); v != nil {
		title = v.Value
	}
	return id, title
}

func (l *Loader) fail(e *LoadError) { l.report.Failed = append(l.report.Failed, e) }

func (l *Loader) failDoc(d *rawDoc, e *LoadError) {
	if e.Path == "" {
		e.Path = d.path
	}
	if e.RuleID == "" {
		e.RuleID = d.meta.ID
	}
	if e.Title == "" {
		e.Title = d.meta.Title
	}
	if e.Line == 0 {
		e.Line, e.Column = d.node.Line, d.node.Column
	}
	l.fail(e)
}

func (l *Loader) note(d *rawDoc, text string) Note {
	return Note{Path: d.path, RuleID: d.meta.ID, Title: d.meta.Title, Text: text}
}

// selected applies LoadOptions.Select to a detection or correlation rule;
// it returns "" to keep the rule, or the reason it is skipped and the option
// that skipped it.
func (l *Loader) selected(d *rawDoc) (reason, option string) {
	if l.opts.Select == nil {
		return "", ""
	}
	return l.opts.Select(d.meta.ID, d.meta.Name, d.meta.Level, d.meta.Status, d.meta.Tags)
}

func (d *rawDoc) toRule() *Rule {
	m := &d.meta
	return &Rule{
		ID: m.ID, Name: m.Name, Title: m.Title, Status: strings.ToLower(m.Status),
		Level: strings.ToLower(m.Level), Description: m.Description, Author: m.Author,
		Date: m.Date, Modified: m.Modified, References: m.References, Tags: m.Tags,
		FalsePositives: m.FalsePositives, Fields: m.Fields, Related: m.Related,
		Logsource: m.Logsource, Kind: d.kind, Path: d.path, Line: d.node.Line,
		Generate: true,
	}
}

// Load is a shortcut: one fs.FS source, compiled.
func Load(fsys fs.FS, root string, opts LoadOptions) (*Ruleset, *Report) {
	l := NewLoader(opts)
	l.AddFS(fsys, root)
	return l.Compile()
}
