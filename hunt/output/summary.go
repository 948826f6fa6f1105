package output

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/parsers"
)

// RuleCount is the number of hits of one rule.
type RuleCount struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Engine string `json:"engine"`
	Level  string `json:"level,omitempty"`
	Hits   int    `json:"hits"`
}

// FileSummary is the accounting of one input file.
type FileSummary struct {
	Path string `json:"path"`
	Kind string `json:"kind"`
	Size int64  `json:"size"`
	parsers.Stats
	Errors []string `json:"errors,omitempty"`
	Error  string   `json:"error,omitempty"`
	// Unfinished: the run was interrupted before the file was read to
	// its end.
	Unfinished bool `json:"unfinished,omitempty"`
}

// ComputerCount is the number of hits on one computer.
type ComputerCount struct {
	Computer string `json:"computer"` // "" for hits with no event
	Hits     int    `json:"hits"`
}

// Summary accounts for a whole run: what was read, what failed, which rules
// ran and what they found.
type Summary struct {
	// Interrupted: the run was stopped (Ctrl-C) before every input was
	// read; the hits are those found so far.
	Interrupted bool           `json:"interrupted,omitempty"`
	Files       int            `json:"files"`
	Totals      parsers.Stats  `json:"totals"`
	Events      int64          `json:"events"`
	FileErrors  int            `json:"file_errors"`
	PerFile     []FileSummary  `json:"per_file"`
	Skipped     []hunt.Skipped `json:"skipped_inputs,omitempty"`
	RulesLoaded map[string]int `json:"rules_loaded"`
	RulesOff    []hunt.Skipped `json:"rules_not_loaded,omitempty"`
	Deselected  int            `json:"rules_deselected,omitempty"`
	HitsTotal   int            `json:"hits"`
	// HitsPerLevel counts the hits by rule level, as the rules spell it.
	HitsPerLevel map[string]int `json:"hits_per_level"`
	// HitsPerRule lists the rules with hits, by level (critical first; see
	// LevelRank), then by hits, most first.
	HitsPerRule []RuleCount `json:"hits_per_rule"`
	// HitsPerComputer lists the computers with hits, most first; names
	// that differ only in case are one computer.
	HitsPerComputer []ComputerCount `json:"hits_per_computer"`
	// Suppressed counts the hits each exclusion of the tuning file
	// suppressed, in file order (zeros included); nil without one.
	Suppressed []ExclusionCount `json:"suppressed,omitempty"`
	// TuningFile is the tuning file's path.
	TuningFile string `json:"tuning_file,omitempty"`
	// HitsFilteredOut counts the hits --channel, --event-id or --computer
	// left out.
	HitsFilteredOut int      `json:"hits_filtered_out,omitempty"`
	Notes           []string `json:"notes,omitempty"`
	Warnings        []string `json:"warnings,omitempty"`
	// FieldWarnings counts the warnings that a loaded rule names a field
	// some of its event sources lack, in FieldWarningRules rules. They are
	// not listed here: "loghunt rules check" lists them.
	FieldWarnings     int   `json:"field_warnings,omitempty"`
	FieldWarningRules int   `json:"field_warning_rules,omitempty"`
	DurationMS        int64 `json:"duration_ms"`
	// Search is what a search (not a hunt) looked for, as in
	// `all of "mimikatz" (case-insensitive)`. When set, the text summary
	// names it and counts the matching events (HitsTotal) in place of
	// the rules and their hits.
	Search string `json:"search,omitempty"`
}

// ExclusionCount is how many hits one tuning exclusion suppressed.
type ExclusionCount struct {
	Name string `json:"name"`
	Hits int64  `json:"hits"`
}

// levels are the Sigma levels, most severe first.
var levels = []string{"critical", "high", "medium", "low", "informational"}

// LevelRank orders levels from the most severe: critical 0, high 1,
// medium 2, low 3, informational 4, any other spelling 5 (case is
// ignored).
func LevelRank(level string) int {
	for i, l := range levels {
		if strings.EqualFold(l, level) {
			return i
		}
	}
	return len(levels)
}

// compareLevels orders levels by LevelRank, then by name.
func compareLevels(a, b string) int {
	return cmp.Or(cmp.Compare(LevelRank(a), LevelRank(b)), strings.Compare(a, b))
}

