package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/app"
	"github.com/loghunt/loghunt/hunt/kqlhunt"
	"github.com/loghunt/loghunt/hunt/output"
	"github.com/loghunt/loghunt/hunt/rules"
	"github.com/loghunt/loghunt/parsers/input"
)

const huntSynopsis = `Usage: loghunt hunt [flags] PATH...

Hunts every EVTX and JSON log under each PATH (files or directories, read
recursively; zip and gzip archives are opened) with the bundled rules and any
rules added with -r, then prints the hits and a summary of everything read.

Examples:
  loghunt hunt samples/
  loghunt hunt -r ~/sigma/rules/windows --min-level high C:\evidence\logs
  loghunt hunt -o hits.csv --stats --summary-json run.json evidence/
`

// huntFlags are the flags shared by hunt and kql.
type huntFlags struct {
	// Output and exit status (the "output" group of register).
	wide      bool // --wide: whole table lines on a terminal too
	csvRaw    bool // --csv-raw: no formula neutralisation
	failOnHit bool // --fail-on-hit: exit 3 when any hit is found

	con *console // the process's terminal and interrupt; never nil after register

	rules      []string
	noBundled  bool
	noKQL      bool
	allMatches bool
	out        string
	format     string
	threads    int
	stats      bool
	summary    string
	quiet      bool
	// requireRules: a run with no rule loaded is an error (hunt; kql
	// brings its query).
	requireRules bool
	carve        bool
	now          string
	minLevel     string
	status       []string
	tags         []string
	exclude      []string
	expandFile   string
	window       timeFlags

	// Rule selection, hit filters and tuning (issue 12).
	ruleIDs        []string
	levels         []string
	channels       []string
	eventIDs       []string
	computers      []string
	tuningFile     string
	showSuppressed bool

	reports   reportFlags // --html, --navigator (issue 14)
	maxMemory memoryFlag  // --max-memory: the hits' sorter, KQL and correlations

	kqlTimeout time.Duration
}

// flagUse names the groups of shared flags a command takes beyond those
// all of hunt, kql and search take (output, reading, summary, --from and
// --to): each command's -h lists only the flags that do something there.
type flagUse struct {
	rules bool // -r, rule choice, hit filters and tuning (hunt)
	clock bool // --now and --last: a time to count back from (hunt, kql)
	zone  bool // --timezone and --local: times written in a zone (hunt, search)
	hits  bool // --wide: hits as a table fitted to the terminal (hunt, search)
}

var (
	huntUse   = flagUse{rules: true, clock: true, zone: true, hits: true}
	kqlUse    = flagUse{clock: true}
	searchUse = flagUse{zone: true, hits: true}
)

