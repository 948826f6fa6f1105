package app

import (
	"context"
	"errors"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/kql/value"
	"github.com/loghunt/loghunt/hunt/kqlhunt"
	"github.com/loghunt/loghunt/hunt/rules"
	"github.com/loghunt/loghunt/hunt/sigma"
	"github.com/loghunt/loghunt/hunt/sigmahunt"
	"github.com/loghunt/loghunt/hunt/timewindow"
	"github.com/loghunt/loghunt/rulepacks"
)

// Plan is a prepared hunt: inputs found, rules loaded. Run runs it.
type Plan struct {
	Config  Config
	Options hunt.Options
	Inputs  []hunt.Input
	// SkippedInputs are paths that were not hunted, with why.
	SkippedInputs []hunt.Skipped
	// SigmaReport accounts for the Sigma rules (nil with NoSigma).
	SigmaReport *sigma.Report
	// KQLRules are the loaded KQL rules; KQLFailed those that were not.
	KQLRules  []*rules.KQL
	KQLFailed []hunt.Skipped
	// RuleFilesSkipped are files under rule paths that are not rules.
	RuleFilesSkipped []hunt.Skipped
	// Deselected counts rules left out by the selection (Sigma and KQL)
	// and by NoKQL.
	Deselected int
	// KQLDeselected lists the KQL rules (or, with NoKQL, rule files) left
	// out, with the reason; Sigma's are in SigmaReport.Skipped.
	KQLDeselected []hunt.Skipped
	// Notes and Warnings are printed in the summary.
	Notes    []string
	Warnings []string

	kql    *kqlhunt.Engine
	sigma  *sigmahunt.Engine
	window *timewindow.Tally // nil without a time window
	// TimeWindow is what the time window did, after Run (nil without
	// one).
	TimeWindow *timewindow.Report
}