// NewSummary accounts for res, its files and the engine's hit counts (the
// hits the filters kept). Rule accounting is filled in by the caller.
func NewSummary(res *hunt.Result) *Summary {
	s := &Summary{Files: len(res.Files), Totals: res.Totals(), Events: res.Events, Interrupted: res.Interrupted,
		RulesLoaded: map[string]int{}, DurationMS: res.Duration.Milliseconds()}
	for _, f := range res.Files {
		fs := FileSummary{Path: f.Path, Kind: f.Kind, Size: f.Size, Stats: f.Stats, Unfinished: f.Unfinished}
		for _, e := range f.Errors {
			fs.Errors = append(fs.Errors, e.Error())
		}
		if f.Err != nil {
			fs.Error = f.Err.Error()
			s.FileErrors++
		}
		s.PerFile = append(s.PerFile, fs)
	}
	for r, n := range res.Counts.PerRule {
		s.HitsPerRule = append(s.HitsPerRule, RuleCount{ID: r.ID, Title: r.Title, Engine: r.Engine, Level: r.Level, Hits: n})
	}
	// The counts come from maps: the orders must be total.
	slices.SortFunc(s.HitsPerRule, func(a, b RuleCount) int {
		return cmp.Or(compareLevels(a.Level, b.Level), cmp.Compare(b.Hits, a.Hits),
			strings.Compare(a.Title+a.Engine, b.Title+b.Engine), strings.Compare(a.ID, b.ID))
	})
	s.HitsPerComputer = perComputer(res.Counts.PerComputer)
	slices.SortFunc(s.HitsPerComputer, func(a, b ComputerCount) int {
		return cmp.Or(cmp.Compare(b.Hits, a.Hits), strings.Compare(a.Computer, b.Computer))
	})
	s.HitsTotal = res.Counts.Hits
	s.HitsPerLevel = maps.Clone(res.Counts.PerLevel)
	if s.HitsPerLevel == nil {
		s.HitsPerLevel = map[string]int{}
	}
	return s
}

// perComputer groups the engine's counts by computer name ignoring case,
// as Windows does (a KQL row may spell it in lower case): each group
// shows its most frequent spelling, the first in byte order on a tie.
func perComputer(counts map[string]int) []ComputerCount {
	type group struct {
		hits     int
		name     string
		nameHits int
	}
	groups := map[string]*group{}
	for c, n := range counts {
		k := strings.ToLower(c)
		g := groups[k]
		if g == nil {
			g = &group{}
			groups[k] = g
		}
		g.hits += n
		if n > g.nameHits || n == g.nameHits && c < g.name {
			g.name, g.nameHits = c, n
		}
	}
	var out []ComputerCount
	for _, g := range groups {
		out = append(out, ComputerCount{Computer: g.name, Hits: g.hits})
	}
	return out
}

// UnfinishedFiles counts the files an interrupted run did not read to
// their end.
func (s *Summary) UnfinishedFiles() int {
	n := 0
	for _, f := range s.PerFile {
		if f.Unfinished {
			n++
		}
	}
	return n
}

// WriteJSON writes the summary as one indented JSON document.
func (s *Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// maxListed bounds how many damaged units the text summary lists; the JSON
// summary always lists all of them. Skipped inputs and rules not loaded
// are all listed.
const maxListed = 20

// WriteText writes the human summary: what was read, the rules, the hits
// per level, the rules with hits by level then count, the hits per
// computer, then every input and rule left out with its reason, the
// damaged units, notes and warnings. perFile adds a line per input file.
// A search's summary (Search set) names what it looked for and counts the
// matching events, per computer, in place of the rules and hits.
func (s *Summary) WriteText(w io.Writer, perFile bool) {
	t := s.Totals
	fmt.Fprintf(w, "\nSummary\n")
	if s.Interrupted {
		found := "hits"
		if s.Search != "" {
			found = "matches"
		}
		fmt.Fprintf(w, "  INTERRUPTED:       the run was stopped; %d of %d files were not read to their end; the %s are those found so far\n", s.UnfinishedFiles(), s.Files, found)
	}
	fmt.Fprintf(w, "  files read:        %d (%d could not be read)\n", s.Files, s.FileErrors)
	if len(s.Skipped) > 0 {
		fmt.Fprintf(w, "  inputs skipped:    %d\n", len(s.Skipped))
	}
	fmt.Fprintf(w, "  records parsed:    %d (recovered by carving: %d)\n", t.Records, t.Recovered)
	fmt.Fprintf(w, "  records failed:    %d (bad chunks: %d, bad checksums parsed anyway: %d)\n", t.Failed, t.BadChunks, t.BadChecksum)
	if t.NoTime > 0 {
		fmt.Fprintf(w, "  without timestamp: %d events\n", t.NoTime)
	}
	if s.Search != "" {
		s.writeMatches(w)
	} else {
		s.writeHits(w)
	}
	s.writeLeftOut(w)
	fmt.Fprintln(w)
	for _, n := range s.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	for _, n := range s.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", n)
	}
	if s.FieldWarnings > 0 {
		fmt.Fprintf(w, "  field warnings:    %d in %d rules that name fields some of their event sources lack; run \"loghunt rules check\" on the same rules to list them\n", s.FieldWarnings, s.FieldWarningRules)
	}
	fmt.Fprintf(w, "  time:              %s\n", (time.Duration(s.DurationMS) * time.Millisecond).String())
	if perFile {
		fmt.Fprintf(w, "\nPer file (records parsed / recovered / failed / bad chunks):\n")
		for _, f := range s.PerFile {
			mark := ""
			if f.Unfinished {
				mark = "  (not read to the end: interrupted)"
			}
			fmt.Fprintf(w, "  %8d %6d %6d %4d  %s%s\n", f.Records, f.Recovered, f.Failed, f.BadChunks, f.Path, mark)
		}
	}
}

