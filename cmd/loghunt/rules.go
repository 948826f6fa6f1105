package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/loghunt/loghunt/hunt/app"
	"github.com/loghunt/loghunt/hunt/rules"
	"github.com/loghunt/loghunt/hunt/sigma"
)

const rulesSynopsis = `Usage: loghunt rules check [flags] PATH...

Loads every Sigma rule (detection, correlation, filter) and every KQL rule
(.kql, or Sentinel hunting YAML) under each PATH exactly as "loghunt hunt -r"
would, and reports which load and which do not, with the file, line and the
precise reason. Exits 1 when any rule does not load.

Warnings name rules that load with a caveat. "field X is not in Security
4688 events" says a rule names a field that an event source it runs on
never has: searches on it cannot match there (and a filter on it never
excludes). The rule still runs unchanged; --no-field-warnings hides these
lines but keeps their count in the summary.

Examples:
  loghunt rules check sigma/rules
  loghunt rules check --bundled
`

func runRules(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "check" && args[0] != "-h" && args[0] != "--help" && args[0] != "-help") {
		return usagef("run loghunt rules check PATH...", "rules needs a subcommand: check")
	}
	if args[0] == "check" {
		args = args[1:]
	}
	fs := newFlagSet("rules check", rulesSynopsis, stdout)
	bundled := fs.Bool("bundled", false, "also check the rules embedded in loghunt")
	verbose := fs.Bool("v", false, "list every loaded rule too")
	noFieldWarn := fs.Bool("no-field-warnings", false, "do not list the rules that name fields some of their event sources lack (the summary still counts them)")
	sel := rules.Selection{KeepUnsupported: true} // show why they cannot fire
	fs.StringVar(&sel.MinLevel, "min-level", "", "apply --min-level as hunt does")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 && !*bundled {
		return usagef("give a rules file or directory, or --bundled", "no rules to check")
	}
	plan, err := app.Prepare(app.Config{RulePaths: paths, NoBundled: !*bundled, Select: sel})
	if err != nil {
		return err
	}
	rep := plan.SigmaReport
	failed := 0
	for _, e := range rep.Failed {
		pos := e.Path
		if e.Line > 0 {
			pos = fmt.Sprintf("%s:%d:%d", e.Path, e.Line, e.Column)
		}
		id := ""
		if e.RuleID != "" {
			id = " [" + e.RuleID + "]"
		}
		fmt.Fprintf(stdout, "NOT LOADED %s%s: %v\n", pos, id, e.Err)
		failed++
	}
	for _, f := range plan.KQLFailed {
		fmt.Fprintf(stdout, "NOT LOADED %v\n", f)
		failed++
	}
	for _, f := range plan.RuleFilesSkipped {
		fmt.Fprintf(stdout, "NOT A RULE %s: %s\n", f.Path, f.Reason)
	}
	fieldRules := map[string]bool{}
	fieldNotes := 0
	for _, n := range rep.Warnings {
		if sigma.IsFieldGap(n) {
			fieldRules[n.Path+"\x00"+n.RuleID] = true
			fieldNotes++
			if *noFieldWarn {
				continue
			}
		}
		fmt.Fprintf(stdout, "WARNING    %s [%s]: %s\n", n.Path, n.RuleID, n.Text)
	}
	for _, w := range plan.KQLCheck() {
		fmt.Fprintf(stdout, "WARNING    %s:%d:%d [%s]: %s\n", w.Path, w.Line, w.Column, w.RuleID, w.Reason)
	}
	if *verbose {
		for _, r := range rep.Rules {
			fmt.Fprintf(stdout, "loaded     %s:%d [%s] %s (%s)\n", r.Path, r.Line, r.ID, r.Title, r.Kind)
		}
		for _, d := range plan.KQLRules {
			note := ""
			if strings.EqualFold(d.Status, rules.StatusUnsupported) {
				note = "; status unsupported: hunt runs it only when --rule names it"
			}
			fmt.Fprintf(stdout, "loaded     %s [%s] %s (kql%s)\n", d.Path, d.ID, d.Name, note)
		}
	}
	loadedSigma := rep.Detection + rep.Correlation + rep.Filter
	total := loadedSigma + len(plan.KQLRules) + failed
	rate := 100.0
	if total > 0 {
		rate = 100 * float64(total-failed) / float64(total)
	}
	fmt.Fprintf(stdout, "\nrules: %d total, %d loaded (%.2f%%), %d not loaded\n", total, total-failed, rate, failed)
	fmt.Fprintf(stdout, "  sigma: %d detection, %d correlation, %d filter; kql: %d\n", rep.Detection, rep.Correlation, rep.Filter, len(plan.KQLRules))
	if len(rep.Unrouted) > 0 {
		fmt.Fprintf(stdout, "  %d loaded rules have a logsource with no Windows channel mapping: they run only on events without a channel\n", len(rep.Unrouted))
	}
	if len(fieldRules) > 0 {
		hint := "WARNING lines \"field ... is not in ... events\""
		if *noFieldWarn {
			hint = "not listed: --no-field-warnings"
		}
		fmt.Fprintf(stdout, "  %d loaded rules name fields that some of their event sources lack (%d warnings, %s)\n", len(fieldRules), fieldNotes, hint)
	}
	if plan.Deselected > 0 {
		var why []string
		for k, v := range rep.SkippedBy {
			why = append(why, fmt.Sprintf("%s %d", k, v))
		}
		slices.Sort(why)
		fmt.Fprintf(stdout, "  %d deselected (%s)\n", plan.Deselected, strings.Join(why, ", "))
	}
	if failed > 0 {
		return fmt.Errorf("%d rules did not load", failed)
	}
	return nil
}