func (f *huntFlags) register(fs *flag.FlagSet, use flagUse) {
	if f.con == nil {
		f.con = &console{}
	}
	if use.rules {
		fs.Var(listFlag{vals: &f.rules}, "r", "add Sigma or KQL rules from `PATH` (a file, or a directory read recursively); repeatable")
		fs.Var(listFlag{vals: &f.rules}, "rules", "same as -r `PATH`")
		fs.BoolVar(&f.noBundled, "no-bundled", false, "leave out the rules embedded in loghunt")
		fs.BoolVar(&f.allMatches, "all-matches", false, "also output the matches of Sigma rules that only feed correlations (generate: false)")
		fs.BoolVar(&f.noKQL, "no-kql", false, "run no KQL rules (KQL keeps a row per process, network, file or registry event its queries read; Sigma streams)")
		fs.StringVar(&f.minLevel, "min-level", "", "only rules of at least this `level` (informational, low, medium, high, critical)")
		fs.Var(listFlag{vals: &f.status, split: true}, "status", "only rules with one of these `statuses` (comma-separated: stable,test,experimental...)")
		fs.Var(listFlag{vals: &f.tags, split: true}, "tags", "only rules with at least one of these `tags` (comma-separated, e.g. attack.t1059)")
		fs.Var(listFlag{vals: &f.exclude, split: true}, "exclude-rule", "leave out the rules with these `ids`; repeatable or comma-separated")
		fs.StringVar(&f.expandFile, "expand", "", "Sigma placeholder values for the expand modifier from a YAML `file` (name: [values])")
		f.registerSelection(fs)
		f.reports.register(fs)
	}
	// Output and exit status.
	fs.StringVar(&f.out, "o", "", "write the results to `FILE` instead of the terminal")
	fs.StringVar(&f.out, "output", "", "same as -o `FILE`")
	if use.hits {
		fs.BoolVar(&f.wide, "wide", false, "on a terminal, print whole table lines instead of fitting its width")
	}
	fs.BoolVar(&f.csvRaw, "csv-raw", false, "write CSV cells as they are: no ' before a cell that starts with = + - @ tab or CR")
	fs.BoolVar(&f.failOnHit, "fail-on-hit", false, "exit with status 3 when any "+use.found()+" is found")

	fs.StringVar(&f.format, "format", "", "output `format`: table, csv, jsonl, timesketch or timesketch-csv (default: from -o's extension, else table)")
	fs.IntVar(&f.threads, "threads", 0, "number of worker threads, `N` (default: all cores)")
	fs.BoolVar(&f.stats, "stats", false, "print records parsed/recovered/failed per file in the summary")
	fs.StringVar(&f.summary, "summary-json", "", "write the full run summary as JSON to `FILE`")
	fs.BoolVar(&f.quiet, "q", false, "quiet: no progress bar, no summary; "+use.unread()+" still printed on stderr")
	fs.BoolVar(&f.carve, "carve", false, "also recover deleted EVTX records from slack and unallocated chunk space")
	if use.clock {
		fs.StringVar(&f.now, "now", "", "pin KQL now(), and the end of --last, to an RFC 3339 `time`, or 'wallclock' (default: the newest event's time)")
		fs.DurationVar(&f.kqlTimeout, "kql-timeout", kqlhunt.DefaultTimeout, "stop a KQL query that runs longer than `DURATION` (e.g. 30s, 10m; 0: no limit); the rule fails, the run goes on")
	}
	f.window.register(fs, use.clock, use.zone)
	f.registerMemory(fs)
}

// found is what --fail-on-hit looks for.
func (u flagUse) found() string {
	switch {
	case u.rules:
		return "hit"
	case u.hits:
		return "matching event"
	}
	return "row"
}

// unread is what -q still prints.
func (u flagUse) unread() string {
	if u.rules {
		return "inputs not read and rules not loaded are"
	}
	return "inputs not read are"
}

// registerSelection registers the flags that choose rules (--rule,
// --level), filter hits by their event (--channel, --event-id,
// --computer) and tune them (--tuning, --show-suppressed).
func (f *huntFlags) registerSelection(fs *flag.FlagSet) {
	fs.Var(listFlag{vals: &f.ruleIDs, split: true}, "rule", "run only the rules with these `ids` (or Sigma names; a Sigma id also selects its KQL twins); repeatable or comma-separated")
	fs.Var(listFlag{vals: &f.levels, split: true}, "level", "run only the rules of these `levels` (comma-separated, e.g. high,critical)")
	fs.Var(listFlag{vals: &f.channels, split: true}, "channel", "output only the hits on events of these `channels` (or Sigma services: sysmon, security...); rules still see every event")
	fs.Var(listFlag{vals: &f.eventIDs, split: true}, "event-id", "output only the hits on events with these event `IDs` (comma-separated)")
	fs.Var(listFlag{vals: &f.computers, split: true}, "computer", "output only the hits on these `computers` (short name, FQDN or * pattern; comma-separated)")
	fs.StringVar(&f.tuningFile, "tuning", "", "suppress known false positives with the exclusions of a tuning `FILE` (YAML; see rulepacks/tuning/example.yml)")
	fs.BoolVar(&f.showSuppressed, "show-suppressed", false, "also output the hits the tuning file suppresses, marked \"suppressed by: NAME\" in the details")
}

// outputFormat decides the format from --format, then -o's extension.
func (f *huntFlags) outputFormat() (output.Format, error) {
	if f.format != "" {
		fm, err := output.ParseFormat(f.format)
		if err != nil {
			return "", usagef("use --format table, csv, jsonl, timesketch or timesketch-csv", "%v", err)
		}
		return fm, nil
	}
	switch strings.ToLower(filepath.Ext(f.out)) {
	case ".csv":
		return output.CSV, nil
	case ".jsonl", ".json", ".ndjson":
		return output.JSONL, nil
	}
	return output.Table, nil
}

