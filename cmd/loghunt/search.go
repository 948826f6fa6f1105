package main

import (
	"context"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/app"
	"github.com/loghunt/loghunt/hunt/search"
	"github.com/loghunt/loghunt/hunt/timewindow"
)

const searchSynopsis = `Usage: loghunt search [flags] PATH...

Searches every event of the EVTX and JSON logs under each PATH, without
rules, and prints the events that match.

A keyword (-k) or regular expression (-e, RE2 syntax) is found in an event
when a value of one of its fields, or its computer, channel or provider,
holds it; field names are not searched. Case is ignored unless
--case-sensitive. An event must hold every -k and -e given; with --any, one
is enough. --event-id, --channel and --field keep only the events they name
(each --field must hold); given alone, they list those events.

--field NAME=VALUE compares the whole value of the field NAME (the name in
any case); '*' in VALUE matches any run of characters. --from is inclusive
and --to exclusive; events without a timestamp are kept, and counted in the
summary.

Examples:
  loghunt search -k mimikatz evidence/
  loghunt search -k lsass -k minidump --event-id 4688,1 logs/
  loghunt search -k psexec --from 2024-05-01 --to 2024-05-02T12:00:00+02:00 logs/
  loghunt search --any -k ncat -e ':4444\b' logs/
  loghunt search --channel sysmon --field 'Image=*\powershell.exe' -o ps.csv logs/
`

// searchFlags are the flags of search besides the output flags it shares
// with hunt.
type searchFlags struct {
	keywords      []string
	regexps       []string
	any           bool
	ignoreCase    bool
	caseSensitive bool
	eventIDs      []string
	channels      []string
	fields        []string
}

func runSearch(ctx context.Context, args []string, stdout, stderr io.Writer, con *console) error {
	f := huntFlags{con: con}
	var s searchFlags
	fs := newFlagSet("search", searchSynopsis, stdout)
	fs.Var(listFlag{vals: &s.keywords}, "k", "find the keyword `WORD` (a substring of a value); repeatable")
	fs.Var(listFlag{vals: &s.keywords}, "keyword", "same as -k `WORD`")
	fs.Var(listFlag{vals: &s.regexps}, "e", "find the regular expression `RE` (RE2 syntax, at most 1024 bytes) in a value; repeatable")
	fs.Var(listFlag{vals: &s.regexps}, "regex", "same as -e `RE`")
	fs.BoolVar(&s.any, "any", false, "an event matches when it holds any one of the keywords and expressions (default: all of them)")
	fs.BoolVar(&s.ignoreCase, "i", false, "ignore case: the default, accepted as Chainsaw and Hayabusa take it")
	fs.BoolVar(&s.caseSensitive, "case-sensitive", false, "compare keywords, expressions and --field values with their case")
	fs.Var(listFlag{vals: &s.eventIDs, split: true}, "event-id", "only events with one of these `IDs` (comma-separated or repeated)")
	fs.Var(listFlag{vals: &s.channels, split: true}, "channel", "only events of one of these `channels` (any case; a Sigma service name such as sysmon or security names its channels)")
	fs.Var(listFlag{vals: &s.fields}, "field", "only events whose field NAME has a value matching VALUE as a whole, '*' a wildcard (`NAME=VALUE`); repeatable, all must hold")
	f.register(fs, searchUse)
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	opts, err := s.options()
	if err != nil {
		return err
	}
	searcher, err := search.New(opts)
	if err != nil {
		return searchUsage(err)
	}
	// The window (--from, --to; search has no --last, which would need
	// the newest event before the search starts) and the zone are
	// hunt's.
	format, cfg, err := f.prepare(paths)
	if err != nil {
		return err
	}
	// No rules: the search is the run's one matcher, and it applies the
	// window itself.
	window := cfg.Window
	cfg.RulePaths, cfg.NoBundled, cfg.NoSigma, cfg.NoKQL = nil, true, true, true
	cfg.Window = timewindow.Spec{}

	wopts := f.outputOptions(format)
	wopts.Location = cfg.Zone
	out := &hitOutput{stdout: stdout, path: f.out, format: format, opts: wopts}
	plan, res, tally, err := runSearchPlan(ctx, &f, cfg, searcher, window, stderr, hunt.NewSortingSink(out.WriteHit))
	if err != nil {
		out.abort()
		return err
	}
	sum := buildSummary(plan, res)
	sum.Search = searcher.String()
	if tally != nil {
		sum.Notes = append(tally.Report(0).Notes(nil), sum.Notes...)
	}
	if err := out.Close(sum); err != nil {
		return err
	}
	return f.finish(stdout, stderr, format, sum)
}

