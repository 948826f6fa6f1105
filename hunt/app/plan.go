package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/budget"
	"github.com/loghunt/loghunt/hunt/kql/value"
	"github.com/loghunt/loghunt/hunt/kqlhunt"
	"github.com/loghunt/loghunt/hunt/rules"
	"github.com/loghunt/loghunt/hunt/sigma"
	"github.com/loghunt/loghunt/hunt/sigmahunt"
	"github.com/loghunt/loghunt/hunt/spill"
	"github.com/loghunt/loghunt/hunt/timewindow"
	"github.com/loghunt/loghunt/hunt/tuning"
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
	// Tuning is the loaded tuning file, nil without one.
	Tuning *tuning.Set

	// The output stage (NewSink): the merge of a detection's forms, then
	// the selection's hit filter and the tuning file, then the count.
	sinkMade    bool
	sorter      *spill.Sink
	late        *timewindow.LateSink // --last from the newest event, behind the sorter
	tuned       *tuning.Filter
	counts      hunt.HitCounts
	selFiltered int
}

// Prepare loads the rules and finds the inputs. It fails only on a
// configuration error, an *OptionError (errors.Is ErrBadOption): an
// unreadable --expand file, an unknown level, bad input limits. Bad rules and
// unreadable inputs are recorded in the Plan.
func Prepare(cfg Config) (*Plan, error) {
	if err := cfg.Select.Validate(); err != nil {
		opt := "--min-level"
		if cfg.Select.MinLevel == "" || rules.ValidLevel(cfg.Select.MinLevel) {
			opt = "--level"
		}
		return nil, &OptionError{Option: opt, Err: err}
	}
	p := &Plan{Config: cfg}
	p.Options.Threads = cfg.Threads
	p.Options.KeepField = p.keepField()

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
		add(rules.FindOnDisk(rp, cfg.Threads))
	}
	if !cfg.NoBundled {
		add(rules.Find(rulepacks.FS, ".", rules.BundledPrefix, cfg.Threads))
	}

	// known holds every id, name and detection id of the rules found,
	// loaded or not, for the references of --rule, --exclude-rule and
	// the tuning file.
	known := map[string]bool{}
	nRules := 0
	know := func(refs ...string) {
		nRules++
		for _, r := range refs {
			if r != "" {
				known[strings.ToLower(r)] = true
			}
		}
	}
	var placeholders map[string][]string
	if cfg.ExpandFile != "" {
		ph, err := readPlaceholders(cfg.ExpandFile)
		if err != nil {
			return nil, err
		}
		placeholders = ph
	}
	if cfg.TuningFile != "" {
		set, err := tuning.Load(cfg.TuningFile, tuning.Options{Placeholders: placeholders})
		if err != nil {
			return nil, &OptionError{Option: "--tuning", Err: err}
		}
		p.Tuning = set
	}

	if !cfg.NoSigma {
		opts := sigmahunt.Options{Select: cfg.Select, ShowHidden: cfg.ShowHidden, Placeholders: placeholders, Threads: cfg.Threads}
		se := sigmahunt.New(sigmaFiles, opts)
		p.sigma = se
		p.SigmaReport = se.Report()
		for _, r := range p.SigmaReport.Rules {
			know(r.ID, r.Name)
		}
		for _, s := range p.SigmaReport.Skipped {
			know(s.RuleID, s.Name)
		}
		for _, e := range p.SigmaReport.Failed {
			know(e.RuleID)
		}
		p.Notes = append(p.Notes, se.DropBundledDuplicates()...)
		p.Deselected += len(se.Report().Skipped)
		p.Options.Matchers = append(p.Options.Matchers, se)
		if se.HasCorrelations() {
			p.Options.Finishers = append(p.Options.Finishers, se)
		}
	}

	defs := append([]*rules.KQL(nil), cfg.Queries...)
	for _, f := range kqlFiles {
		d, err := rules.ParseKQL(f)
		if cfg.NoKQL {
			if err == nil {
				know(d.ID, d.DetectionID)
			}
			p.KQLDeselected = append(p.KQLDeselected, hunt.Skipped{Path: f.Path, Reason: "--no-kql"})
			continue
		}
		if err != nil {
			sk := hunt.Skipped{Path: f.Path, Reason: err.Error(), Err: err}
			errors.As(err, &sk)
			p.KQLFailed = append(p.KQLFailed, sk)
			know(sk.RuleID)
			continue
		}
		know(d.ID, d.DetectionID)
		if reason, _ := cfg.Select.Why(d.Meta()); reason != "" {
			p.KQLDeselected = append(p.KQLDeselected, hunt.Skipped{Path: d.Path, Line: d.Line, RuleID: d.ID, Reason: reason})
			continue
		}
		defs = append(defs, d)
	}
	p.Deselected += len(p.KQLDeselected)
	if len(defs) > 0 {
		kopts := kqlhunt.Options{Now: cfg.Now.Time, Wallclock: cfg.Now.Wallclock, Timeout: cfg.KQLTimeout}
		if cfg.Budget != nil {
			// The queries draw on the run's budget, beside the hits.
			kopts.Memory = kqlMemory{cfg.Budget.Account("kql")}
		}
		ke, failed := kqlhunt.New(defs, kopts)
		p.kql = ke
		p.KQLFailed = append(p.KQLFailed, failed...)
		p.KQLRules = append(p.KQLRules, ke.Rules()...)
		if len(p.KQLRules) > 0 {
			p.Options.Observers = append(p.Options.Observers, ke)
			p.Options.Finishers = append(p.Options.Finishers, ke)
		}
	}

	p.gate()
	isKnown := func(ref string) bool { return known[strings.ToLower(ref)] }
	if bad := cfg.Select.Unnamed(isKnown); len(bad) > 0 {
		return nil, &OptionError{Option: bad[0].Option + " " + bad[0].Ref, Err: fmt.Errorf("%w among the %d rules found (bundled and -r); run \"loghunt rules check -v\" to list them", rules.ErrUnknownRule, nRules)}
	}
	if p.Tuning != nil {
		p.Warnings = append(p.Warnings, p.Tuning.UnknownRules(isKnown)...)
	}

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
//
// When the sink is one NewSink made, the Result's Counts are those of the
// output stage: the merged hits that were output.
func (p *Plan) Run(ctx context.Context) (*hunt.Result, error) {
	opts := p.Options
	var hold interface {
		Dropped() (map[*hunt.Rule]int, int)
	}
	ours := p.sorter != nil && opts.Sink == hunt.HitSink(p.sorter)
	if p.window != nil && !p.Config.Window.Fixed() {
		// --last from the newest event: the window is known once every
		// event is read. Behind the plan's sorter, which passes hits on
		// only then, the window drops them as they come out; another sink
		// gets the hits held until then.
		if ours && p.late != nil {
			hold = p.late
		} else {
			h := p.window.Hold(opts.Sink)
			hold, opts.Sink = h, h
		}
	}
	res, err := hunt.Run(ctx, p.Inputs, opts)
	if err != nil {
		if ours {
			// The engine does not close its sink after a failure.
			p.sorter.Discard()
		}
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
	if p.sinkMade {
		// The output stage counted the merged hits it kept; the engine's
		// count of filtered hits (the window's included) stays.
		c := p.counts
		c.Filtered = res.Counts.Filtered + p.selFiltered
		for _, n := range p.Suppressed() {
			c.Filtered += int(n.Hits)
		}
		if c.PerRule == nil {
			c.PerRule, c.PerLevel, c.PerComputer = map[*hunt.Rule]int{}, map[string]int{}, map[string]int{}
		}
		res.Counts = c
	}
	if p.kql != nil {
		p.Notes = append(p.Notes, p.kql.Notes()...)
		p.Warnings = append(p.Warnings, p.kql.Warnings()...)
		// a query that stopped at run time (a budget exceeded) fails its
		// rule only
		p.KQLFailed = append(p.KQLFailed, p.kql.Failed()...)
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

// NewSink returns the sink of the plan's hits, to set as Options.Sink
// before Run: a hunt/spill sorter within Config.Budget (hits sorted into
// the canonical order, kept encoded with only the fields Config.KeepField
// keeps, spilled to Config.TempDir when the budget is short), then, with
// --last from the newest event, the window, then a hunt.DetectionMerger
// (one hit per detection per event), whose merged hits pass the
// selection's hit filter (--channel, --event-id, --computer:
// Selection.KeepHit) and the tuning file's exclusions, and are counted,
// before they go to forward (nil drops them). Suppressed hits go to
// forward too, marked (Hit.Suppressed), when Config.ShowSuppressed is
// set; they are counted per exclusion (Suppressed), never as hits.
//
// The tuning file is applied here, to merged hits, rather than among the
// engine's filters: a detection's Sigma form carries the event's fields,
// and its KQL twin only the query's columns, so one exclusion written
// over the event suppresses the detection in all its forms.
func (p *Plan) NewSink(forward func(*hunt.Hit) error) hunt.HitSink {
	p.sinkMade = true
	p.counts = hunt.HitCounts{}
	p.selFiltered = 0
	if p.Tuning != nil {
		p.tuned = p.Tuning.Filter()
	}
	sel := p.Config.Select
	var next hunt.HitSink = hunt.NewDetectionMerger(hunt.FuncSink(func(h *hunt.Hit) error {
		if !sel.KeepHit(h) {
			p.selFiltered++
			return nil
		}
		if p.tuned != nil {
			if ex := p.tuned.Suppress(h); ex != nil {
				if !p.Config.ShowSuppressed || forward == nil {
					return nil
				}
				c := *h
				c.Suppressed = ex.Name
				return forward(&c)
			}
		}
		p.counts.Add(h)
		if forward == nil {
			return nil
		}
		return forward(h)
	}))
	p.late = nil
	if p.window != nil && !p.Config.Window.Fixed() {
		p.late = p.window.Late(next)
		next = p.late
	}
	b := p.Config.Budget
	p.sorter = spill.New(spill.Options{Account: b.Account("hits"), RunBytes: runBytes(b.Limit()), Dir: p.Config.TempDir,
		KeepField: p.keepField()}, next)
	return p.sorter
}

// runBytes is the size of the sorter's runs for a budget of limit bytes
// (0: none): a sixteenth of it, at most spill.DefaultRunBytes, so that the
// two runs in memory at once leave the rest to KQL and correlations.
func runBytes(limit int64) int64 {
	if limit <= 0 {
		return spill.DefaultRunBytes
	}
	return max(1, min(spill.DefaultRunBytes, limit/16))
}

// keepField is what the hits keep of their events: what the output needs
// (Config.KeepField), or every field when a tuning file may test any.
func (p *Plan) keepField() func(string) bool {
	if p.Config.TuningFile != "" || p.Tuning != nil {
		return nil
	}
	return p.Config.KeepField
}

// Memory is what a run held against its budget.
type Memory struct {
	Limit    int64        // the budget, 0 for none
	Peak     int64        // the most its accounts held at once
	Accounts []budget.Use // each account's peak
	Spill    spill.Stats  // what the sorter did
}

// Memory reports, after Run, what the run held against Config.Budget and
// what the sorter spilled.
func (p *Plan) Memory() Memory {
	b := p.Config.Budget
	m := Memory{Limit: b.Limit(), Peak: b.Peak(), Accounts: b.Accounts()}
	if p.sorter != nil {
		m.Spill = p.sorter.Stats()
	}
	return m
}

// Suppressed returns, after Run, the hits each exclusion of the tuning
// file suppressed (merged hits: one per detection per event), in file
// order; nil without a tuning file.
func (p *Plan) Suppressed() []tuning.Count {
	if p.tuned == nil {
		return nil
	}
	return p.tuned.Counts()
}

// SelectionFiltered returns, after Run, how many hits the selection's hit
// filter (--channel, --event-id, --computer) left out.
func (p *Plan) SelectionFiltered() int { return p.selFiltered }

// KQLCheck returns the semantic warnings of the loaded KQL rules (queries
// that can never fire as written, unknown columns), at their positions in
// the rule files, without reading any event: for "loghunt rules check".
func (p *Plan) KQLCheck() []hunt.Skipped {
	if p.kql == nil {
		return nil
	}
	return p.kql.Check()
}

// kqlMemory lets the KQL queries draw on the run's memory budget through
// its "kql" account: what a query's operators hold counts against
// --max-memory with the hits waiting to be sorted.
type kqlMemory struct{ a *budget.Account }

func (m kqlMemory) Grow(n int64) bool { return m.a.Reserve(n) }
func (m kqlMemory) Shrink(n int64)    { m.a.Release(n) }
func (m kqlMemory) Limit() int64      { return m.a.Budget().Limit() }
