// Package hunt is the engine: it runs rules over events and returns hits.
//
// Run decodes the units of every Input (EVTX chunks, JSON files) on a pool
// of workers, passes each event to the per-event Matchers (Sigma), feeds the
// Observers (KQL table builders), and then runs the Finishers (correlations,
// KQL queries) once every event has been seen. Every hit passes the
// Options.Filters, is counted for the summary (Result.Counts) and goes to a
// HitSink. The canonical order of hits is CompareKeys (time, source,
// record, detection, rule); a sorter that keeps hits as their keys and
// records (hunt/spill, within a memory budget) or a SortingSink (in memory)
// passes them on in it, whatever the number of workers, and a
// DetectionMerger after it makes the hits of one detection
// (Rule.DetectionKey: a Sigma rule and its KQL twin) on one event one hit
// that lists its engines (Hit.Engines). Options.KeepField slims the copy of
// an event a hit keeps to what the output needs. The Result accounts for
// every file in a FileReport. Skipped is the one type for an input or a
// rule that was left out, and why.
//
// hunt imports only parsers. The adapters (hunt/sigmahunt, hunt/kqlhunt)
// implement its interfaces, hunt/rules reads rule files, and hunt/app
// prepares a run from a configuration; parsers never imports hunt, and
// nothing imports cmd.
package hunt