// writeHits writes the rules, the hits and the tuning of a hunt.
func (s *Summary) writeHits(w io.Writer) {
	var engines []string
	for k := range s.RulesLoaded {
		engines = append(engines, k)
	}
	slices.Sort(engines)
	var parts []string
	total := 0
	for _, k := range engines {
		parts = append(parts, fmt.Sprintf("%s %d", k, s.RulesLoaded[k]))
		total += s.RulesLoaded[k]
	}
	fmt.Fprintf(w, "  rules loaded:      %d (%s)\n", total, strings.Join(parts, ", "))
	fmt.Fprintf(w, "  rules not loaded:  %d\n", len(s.RulesOff))
	if s.Deselected > 0 {
		fmt.Fprintf(w, "  rules deselected:  %d (by --rule, --level, --min-level, --status, --tags, --exclude-rule, --no-kql, or status unsupported)\n", s.Deselected)
	}
	fmt.Fprintf(w, "  hits:              %d\n", s.HitsTotal)
	if s.HitsFilteredOut > 0 {
		fmt.Fprintf(w, "  hits filtered out: %d (by --channel, --event-id or --computer)\n", s.HitsFilteredOut)
	}
	if s.TuningFile != "" {
		var n int64
		for _, e := range s.Suppressed {
			n += e.Hits
		}
		fmt.Fprintf(w, "  suppressed:        %d (by the exclusions of %s)\n", n, terminalSafe(s.TuningFile))
		for _, e := range s.Suppressed {
			fmt.Fprintf(w, "    %6d  %s\n", e.Hits, terminalSafe(e.Name))
		}
	}
	if s.HitsTotal > 0 {
		lv := slices.SortedFunc(maps.Keys(s.HitsPerLevel), compareLevels)
		fmt.Fprintf(w, "\nHits per level\n")
		for _, l := range lv {
			if s.HitsPerLevel[l] > 0 {
				fmt.Fprintf(w, "  %-13s %6d\n", terminalSafe(orNone(l, "(no level)")), s.HitsPerLevel[l])
			}
		}
		fmt.Fprintf(w, "\nRules with hits (by level, then hits)\n")
		for _, r := range s.HitsPerRule {
			fmt.Fprintf(w, "  %-13s %6d  %s [%s, %s]\n", terminalSafe(orNone(r.Level, "(no level)")), r.Hits, terminalSafe(r.Title), r.Engine, terminalSafe(r.ID))
		}
		fmt.Fprintf(w, "\nHits per computer\n")
		for _, c := range s.HitsPerComputer {
			// Computer names are the logs': no escape sequence reaches
			// the terminal.
			fmt.Fprintf(w, "  %6d  %s\n", c.Hits, terminalSafe(orNone(c.Computer, "(no computer: KQL rows not tied to an event)")))
		}
	}
}

// writeMatches writes what a search looked for and the events it found,
// per computer.
func (s *Summary) writeMatches(w io.Writer) {
	fmt.Fprintf(w, "  search:            %s\n", terminalSafe(s.Search))
	fmt.Fprintf(w, "  matches:           %d\n", s.HitsTotal)
	if s.HitsTotal > 0 {
		fmt.Fprintf(w, "\nMatches per computer\n")
		for _, c := range s.HitsPerComputer {
			fmt.Fprintf(w, "  %6d  %s\n", c.Hits, terminalSafe(orNone(c.Computer, "(no computer)")))
		}
	}
}

// writeLeftOut lists every input and rule left out with its reason, and
// the damaged units (the first maxListed).
func (s *Summary) writeLeftOut(w io.Writer) {
	unreadable := 0
	for _, f := range s.PerFile {
		if f.Error != "" {
			unreadable++
		}
	}
	failed := 0
	for _, f := range s.PerFile {
		failed += len(f.Errors)
	}
	if unreadable+failed+len(s.Skipped)+len(s.RulesOff) == 0 {
		return
	}
	fmt.Fprintf(w, "\nLeft out\n")
	for _, f := range s.PerFile {
		if f.Error != "" {
			fmt.Fprintf(w, "  unreadable: %s: %s\n", f.Path, f.Error)
		}
	}
	for _, sk := range s.Skipped {
		fmt.Fprintf(w, "  skipped input: %s: %s\n", sk.Path, sk.Why())
	}
	for _, r := range s.RulesOff {
		pos := r.Path
		if r.Line > 0 {
			pos = fmt.Sprintf("%s:%d", pos, r.Line)
		}
		fmt.Fprintf(w, "  rule not loaded: %s: %s\n", pos, r.Why())
	}
	listed := 0
	for _, f := range s.PerFile {
		for _, e := range f.Errors {
			if listed == maxListed {
				break
			}
			fmt.Fprintf(w, "  failed: %s\n", e)
			listed++
		}
	}
	if failed > listed {
		fmt.Fprintf(w, "  ... %d more damaged units: see --summary-json\n", failed-listed)
	}
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}
