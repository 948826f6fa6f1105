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

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/app"
	"github.com/loghunt/loghunt/hunt/output"
	"github.com/loghunt/loghunt/hunt/rules"
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
	carve      bool
	now        string
	minLevel   string
	status     []string
	tags       []string
	exclude    []string
	expandFile string

	// Rule selection, hit filters and tuning (issue 12).
	ruleIDs        []string
	levels         []string
	channels       []string
	eventIDs       []string
	computers      []string
	tuningFile     string
	showSuppressed bool
}

func (f *huntFlags) register(fs *flag.FlagSet, withRules bool) {
	if withRules {
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
	}
	fs.StringVar(&f.out, "o", "", "write the results to `FILE` instead of the terminal")
	fs.StringVar(&f.format, "format", "", "output `format`: table, csv or jsonl (default: from -o's extension, else table)")
	fs.IntVar(&f.threads, "threads", 0, "number of worker threads, `N` (default: all cores)")
	fs.BoolVar(&f.stats, "stats", false, "print records parsed/recovered/failed per file in the summary")
	fs.StringVar(&f.summary, "summary-json", "", "write the full run summary as JSON to `FILE`")
	fs.BoolVar(&f.quiet, "q", false, "quiet: no progress bar, no summary on the terminal")
	fs.BoolVar(&f.carve, "carve", false, "also recover deleted EVTX records from slack and unallocated chunk space")
	fs.StringVar(&f.now, "now", "", "pin KQL now() to an RFC 3339 `time`, or 'wallclock' (default: the newest event's time)")
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
			return "", usagef("use --format table, --format csv or --format jsonl", "%v", err)
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

func runHunt(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f huntFlags
	fs := newFlagSet("hunt", huntSynopsis, stderr)
	f.register(fs, true)
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	format, cfg, err := f.prepare(paths)
	if err != nil {
		return err
	}
	// The engine's hits are sorted in memory and written when the run is
	// complete.
	out := &hitOutput{stdout: stdout, path: f.out, format: format}
	plan, res, err := f.run(ctx, cfg, stderr, out.WriteHit)
	if err != nil {
		out.abort()
		return err
	}
	sum := buildSummary(plan, res)
	if err := out.Close(sum); err != nil {
		return err
	}
	// The summary goes with the table on stdout; when hits are a machine
	// format on stdout, it goes to stderr so stdout stays parseable.
	sw := stdout
	if f.out == "" && format != output.Table {
		sw = stderr
	}
	return writeSummary(sw, &f, sum)
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
	if len(plan.Inputs) == 0 {
		var why []string
		for i, s := range plan.SkippedInputs {
			if i == 3 {
				why = append(why, fmt.Sprintf("and %d more", len(plan.SkippedInputs)-3))
				break
			}
			why = append(why, s.Path+": "+s.Reason)
		}
		return nil, nil, fmt.Errorf("no EVTX or JSON log found under %s (%s)", strings.Join(cfg.Paths, ", "), strings.Join(why, "; "))
	}
	if forward != nil {
		plan.Options.Sink = plan.NewSink(forward)
	}
	var bar *progress
	if !f.quiet {
		bar = newProgress(stderr, plan.TotalBytes())
		plan.Options.Progress = bar.set
	}
	res, err := plan.Run(ctx)
	bar.finish()
	return plan, res, err
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
	return cfg, nil
}

// hitOutput writes hits to -o's file, or to stdout, in one format. It opens
// the file with the first hit or at Close, so a run that fails creates no
// file; abort closes it after a failure.
type hitOutput struct {
	stdout io.Writer
	path   string // -o; "" is stdout
	format output.Format

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
	w, err := output.NewWriter(dst, o.format)
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
