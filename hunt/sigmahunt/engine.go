// Package sigmahunt adapts compiled Sigma rules to the hunt engine: an Engine
// is a hunt.Matcher for detection rules and, when correlations are loaded, a
// hunt.Finisher that runs them over the base-rule matches in time order.
//
// sigmahunt imports hunt, hunt/rules and hunt/sigma; hunt/sigma knows
// nothing of the engine.
package sigmahunt

import (
	"errors"
	"fmt"
	"strings"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/rules"
	"github.com/loghunt/loghunt/hunt/sigma"
	"github.com/loghunt/loghunt/parsers"
)

// Engine adapts a compiled sigma.Ruleset to the engine: it is a Matcher for
// detection rules and, when correlations are loaded, a Finisher that runs
// them over the base-rule matches in time order.
type Engine struct {
	rs         *sigma.Ruleset
	report     *sigma.Report
	rules      map[*sigma.Rule]*hunt.Rule // read-only after construction
	showHidden bool
	correlator *correlationRun
}

// Options configure New. The zero value keeps every rule, uses the
// default placeholders and emits only the rules that generate hits.
type Options struct {
	// Select narrows the rules, as for KQL rules; what it leaves out is in
	// the Report's Skipped, with the reason.
	Select rules.Selection
	// Placeholders are the values of %name% placeholders (--expand); nil
	// means sigma.DefaultPlaceholders().
	Placeholders map[string][]string
	// ShowHidden also emits the matches of rules that only feed
	// correlations (generate: false).
	ShowHidden bool
	// Threads is the number of goroutines rules compile on (<= 0:
	// GOMAXPROCS); the result does not depend on it.
	Threads int
}

// New loads and compiles the Sigma rule files. Rules that do not load are in
// the Report.
func New(files []rules.File, opts Options) *Engine {
	sel := opts.Select
	l := sigma.NewLoader(sigma.LoadOptions{
		Placeholders: opts.Placeholders,
		Threads:      opts.Threads,
		Select: func(id, name, level, status string, tags []string) (string, string) {
			return sel.Why(rules.Meta{ID: id, Name: name, Level: level, Status: status, Tags: tags})
		},
	})
	for _, f := range files {
		if f.Docs != nil || f.YAMLErr != nil {
			l.AddDocs(f.Path, f.Docs, f.YAMLErr) // parsed once, by rules.Find
		} else {
			l.AddBytes(f.Path, f.Data)
		}
	}
	rs, rep := l.Compile()
	e := &Engine{rs: rs, report: rep, rules: map[*sigma.Rule]*hunt.Rule{}, showHidden: opts.ShowHidden}
	for _, r := range rs.Rules() {
		engine := "sigma"
		if r.Kind == sigma.KindCorrelation {
			engine = "sigma-correlation"
		}
		e.rules[r] = &hunt.Rule{ID: r.ID, Title: r.Title, Level: r.Level, Engine: engine, Path: r.Path, Tags: r.Tags, Description: r.Description}
	}
	e.correlator = newCorrelationRun(rs, e.rules)
	return e
}

// Report accounts for every rule document the Engine was given.
func (e *Engine) Report() *sigma.Report { return e.report }

// HasCorrelations reports whether correlation rules are loaded, that is
// whether the Engine must also run as a Finisher.
func (e *Engine) HasCorrelations() bool { return e.correlator != nil }

// Match implements hunt.Matcher.
func (e *Engine) Match(ev *parsers.Event, emit func(*hunt.Rule, []hunt.Matched)) {
	e.rs.Match(ev, func(m *sigma.Match) {
		if e.correlator != nil {
			e.correlator.observe(m, ev)
		}
		if !m.Rule.Generate && !e.showHidden {
			return
		}
		r := e.rules[m.Rule]
		if r == nil {
			return
		}
		matched := make([]hunt.Matched, 0, len(m.Values)+1)
		for _, v := range m.Values {
			matched = append(matched, hunt.Matched{Search: searchOf(m, v), Field: v.Field, Value: v.Value})
		}
		if len(m.Values) == 0 {
			for _, s := range m.Searches {
				matched = append(matched, hunt.Matched{Search: s})
			}
		}
		emit(r, matched)
	})
}

// searchOf names the search a value belongs to when the match carries only
// one; with several, the explanation lists the searches in matched_searches.
func searchOf(m *sigma.Match, _ sigma.FieldValue) string {
	if len(m.Searches) == 1 {
		return m.Searches[0]
	}
	return ""
}

// DropBundledDuplicates removes from the report the bundled rules that were
// not loaded because a user rule has the same id (user rules load first),
// and returns a note for each: that is an override, not a failure.
func (e *Engine) DropBundledDuplicates() []string {
	var notes []string
	kept := e.report.Failed[:0]
	for _, f := range e.report.Failed {
		if strings.HasPrefix(f.Path, rules.BundledPrefix) && errors.Is(f.Err, sigma.ErrDuplicateID) {
			notes = append(notes, fmt.Sprintf("bundled rule %s (%s) not loaded: a rule given with -r has the same id", f.RuleID, f.Path))
			continue
		}
		kept = append(kept, f)
	}
	e.report.Failed = kept
	return notes
}