// Prepare loads the rules and finds the inputs. It fails only on a
// configuration error, an *OptionError (errors.Is ErrBadOption): an
// unreadable --expand file, an unknown level, bad input limits. Bad rules and
// unreadable inputs are recorded in the Plan.
func Prepare(cfg Config) (*Plan, error) {
	if err := cfg.Select.Validate(); err != nil {
		return nil, &OptionError{Option: "--min-level", Err: err}
	}
	p := &Plan{Config: cfg}
	p.Options.Threads = cfg.Threads

	// User rules come first: where a user rule has the id of a bundled
	// one, the user's wins and the bundled copy is noted, not loaded.
	var sigmaFiles, kqlFiles []rules.File
	add := func(files []rules.File, skipped []hunt.Skipped) {
		p.RuleFilesSkipped = append(p.RuleFilesSkipped, skipped...)
		for _, f := range files {
			switch f.Kind {
			case rules.KindSigma:
				sigmaFiles = append(sigmaFiles, f)
			case rules.KindKQL:
				kqlFiles = append(kqlFiles, f)
			}
		}
	}
	for _, rp := range cfg.RulePaths {
		add(rules.FindOnDisk(rp))
	}
	if !cfg.NoBundled {
		add(rules.Find(rulepacks.FS, ".", rules.BundledPrefix))
	}

	if !cfg.NoSigma {
		opts := sigmahunt.Options{Select: cfg.Select, ShowHidden: cfg.ShowHidden}
		if cfg.ExpandFile != "" {
			ph, err := readPlaceholders(cfg.ExpandFile)
			if err != nil {
				return nil, err
			}
			opts.Placeholders = ph
		}
		se := sigmahunt.New(sigmaFiles, opts)
		p.sigma = se
		p.SigmaReport = se.Report()
		p.Notes = append(p.Notes, se.DropBundledDuplicates()...)
		p.Deselected += len(se.Report().Skipped)
		p.Options.Matchers = append(p.Options.Matchers, se)
		if se.HasCorrelations() {
			p.Options.Finishers = append(p.Options.Finishers, se)
		}
	}

	defs := append([]*rules.KQL(nil), cfg.Queries...)
	if cfg.NoKQL {
		for _, f := range kqlFiles {
			p.KQLDeselected = append(p.KQLDeselected, hunt.Skipped{Path: f.Path, Reason: "--no-kql"})
		}
		kqlFiles = nil
	}
	for _, f := range kqlFiles {
		d, err := rules.ParseKQL(f)
		if err != nil {
			sk := hunt.Skipped{Path: f.Path, Reason: err.Error(), Err: err}
			errors.As(err, &sk)
			p.KQLFailed = append(p.KQLFailed, sk)
			continue
		}
		if reason, _ := cfg.Select.Why(rules.KQLMeta(d.Rule())); reason != "" {
			p.KQLDeselected = append(p.KQLDeselected, hunt.Skipped{Path: d.Path, Line: d.Line, RuleID: d.ID, Reason: reason})
			continue
		}
		defs = append(defs, d)
	}
	p.Deselected += len(p.KQLDeselected)
	if len(defs) > 0 {
		ke, failed := kqlhunt.New(defs, kqlhunt.Options{Now: cfg.Now.Time, Wallclock: cfg.Now.Wallclock})
		p.kql = ke
		p.KQLFailed = append(p.KQLFailed, failed...)
		p.KQLRules = append(p.KQLRules, ke.Rules()...)
		if len(p.KQLRules) > 0 {
			p.Options.Observers = append(p.Options.Observers, ke)
			p.Options.Finishers = append(p.Options.Finishers, ke)
		}
	}

	p.gate()

	var err error
	p.Inputs, p.SkippedInputs, err = Discover(cfg.Paths, DiscoverOptions{Carve: cfg.Carve, Input: cfg.Input})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// gate applies the time window. A Fixed window wraps every matcher and
// observer, so rules, correlations (fed by the Sigma matcher) and KQL tables
// see only the events in it, and those without a timestamp; the finishers
// are the same objects and need no wrapping. The tally sees every event.
func (p *Plan) gate() {
	spec := p.Config.Window
	if spec.IsZero() {
		return
	}
	p.window = timewindow.NewTally(spec)
	if spec.Fixed() {
		w := spec.Resolve(time.Time{})
		for i, m := range p.Options.Matchers {
			p.Options.Matchers[i] = w.Matcher(m)
		}
		for i, o := range p.Options.Observers {
			p.Options.Observers[i] = w.Observer(o)
		}
	}
	p.Options.Observers = append(p.Options.Observers, p.window)
}

// TotalBytes is the size of every input, for progress.
func (p *Plan) TotalBytes() int64 {
	var n int64
	for _, in := range p.Inputs {
		n += in.Size
	}
	return n
}

// Run hunts, sending the hits to p.Options.Sink (set it before Run; a
// hunt.SortingSink gives them in the canonical order). The plan's Notes and Warnings
// gain what the run learnt (KQL's now(), semantic warnings).
func (p *Plan) Run(ctx context.Context) (*hunt.Result, error) {
	opts := p.Options
	var hold *timewindow.HoldSink
	if p.window != nil && !p.Config.Window.Fixed() {
		// --last from the newest event: the window is known once every
		// event is read, so the hits wait for it.
		hold = p.window.Hold(opts.Sink)
		opts.Sink = hold
	}
	res, err := hunt.Run(ctx, p.Inputs, opts)
	if err != nil {
		return nil, err
	}
	if p.window != nil {
		dropped := 0
		if hold != nil {
			// The engine counted the held hits as kept; those the window
			// dropped are filtered.
			var perRule map[*hunt.Rule]int
			perRule, dropped = hold.Dropped()
			uncount(&res.Counts, perRule)
		}
		r := p.window.Report(dropped)
		p.TimeWindow = &r
		p.Notes = append(p.Notes, r.Notes(p.Config.Zone)...)
	}
	if p.kql != nil {
		p.Notes = append(p.Notes, p.kql.Notes()...)
		p.Warnings = append(p.Warnings, p.kql.Warnings()...)
	}
	return res, nil
}

// uncount moves hits from the kept counts to the filtered count.
func uncount(c *hunt.HitCounts, perRule map[*hunt.Rule]int) {
	for r, n := range perRule {
		c.Hits -= n
		c.Filtered += n
		if c.PerRule[r] -= n; c.PerRule[r] <= 0 {
			delete(c.PerRule, r)
		}
		if c.PerLevel[r.Level] -= n; c.PerLevel[r.Level] <= 0 {
			delete(c.PerLevel, r.Level)
		}
	}
}

// KQLResult returns the full result table of a KQL rule after Run, or nil
// when the rule did not run to completion.
func (p *Plan) KQLResult(d *rules.KQL) *value.Table {
	if p.kql == nil {
		return nil
	}
	return p.kql.Result(d)
}

// CorrelationStats returns what the correlator could not use, for the
// summary; false when no correlation ran.
func (p *Plan) CorrelationStats() (sigma.CorrelatorStats, bool) {
	if p.sigma == nil {
		return sigma.CorrelatorStats{}, false
	}
	return p.sigma.CorrelationStats()
}
