// Package hunt is the engine: it runs rules over events and returns hits.
//
// Run decodes the units of every Input (EVTX chunks, JSON files) on a pool
// of workers, passes each event to the per-event Matchers (Sigma), feeds the
// Observers (KQL table builders), and then runs the Finishers (correlations,
// KQL queries) once every event has been seen. Every hit passes the
// Options.Filters, is counted for the summary (Result.Counts) and goes to a
// HitSink; a SortingSink passes them on sorted by time, source and record,
// whatever the number of workers, and a MergingSink (NewMergingSink) also
// makes the hits of one detection (Rule.DetectionKey: a Sigma rule and its
// KQL twin) on one event one hit that lists its engines (Hit.Engines). The Result accounts for every file in a
// FileReport. Skipped is the one type for an
// input or a rule that was left out, and why.
//
// hunt imports only parsers. The adapters (hunt/sigmahunt, hunt/kqlhunt)
// implement its interfaces, hunt/rules reads rule files, and hunt/app
// prepares a run from a configuration; parsers never imports hunt, and
// nothing imports cmd.
package hunt