func (f *huntFlags) validate(paths []string) error {
	if len(paths) == 0 {
		return usagef("give one or more files or directories, e.g. loghunt hunt samples/", "no PATH to hunt")
	}
	if f.threads < 0 {
		return usagef("omit --threads to use all cores", "--threads must be positive, got %d", f.threads)
	}
	if f.noBundled && len(f.rules) == 0 {
		return usagef("add rules with -r PATH, or drop --no-bundled", "--no-bundled without -r leaves no rules to run")
	}
	for _, r := range f.rules {
		if _, err := os.Stat(r); err != nil {
			return usagef("-r takes a rule file or a directory of rules", "rules path %s: %v", r, errors.Unwrap(err))
		}
	}
	if f.minLevel != "" && !rules.ValidLevel(f.minLevel) {
		return usagef("levels are informational, low, medium, high, critical", "unknown --min-level %q", f.minLevel)
	}
	for _, l := range f.levels {
		if !rules.ValidLevel(l) {
			return usagef("levels are informational, low, medium, high, critical", "unknown --level %q", l)
		}
	}
	for _, id := range f.eventIDs {
		if _, err := strconv.ParseUint(id, 10, 32); err != nil {
			return usagef("give event IDs as numbers, e.g. --event-id 1,4688", "bad --event-id %q", id)
		}
	}
	if f.showSuppressed && f.tuningFile == "" {
		return usagef("add --tuning FILE", "--show-suppressed without --tuning shows nothing")
	}
	return nil
}

func runHunt(ctx context.Context, args []string, stdout, stderr io.Writer, con *console) error {
	f := huntFlags{con: con}
	fs := newFlagSet("hunt", huntSynopsis, stdout)
	f.register(fs, huntUse)
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	format, cfg, err := f.prepare(paths)
	if err != nil {
		return err
	}
	f.requireRules = true
	// The engine's hits are sorted within --max-memory (spilled to a
	// temporary file past it) and written when the run is complete, or
	// stopped by the first Ctrl-C.
	opts := f.outputOptions(format)
	opts.Location = cfg.Zone
	out := &hitOutput{stdout: stdout, path: f.out, format: format, opts: opts}
	reports := f.reports.outputs(cfg.Zone)
	plan, res, err := f.run(ctx, cfg, stderr, reports.tee(out.WriteHit))
	if err != nil {
		out.abort()
		reports.abort()
		return err
	}
	sum := buildSummary(plan, res)
	if err := out.Close(sum); err != nil {
		reports.abort()
		return err
	}
	if err := reports.Close(sum); err != nil {
		return err
	}
	return f.finish(stdout, stderr, format, sum)
}

// finish writes the summary of a hunt or search whose hits are written,
// and returns its exit status. The summary goes with the table on stdout;
// when hits are a machine format on stdout, it goes to stderr so stdout
// stays parseable.
func (f *huntFlags) finish(stdout, stderr io.Writer, format output.Format, sum *output.Summary) error {
	sw := stdout
	if f.out == "" && format != output.Table {
		sw = stderr
	}
	if err := writeSummary(sw, f, sum); err != nil {
		return err
	}
	return f.exitStatus(stderr, sum, sum.HitsTotal)
}

// outputOptions are the writers' options: on a terminal (and no -o), the
// table fits its width unless --wide, and is coloured unless NO_COLOR.
func (f *huntFlags) outputOptions(format output.Format) output.Options {
	o := output.Options{CSVRaw: f.csvRaw}
	if f.out == "" && format == output.Table {
		if !f.wide {
			o.Width = f.con.width
		}
		o.Color = f.con.color
	}
	return o
}

// exitStatus is the end of a run that wrote everything: interrupted (130),
// an input or rule left unread (1, each named on stderr with -q, where the
// summary does not show it), found > 0 with --fail-on-hit (3: hits, rows
// of kql, events of search), or success.
func (f *huntFlags) exitStatus(stderr io.Writer, sum *output.Summary, found int) error {
	unread := unreadInputs(sum)
	if f.quiet {
		for _, u := range unread {
			fmt.Fprintf(stderr, "loghunt: input not read: %s\n", u)
		}
		for _, r := range sum.RulesOff {
			fmt.Fprintf(stderr, "loghunt: rule not loaded: %v\n", r)
		}
	}
	switch {
	case sum.Interrupted:
		return &statusError{code: exitInterrupted, msg: "interrupted: the hits found so far were written"}
	case len(unread) > 0 || len(sum.RulesOff) > 0:
		return fmt.Errorf("the run completed, but %s (listed above)", incomplete(len(unread), len(sum.RulesOff)))
	case f.failOnHit && found > 0:
		return &statusError{code: exitHits}
	}
	return nil
}

