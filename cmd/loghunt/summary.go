package main

import (
	"fmt"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/app"
	"github.com/loghunt/loghunt/hunt/output"
	"github.com/loghunt/loghunt/hunt/sigma"
)

// buildSummary accounts for a run: the engine's file reports plus what the
// plan loaded and skipped.
func buildSummary(p *app.Plan, res *hunt.Result) *output.Summary {
	s := output.NewSummary(res)
	s.Skipped = append(s.Skipped, p.SkippedInputs...)
	if r := p.SigmaReport; r != nil {
		s.RulesLoaded["sigma"] = r.Detection
		if r.Correlation > 0 {
			s.RulesLoaded["sigma-correlation"] = r.Correlation
		}
		if r.Filter > 0 {
			s.RulesLoaded["sigma-filter"] = r.Filter
		}
		for _, e := range r.Failed {
			s.RulesOff = append(s.RulesOff, hunt.Skipped{Path: e.Path, Line: e.Line, Column: e.Column, RuleID: e.RuleID, Reason: e.Err.Error(), Err: e.Err})
		}
		// Field-availability warnings are counted, not listed: "rules
		// check" lists them.
		fieldRules := map[string]bool{}
		for _, n := range r.Warnings {
			if sigma.IsFieldGap(n) {
				s.FieldWarnings++
				fieldRules[n.Path+"\x00"+n.RuleID] = true
				continue
			}
			s.Warnings = append(s.Warnings, fmt.Sprintf("rule %s (%s): %s", n.Title, n.Path, n.Text))
		}
		s.FieldWarningRules = len(fieldRules)
	}
	if len(p.KQLRules) > 0 {
		s.RulesLoaded["kql"] = len(p.KQLRules)
	}
	s.RulesOff = append(s.RulesOff, p.KQLFailed...)
	s.RulesOff = append(s.RulesOff, p.RuleFilesSkipped...)
	// The JSON summary carries the reason's text.
	for _, l := range [][]hunt.Skipped{s.Skipped, s.RulesOff} {
		for i := range l {
			l[i].Reason = l[i].Why()
		}
	}
	if cs, ok := p.CorrelationStats(); ok {
		if cs.NoTime > 0 {
			s.Warnings = append(s.Warnings, fmt.Sprintf("correlations ignored %d matches of events without a timestamp", cs.NoTime))
		}
		if cs.NotNum > 0 {
			s.Warnings = append(s.Warnings, fmt.Sprintf("value_sum/value_avg correlations ignored %d events whose field was not a number", cs.NotNum))
		}
		if cs.Dropped > 0 {
			s.Warnings = append(s.Warnings, fmt.Sprintf("correlations dropped %d matches past their per-group window cap", cs.Dropped))
		}
	}
	if p.Tuning != nil {
		s.TuningFile = p.Tuning.Path
		s.Suppressed = []output.ExclusionCount{}
		for _, c := range p.Suppressed() {
			s.Suppressed = append(s.Suppressed, output.ExclusionCount{Name: c.Name, Hits: c.Hits})
		}
	}
	s.HitsFilteredOut = p.SelectionFiltered()
	s.Memory = memoryUse(p)
	s.Deselected = p.Deselected
	s.Notes = append(s.Notes, p.Notes...)
	s.Warnings = append(s.Warnings, p.Warnings...)
	return s
}
