package hunt

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
	"github.com/loghunt/loghunt/hunt/sigma"
	"github.com/loghunt/loghunt/rulepacks"
	"gopkg.in/yaml.v3"
)

// Selection narrows the rules that run.
type Selection struct {
	MinLevel   string   // informational, low, medium, high, critical; "" = all
	Status     []string // keep rules with one of these statuses; empty = all
	Tags       []string // keep rules with one of these tags; empty = all
	ExcludeIDs []string // leave these rule ids out
}

var levels = []string{"informational", "low", "medium", "high", "critical"}

// ValidLevel reports whether s names a Sigma level.
func ValidLevel(s string) bool {
	for _, l := range levels {
		if strings.EqualFold(s, l) {
			return true
		}
	}
	return false
}

func levelRank(s string) int {
	for i, l := range levels {
		if strings.EqualFold(s, l) {
			return i
		}
	}
	return 0
}

// keep applies the selection to a KQL rule (Sigma applies it itself).
func (s Selection) keep(r *Rule) bool {
	for _, id := range s.ExcludeIDs {
		if strings.EqualFold(id, r.ID) {
			return false
		}
	}
	if s.MinLevel != "" && levelRank(r.Level) < levelRank(s.MinLevel) {
		return false
	}
	if len(s.Tags) > 0 {
		found := false
		for _, t := range s.Tags {
			for _, rt := range r.Tags {
				found = found || strings.EqualFold(t, rt)
			}
		}
		if !found {
			return false
		}
	}
	// KQL rules have no status; --status does not select them out.
	return true
}

// Now says what KQL's now() is.
type Now struct {
	Time      time.Time // pinned instant, when not zero
	Wallclock bool      // the real clock
	// zero value: the newest event timestamp in the input
}

// ParseNow reads a --now value: "", an RFC 3339 time, or "wallclock".
func ParseNow(s string) (Now, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return Now{}, nil
	case "wallclock":
		return Now{Wallclock: true}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return Now{}, fmt.Errorf("--now %q is neither an RFC 3339 time nor 'wallclock'", s)
	}
	return Now{Time: t.UTC()}, nil
}

// Config is everything a hunt run needs. The zero value hunts nothing.
type Config struct {
	Paths      []string // files and directories to hunt
	RulePaths  []string // extra rule files or directories (Sigma or KQL)
	NoBundled  bool     // leave the embedded rulepacks out
	NoSigma    bool     // run no Sigma rules (loghunt kql)
	NoKQL      bool     // run no KQL rules: nothing is kept per event
	Queries    []*KQLRuleDef
	Threads    int
	Carve      bool
	Select     Selection
	ExpandFile string // YAML map of Sigma placeholder values
	Now        Now
	// ShowHidden also outputs hits of Sigma rules that only feed
	// correlations (generate: false).
	ShowHidden bool
}

// bundledPrefix marks the paths of embedded rules in reports.
const bundledPrefix = "bundled:"

// Plan is a prepared hunt: inputs found, rules loaded. Run runs it.
type Plan struct {
	Config  Config
	Options Options
	Inputs  []Input
	// SkippedInputs are paths that were not hunted, with why.
	SkippedInputs []SkippedFile
	// SigmaReport accounts for the Sigma rules (nil with NoSigma).
	SigmaReport *sigma.Report
	// KQLRules are the loaded KQL rules; KQLFailed those that were not.
	KQLRules  []*KQLRuleDef
	KQLFailed []SkippedFile
	// RuleFilesSkipped are files under rule paths that are not rules.
	RuleFilesSkipped []SkippedFile
	// Deselected counts rules left out by the selection.
	Deselected int
	// Notes and Warnings are printed in the summary.
	Notes    []string
	Warnings []string

	kql   *kqlEngine
	sigma *sigmaEngine
}