func incomplete(inputs, rules int) string {
	var parts []string
	if inputs > 0 {
		parts = append(parts, plural(inputs, "input was", "inputs were")+" not read")
	}
	if rules > 0 {
		parts = append(parts, plural(rules, "rule", "rules")+" did not load")
	}
	return strings.Join(parts, " and ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// unreadInputs are the inputs that could not be read: a path that does not
// open, a file whose reading failed, an archive member refused (a bomb, an
// encrypted member). A file that is not a log (a README beside the logs),
// empty, or met twice is no failure.
func unreadInputs(sum *output.Summary) []string {
	var out []string
	for _, sk := range sum.Skipped {
		switch {
		case errors.Is(sk.Err, input.ErrUnknownType), errors.Is(sk.Err, input.ErrEmpty),
			errors.Is(sk.Err, input.ErrNotRegular), errors.Is(sk.Err, input.ErrDuplicate),
			errors.Is(sk.Err, input.ErrLoop):
			continue
		case sk.Err == nil && sk.Reason != "":
			// A reason without a cause: nothing failed to read.
			continue
		}
		out = append(out, sk.Path+": "+sk.Why())
	}
	for _, fs := range sum.PerFile {
		if fs.Error != "" {
			out = append(out, fs.Path+": "+fs.Error)
		}
	}
	return out
}

// prepare validates the flags and paths and returns the output format and
// the engine's configuration.
func (f *huntFlags) prepare(paths []string) (output.Format, app.Config, error) {
	if err := f.validate(paths); err != nil {
		return "", app.Config{}, err
	}
	format, err := f.outputFormat()
	if err != nil {
		return "", app.Config{}, err
	}
	cfg, err := f.config(paths)
	f.memoryConfig(&cfg, format)
	return format, cfg, err
}

// run prepares and runs a hunt, with a progress bar on a terminal unless -q.
// The hits go to forward, sorted, one per detection per event (the plan's
// NewSink); nil drops them.
func (f *huntFlags) run(ctx context.Context, cfg app.Config, stderr io.Writer, forward func(*hunt.Hit) error) (*app.Plan, *hunt.Result, error) {
	plan, err := app.Prepare(cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := noLogs(plan, cfg.Paths); err != nil {
		return nil, nil, err
	}
	if f.requireRules {
		if err := noRuleLoaded(plan); err != nil {
			return nil, nil, err
		}
	}
	if forward != nil {
		plan.Options.Sink = plan.NewSink(forward)
	}
	plan.Options.Stop = f.con.interrupt
	var bar *progress
	if !f.quiet {
		bar = newProgress(stderr, plan.TotalBytes())
	}
	if bar != nil || f.con.onProgress != nil {
		plan.Options.OnProgress = func(p hunt.Progress) {
			bar.update(p)
			if f.con.onProgress != nil {
				f.con.onProgress(p.DoneBytes, p.TotalBytes)
			}
		}
	}
	defer f.setMemoryLimit()()
	res, err := plan.Run(ctx)
	bar.finish()
	return plan, res, err
}

// noRuleLoaded fails a hunt that has no rule to run: "No hits." would
// say the evidence is clean when nothing looked at it.
func noRuleLoaded(p *app.Plan) error {
	n := len(p.KQLRules)
	if r := p.SigmaReport; r != nil {
		n += r.Detection + r.Correlation
	}
	if n > 0 {
		return nil
	}
	var failed []string
	if r := p.SigmaReport; r != nil {
		for _, e := range r.Failed {
			failed = append(failed, fmt.Sprintf("%s: %v", e.Path, e.Err))
		}
	}
	for _, k := range p.KQLFailed {
		failed = append(failed, k.Error())
	}
	msg := fmt.Sprintf("no rule loaded (%d did not load, %d deselected)", len(failed), p.Deselected)
	if len(failed) > 0 {
		msg += ":\n  " + strings.Join(failed, "\n  ")
	}
	return errors.New(msg)
}

// config turns flags into the engine's configuration.
func (f *huntFlags) config(paths []string) (app.Config, error) {
	cfg := app.Config{
		Paths:      paths,
		RulePaths:  f.rules,
		NoBundled:  f.noBundled,
		NoKQL:      f.noKQL,
		ShowHidden: f.allMatches,
		Threads:    f.threads,
		Carve:      f.carve,
		Select: rules.Selection{
			MinLevel: f.minLevel, Status: f.status, Tags: f.tags, ExcludeIDs: f.exclude,
			IDs: f.ruleIDs, Levels: f.levels, Channels: f.channels, Computers: f.computers,
		},
		ExpandFile:     f.expandFile,
		TuningFile:     f.tuningFile,
		ShowSuppressed: f.showSuppressed,
		KQLTimeout:     f.kqlTimeout,
	}
	if f.kqlTimeout <= 0 {
		cfg.KQLTimeout = -1 // no limit
	}
	for _, id := range f.eventIDs {
		n, _ := strconv.ParseUint(id, 10, 32) // validated
		cfg.Select.EventIDs = append(cfg.Select.EventIDs, uint32(n))
	}
	now, err := app.ParseNow(f.now)
	if err != nil {
		return cfg, usagef("use --now 2024-05-01T00:00:00Z or --now wallclock", "%v", err)
	}
	cfg.Now = now
	if cfg.Zone, err = f.window.location(); err != nil {
		return cfg, err
	}
	if cfg.Window, err = f.window.spec(now, cfg.Zone); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// hitOutput writes hits to -o's file, or to stdout, in one format. It opens
// the file with the first hit or at Close, so a run that fails creates no
// file; abort closes it after a failure.
type hitOutput struct {
	stdout io.Writer
	path   string // -o; "" is stdout
	format output.Format
	opts   output.Options

	fh *os.File
	w  output.Writer
}

func (o *hitOutput) open() error {
	if o.w != nil {
		return nil
	}
	var dst io.Writer = o.stdout
	if o.path != "" {
		fh, err := os.Create(o.path)
		if err != nil {
			return err
		}
		o.fh, dst = fh, fh
	}
	w, err := output.NewWriter(dst, o.format, o.opts)
	if err != nil {
		o.abort()
		return err
	}
	o.w = w
	return nil
}

// WriteHit writes one hit.
func (o *hitOutput) WriteHit(h *hunt.Hit) error {
	if err := o.open(); err != nil {
		return err
	}
	return o.wrap(o.w.WriteHit(h))
}

// Close ends the output with the summary and closes -o's file.
func (o *hitOutput) Close(sum *output.Summary) error {
	if err := o.open(); err != nil {
		return err
	}
	if err := o.w.Close(sum); err != nil {
		o.abort()
		return o.wrap(err)
	}
	if o.fh == nil {
		return nil
	}
	return o.fh.Close()
}

// abort closes -o's file, if open, after a failure.
func (o *hitOutput) abort() {
	if o.fh != nil {
		o.fh.Close()
		o.fh = nil
	}
}

func (o *hitOutput) wrap(err error) error {
	if err == nil || o.path == "" {
		return err
	}
	return fmt.Errorf("writing %s: %w", o.path, err)
}

// writeSummary writes the JSON summary file if asked, and the text summary
// to w unless -q.
func writeSummary(w io.Writer, f *huntFlags, sum *output.Summary) error {
	if f.summary != "" {
		fh, err := os.Create(f.summary)
		if err != nil {
			return err
		}
		if err := sum.WriteJSON(fh); err != nil {
			fh.Close()
			return err
		}
		if err := fh.Close(); err != nil {
			return err
		}
	}
	if f.quiet {
		return nil
	}
	sum.WriteText(w, f.stats)
	return nil
}

// noLogs is the error of a run that found no log to read under paths,
// naming the first inputs it skipped and why; nil when there are logs.
func noLogs(plan *app.Plan, paths []string) error {
	if len(plan.Inputs) > 0 {
		return nil
	}
	var why []string
	for i, s := range plan.SkippedInputs {
		if i == 3 {
			why = append(why, fmt.Sprintf("and %d more", len(plan.SkippedInputs)-3))
			break
		}
		why = append(why, s.Path+": "+s.Reason)
	}
	return fmt.Errorf("no EVTX or JSON log found under %s (%s)", strings.Join(paths, ", "), strings.Join(why, "; "))
}