// options turns the search flags into search.Options; a bad value is a
// usage error.
func (s *searchFlags) options() (search.Options, error) {
	if s.ignoreCase && s.caseSensitive {
		return search.Options{}, usagef("case is ignored by default: drop -i, or drop --case-sensitive", "-i and --case-sensitive contradict each other")
	}
	opts := search.Options{Keywords: s.keywords, Regexps: s.regexps, Any: s.any, CaseSensitive: s.caseSensitive, Channels: s.channels}
	for _, id := range s.eventIDs {
		n, err := strconv.ParseUint(id, 10, 32)
		if err != nil {
			return opts, usagef("--event-id takes decimal event IDs, e.g. --event-id 4688,1", "bad --event-id %q", id)
		}
		opts.EventIDs = append(opts.EventIDs, uint32(n))
	}
	for _, fv := range s.fields {
		ff, err := search.ParseFieldFilter(fv)
		if err != nil {
			return opts, usagef(`write --field NAME=VALUE, e.g. --field 'Image=*\mimikatz.exe'`, "--field: %v", err)
		}
		opts.Fields = append(opts.Fields, ff)
	}
	return opts, nil
}

// searchUsage turns search.New's error into a usage error that teaches.
func searchUsage(err error) error {
	switch {
	case errors.Is(err, search.ErrNothing):
		return usagef("give -k WORD, -e RE, --event-id, --channel or --field", "nothing to search for")
	case errors.Is(err, search.ErrBadPattern):
		return usagef("-e takes RE2 syntax (no backreferences or lookaround), at most 1024 bytes; -k takes a non-empty word", "%v", err)
	case errors.Is(err, search.ErrBadField):
		return usagef(`write --field NAME=VALUE, e.g. --field 'Image=*\mimikatz.exe'`, "%v", err)
	}
	return err
}

// runSearchPlan discovers the inputs as hunt does and runs the engine with
// the searcher as its only matcher, behind the time window when there is
// one (then the tally counts what the window left out), with a progress
// bar on a terminal unless -q.
func runSearchPlan(ctx context.Context, f *huntFlags, cfg app.Config, s *search.Searcher, window timewindow.Spec, stderr io.Writer,
	sink hunt.HitSink) (*app.Plan, *hunt.Result, *timewindow.Tally, error) {
	plan, err := app.Prepare(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := noLogs(plan, cfg.Paths); err != nil {
		return nil, nil, nil, err
	}
	var m hunt.Matcher = s
	var tally *timewindow.Tally
	if !window.IsZero() {
		// --from and --to are known before any event is read: the
		// searcher sees only the events in the window.
		m = window.Resolve(time.Time{}).Matcher(s)
		tally = timewindow.NewTally(window)
		plan.Options.Observers = append(plan.Options.Observers, tally)
	}
	plan.Options.Matchers = []hunt.Matcher{m}
	plan.Options.Sink = sink
	plan.Options.Stop = f.con.interrupt
	var bar *progress
	if !f.quiet {
		bar = newProgress(stderr, plan.TotalBytes())
		plan.Options.OnProgress = bar.update
	}
	res, err := plan.Run(ctx)
	bar.finish()
	return plan, res, tally, err
}
