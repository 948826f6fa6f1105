package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/loghunt/loghunt/hunt/kqlhunt"
	"github.com/loghunt/loghunt/hunt/output"
	"github.com/loghunt/loghunt/hunt/rules"
)

const kqlSynopsis = `Usage: loghunt kql [flags] 'QUERY' PATH...
       loghunt kql [flags] -f FILE.kql PATH...

Runs one KQL query, as written for Microsoft Sentinel or Defender, over the
EVTX and JSON logs under each PATH. The tables it reads (DeviceProcessEvents,
SecurityEvent, imNetworkSession, Event, ...) are emulated from Sysmon and
Security events. now() is the newest event's time unless --now says
otherwise, so ago(7d) means the last 7 days of the evidence.

Examples:
  loghunt kql 'DeviceProcessEvents | where ProcessCommandLine has "whoami"' logs/
  loghunt kql -f hunt.kql --now 2024-05-01T00:00:00Z -o rows.csv logs/
`

func runKQL(ctx context.Context, args []string, stdout, stderr io.Writer, con *console) error {
	f := huntFlags{con: con}
	var file string
	fs := newFlagSet("kql", kqlSynopsis, stdout)
	f.register(fs, kqlUse)
	fs.StringVar(&file, "f", "", "read the query from `FILE` (.kql text, or Sentinel hunting YAML with a query)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	var def *rules.KQL
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		kind, _ := rules.Classify(file, data)
		if kind == rules.KindSigma {
			return usagef("run Sigma rules with loghunt hunt -r "+file, "%s is a Sigma rule, not a KQL query", file)
		}
		if kind == rules.KindNone {
			kind = rules.KindKQL // any other extension: the file is the query text
			file += ".kql"
		}
		def, err = rules.ParseKQL(rules.File{Path: file, Name: file, Data: data, Kind: kind})
		if err != nil {
			return err
		}
	} else {
		if len(pos) == 0 {
			return usagef("give the query as the first argument, in single quotes, or use -f FILE.kql", "no query")
		}
		def = &rules.KQL{ID: "query", Name: "query", Query: pos[0], Path: "command line"}
		pos = pos[1:]
	}
	format, cfg, err := f.prepare(pos)
	if err != nil {
		return err
	}
	if format == output.Timesketch || format == output.TimesketchCSV {
		return usagef("a kql query writes a table: use --format table, csv or jsonl; timelines come from loghunt hunt --format "+string(format),
			"--format %s is a timeline of hits, not a query result", format)
	}
	if !cfg.Window.Fixed() {
		return usagef("pin the end with --now TIME, or filter in the query: now() is the newest event, so | where TimeGenerated > ago("+f.window.last+") does it",
			"--last without --now counts back from the newest event, which is known only after the query has run")
	}
	// A query that does not parse fails before any input is read.
	if _, sk := kqlhunt.Parse(def); sk != nil {
		sk.RuleID = "" // the one query of the run
		return sk
	}
	cfg.NoBundled, cfg.NoSigma, cfg.Queries = true, true, []*rules.KQL{def}
	// The result table is printed, not the hits.
	plan, res, err := f.run(ctx, cfg, stderr, nil)
	if err != nil {
		return err
	}
	if len(plan.KQLFailed) > 0 {
		return plan.KQLFailed[0]
	}
	t := plan.KQLResult(def)
	if t == nil {
		// The query failed at run time; the reason is in the warnings.
		sum := buildSummary(plan, res)
		sum.WriteText(stderr, f.stats)
		return fmt.Errorf("the query did not run to completion")
	}
	w := stdout
	var fh *os.File
	if f.out != "" {
		if fh, err = os.Create(f.out); err != nil {
			return err
		}
		w = fh
	}
	if err := output.WriteResult(w, format, t, kqlhunt.FormatCell, output.Options{CSVRaw: f.csvRaw}); err != nil {
		if fh != nil {
			fh.Close()
		}
		return err
	}
	if fh != nil {
		if err := fh.Close(); err != nil {
			return err
		}
	}
	sum := buildSummary(plan, res)
	if err := writeSummary(stderr, &f, sum); err != nil {
		return err
	}
	// As hunt's: interrupted 130, an input unread 1, rows with
	// --fail-on-hit 3.
	return f.exitStatus(stderr, sum, len(t.Rows))
}