// Prepare loads the rules and finds the inputs. It fails only on a
// configuration error (an unreadable --expand file); bad rules and
// unreadable inputs are recorded in the Plan.
func Prepare(cfg Config) (*Plan, error) {
	p := &Plan{Config: cfg}
	p.Options.Threads = cfg.Threads

	// User rules come first: where a user rule has the id of a bundled
	// one, the user's wins and the bundled copy is noted, not loaded.
	var sigmaFiles, kqlFiles []RuleFile
	add := func(files []RuleFile, skipped []SkippedFile) {
		p.RuleFilesSkipped = append(p.RuleFilesSkipped, skipped...)
		for _, f := range files {
			switch f.Kind {
			case SigmaRule:
				sigmaFiles = append(sigmaFiles, f)
			case KQLRule:
				kqlFiles = append(kqlFiles, f)
			}
		}
	}
	for _, rp := range cfg.RulePaths {
		add(FindRulesOnDisk(rp))
	}
	if !cfg.NoBundled {
		add(FindRules(rulepacks.FS, ".", bundledPrefix))
	}

	if !cfg.NoSigma {
		opts := sigma.LoadOptions{
			MinLevel: cfg.Select.MinLevel, Status: cfg.Select.Status,
			Tags: cfg.Select.Tags, ExcludeIDs: cfg.Select.ExcludeIDs,
		}
		if cfg.ExpandFile != "" {
			ph, err := readPlaceholders(cfg.ExpandFile)
			if err != nil {
				return nil, err
			}
			opts.Placeholders = ph
		}
		se := newSigmaEngine(sigmaFiles, opts, cfg.ShowHidden)
		p.sigma = se
		p.SigmaReport = se.report
		p.Notes = append(p.Notes, se.dropBundledDuplicates()...)
		p.Deselected += len(se.report.Skipped)
		p.Options.Matchers = append(p.Options.Matchers, se)
		if se.correlator != nil {
			p.Options.Finishers = append(p.Options.Finishers, se)
		}
	}

	defs := append([]*KQLRuleDef(nil), cfg.Queries...)
	if cfg.NoKQL {
		p.Deselected += len(kqlFiles)
		kqlFiles = nil
	}
	for _, f := range kqlFiles {
		d, err := ParseKQLRule(f)
		if err != nil {
			p.KQLFailed = append(p.KQLFailed, SkippedFile{f.Path, err.Error()})
			continue
		}
		if !cfg.Select.keep(d.Rule()) {
			p.Deselected++
			continue
		}
		defs = append(defs, d)
	}
	if len(defs) > 0 {
		ke, failed := newKQLEngine(defs, cfg.Now)
		p.kql = ke
		p.KQLFailed = append(p.KQLFailed, failed...)
		for _, r := range ke.rules {
			p.KQLRules = append(p.KQLRules, r.def)
		}
		if len(ke.rules) > 0 {
			p.Options.Observers = append(p.Options.Observers, ke)
			p.Options.Finishers = append(p.Options.Finishers, ke)
		}
	}

	p.Inputs, p.SkippedInputs = Discover(cfg.Paths, DiscoverOptions{Carve: cfg.Carve})
	return p, nil
}

// TotalBytes is the size of every input, for progress.
func (p *Plan) TotalBytes() int64 {
	var n int64
	for _, in := range p.Inputs {
		n += in.Size
	}
	return n
}

// Run hunts. The Result's hits are sorted; the plan's Notes and Warnings
// gain what the run learnt (KQL's now(), semantic warnings).
func (p *Plan) Run(ctx context.Context) (*Result, error) {
	res, err := Run(ctx, p.Inputs, p.Options)
	if err != nil {
		return nil, err
	}
	if p.kql != nil {
		p.Notes = append(p.Notes, p.kql.notes...)
		p.Warnings = append(p.Warnings, p.kql.warnings...)
	}
	return res, nil
}

// readPlaceholders reads a YAML map of placeholder name to values.
func readPlaceholders(path string) (map[string][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--expand: %w", err)
	}
	var m map[string][]string
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("--expand %s: want a YAML map of name to list of values: %w", path, err)
	}
	return m, nil
}

// KQLResult returns the full result table of a KQL rule after Run, or nil
// when the rule did not run to completion.
func (p *Plan) KQLResult(d *KQLRuleDef) *value.Table {
	if p.kql == nil {
		return nil
	}
	return p.kql.Results[d]
}
