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
}

// Summary accounts for a whole run: what was read, what failed, which rules
// ran and what they found.
type Summary struct {
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
	HitsPerRule []RuleCount    `json:"hits_per_rule"`
	// HitsPerLevel counts the hits by rule level. Neither summary writes
	// it yet; it is here for the level-ordered summary.
	HitsPerLevel map[string]int `json:"-"`
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
	DurationMS      int64    `json:"duration_ms"`
}

// ExclusionCount is how many hits one tuning exclusion suppressed.
type ExclusionCount struct {
	Name string `json:"name"`
	Hits int64  `json:"hits"`
}

// NewSummary accounts for res, its files and the engine's hit counts (the
// hits the filters kept). Rule accounting is filled in by the caller.
func NewSummary(res *hunt.Result) *Summary {
	s := &Summary{Files: len(res.Files), Totals: res.Totals(), Events: res.Events,
		RulesLoaded: map[string]int{}, DurationMS: res.Duration.Milliseconds()}
	for _, f := range res.Files {
		fs := FileSummary{Path: f.Path, Kind: f.Kind, Size: f.Size, Stats: f.Stats}
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
	// The counts come from a map: the order must be total.
	slices.SortFunc(s.HitsPerRule, func(a, b RuleCount) int {
		if a.Hits != b.Hits {
			return b.Hits - a.Hits
		}
		return cmp.Or(strings.Compare(a.Title+a.Engine, b.Title+b.Engine),
			strings.Compare(a.ID, b.ID), strings.Compare(a.Level, b.Level))
	})
	s.HitsTotal = res.Counts.Hits
	s.HitsPerLevel = maps.Clone(res.Counts.PerLevel)
	return s
}

// WriteJSON writes the summary as one indented JSON document.
func (s *Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// maxListed bounds how many failed records and skipped rules the text
// summary lists; the JSON summary always lists all of them.
const maxListed = 20

// WriteText writes the human summary. perFile adds a line per input file.
func (s *Summary) WriteText(w io.Writer, perFile bool) {
	t := s.Totals
	fmt.Fprintf(w, "\nSummary\n")
	fmt.Fprintf(w, "  files read:        %d (%d could not be read)\n", s.Files, s.FileErrors)
	if len(s.Skipped) > 0 {
		fmt.Fprintf(w, "  inputs skipped:    %d\n", len(s.Skipped))
	}
	fmt.Fprintf(w, "  records parsed:    %d (recovered by carving: %d)\n", t.Records, t.Recovered)
	fmt.Fprintf(w, "  records failed:    %d (bad chunks: %d, bad checksums parsed anyway: %d)\n", t.Failed, t.BadChunks, t.BadChecksum)
	if t.NoTime > 0 {
		fmt.Fprintf(w, "  without timestamp: %d events\n", t.NoTime)
	}
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
	for _, r := range s.HitsPerRule {
		fmt.Fprintf(w, "    %6d  %s [%s, %s]\n", r.Hits, r.Title, r.Engine, r.ID)
	}
	if s.HitsFilteredOut > 0 {
		fmt.Fprintf(w, "  hits filtered out: %d (by --channel, --event-id or --computer)\n", s.HitsFilteredOut)
	}
	if s.TuningFile != "" {
		var n int64
		for _, e := range s.Suppressed {
			n += e.Hits
		}
		fmt.Fprintf(w, "  suppressed:        %d (by the exclusions of %s)\n", n, s.TuningFile)
		for _, e := range s.Suppressed {
			fmt.Fprintf(w, "    %6d  %s\n", e.Hits, e.Name)
		}
	}
	fmt.Fprintf(w, "  time:              %s\n", (time.Duration(s.DurationMS) * time.Millisecond).String())
	for _, n := range s.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	for _, n := range s.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", n)
	}
	listed, failed := 0, 0
	for _, f := range s.PerFile {
		if f.Error != "" {
			fmt.Fprintf(w, "  unreadable: %s: %s\n", f.Path, f.Error)
		}
		for _, e := range f.Errors {
			failed++
			if listed < maxListed {
				fmt.Fprintf(w, "  failed: %s\n", e)
				listed++
			}
		}
	}
	if failed > listed {
		fmt.Fprintf(w, "  ... %d more damaged units: see --summary-json\n", failed-listed)
	}
	for i, sk := range s.Skipped {
		if i == maxListed {
			fmt.Fprintf(w, "  ... %d more inputs skipped: see --summary-json\n", len(s.Skipped)-maxListed)
			break
		}
		fmt.Fprintf(w, "  skipped input: %s: %s\n", sk.Path, sk.Why())
	}
	for i, r := range s.RulesOff {
		if i == maxListed {
			fmt.Fprintf(w, "  ... %d more rules not loaded: run \"loghunt rules check\" or see --summary-json\n", len(s.RulesOff)-maxListed)
			break
		}
		pos := r.Path
		if r.Line > 0 {
			pos = fmt.Sprintf("%s:%d", pos, r.Line)
		}
		fmt.Fprintf(w, "  rule not loaded: %s: %s\n", pos, r.Why())
	}
	if perFile {
		fmt.Fprintf(w, "\nPer file (records parsed / recovered / failed / bad chunks):\n")
		for _, f := range s.PerFile {
			fmt.Fprintf(w, "  %8d %6d %6d %4d  %s\n", f.Records, f.Recovered, f.Failed, f.BadChunks, f.Path)
		}
	}
}
