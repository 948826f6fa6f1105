// Package app is the application layer that cmd/loghunt calls: a Config
// says what to hunt with which rules, Prepare finds the inputs (Discover)
// and loads the rules into a Plan, and Plan.Run runs the engine.
//
// app imports hunt, hunt/rules, the adapters (hunt/sigmahunt,
// hunt/kqlhunt) and the parsers; nothing but cmd imports app.
package app

import (
	"time"

	"github.com/loghunt/loghunt/hunt/budget"
	"github.com/loghunt/loghunt/hunt/rules"
	"github.com/loghunt/loghunt/hunt/timewindow"
	"github.com/loghunt/loghunt/parsers/input"
)

// Config is everything a hunt run needs. The zero value hunts nothing.
type Config struct {
	Paths      []string // files and directories to hunt
	RulePaths  []string // extra rule files or directories (Sigma or KQL)
	NoBundled  bool     // leave the embedded rulepacks out
	NoSigma    bool     // run no Sigma rules (loghunt kql)
	NoKQL      bool     // run no KQL rules: nothing is kept per event
	Queries    []*rules.KQL
	Threads    int
	Carve      bool
	Input      input.Options // archive limits; the zero value has safe defaults
	Select     rules.Selection
	ExpandFile string // YAML map of Sigma placeholder values
	Now        Now
	// ShowHidden also outputs hits of Sigma rules that only feed
	// correlations (generate: false).
	ShowHidden bool
	// Window restricts the hunt to a time window (timewindow.Parse); the
	// zero Spec hunts every event. A Fixed window gates the events every
	// rule sees; --last counted back from the newest event drops the hits
	// outside it once the run is complete.
	Window timewindow.Spec
	// Zone is the zone the summary's notes write times in; nil is UTC.
	Zone *time.Location
	// TuningFile is a tuning file (hunt/tuning) whose exclusions suppress
	// hits; "" for none.
	TuningFile string
	// ShowSuppressed outputs the suppressed hits too, marked with their
	// exclusion (hunt.Hit.Suppressed); they are still not counted as hits.
	ShowSuppressed bool
	// Budget is the run's memory budget (--max-memory). The hits waiting
	// to be sorted take the account "hits" of it (hunt/spill: they spill
	// to disk when it is short); the KQL tables and queries are to take
	// "kql", the correlation state "correlation". Nil: no limit; hits are
	// still sorted in runs of spill.DefaultRunBytes.
	Budget *budget.Budget
	// TempDir is where the hits spill; "" is the system's temporary
	// directory.
	TempDir string
	// KeepField says which event fields the output needs of each hit
	// (output.KeepField of the format); nil keeps every field. With a
	// tuning file every field is kept: its exclusions may test any field.
	KeepField func(name string) bool
	// KQLTimeout bounds each KQL query's run time (--kql-timeout): zero
	// means kqlhunt.DefaultTimeout, a negative value no limit. A query
	// that runs longer fails, and the hunt goes on.
	KQLTimeout time.Duration
}
