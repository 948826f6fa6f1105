package sigma

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/parsers"
)

// matchTrace renders every match of one event, in order, with the
// searches and values that explain it.
func matchTrace(rs *Ruleset, ev *parsers.Event) []string {
	var out []string
	rs.Match(ev, func(m *Match) {
		out = append(out, fmt.Sprintf("%s %s %q %q", m.Rule.ID, m.Rule.Path, m.Searches, m.Values))
	})
	return out
}

// diffMatches checks that two rulesets (the same rules, prefilter on and
// off) give the same matches on every event, and returns how many
// matches there were.
func diffMatches(t *testing.T, fast, slow *Ruleset, evs []*parsers.Event) int {
	t.Helper()
	total, bad := 0, 0
	for _, ev := range evs {
		got, want := matchTrace(fast, ev), matchTrace(slow, ev)
		total += len(want)
		if strings.Join(got, "\n") == strings.Join(want, "\n") {
			continue
		}
		bad++
		if bad <= 10 {
			t.Errorf("%s (channel %q, event %d): prefilter changed the matches\n got: %q\nwant: %q", ev.Source, ev.Channel, ev.EventID, got, want)
		}
	}
	if bad > 10 {
		t.Errorf("... %d events differ in all", bad)
	}
	return total
}

// allCorpusEvents returns events of every channel from the shared EVTX
// corpora (at most max, spread over the files) plus the JSON twins of the
// regression samples.
func allCorpusEvents(t *testing.T, max int) []*parsers.Event {
	shared := sharedDir(t)
	var files []string
	for _, root := range []string{"corpora/evtx", "sigma/regression_data"} {
		_ = filepath.WalkDir(filepath.Join(shared, root), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(strings.ToLower(p), ".evtx") {
				files = append(files, p)
			}
			return nil
		})
	}
	sort.Strings(files)
	perFile := max / max1(len(files))
	var evs []*parsers.Event
	for _, f := range files {
		n := 0
		_ = evtxEvents(f, func(e *parsers.Event) {
			if n < perFile {
				evs = append(evs, e.Clone())
				n++
			}
		})
		if strings.Contains(f, "regression_data") {
			_ = jsonEvents(strings.TrimSuffix(f, filepath.Ext(f))+".json", func(e *parsers.Event) {
				evs = append(evs, e.Clone())
			})
		}
	}
	return evs
}

func max1(n int) int { return max(n, 1) }

// TestPrefilterDifferential checks the optimized matcher against plain
// evaluation of every routed rule: with all SigmaHQ rules/windows rules
// loaded, every event of the corpus (Sysmon, Security and the other
// channels, EVTX and JSON) must give exactly the same matches, in the
// same order, with the same explanations. A subset is also matched with
// its channel removed (every rule, no mapping).
func TestPrefilterDifferential(t *testing.T) {
	shared := sharedDir(t)
	fast, rep := windowsRuleset(t)
	l := NewLoader(LoadOptions{})
	l.AddPath(filepath.Join(shared, "sigma", "rules", "windows"))
	slow, _ := l.Compile()
	slow.noPrefilter = true

	evs := append([]*parsers.Event(nil), corpusEvents(t, 50000)...)
	evs = append(evs, allCorpusEvents(t, 30000)...)
	total := diffMatches(t, fast, slow, evs)
	t.Logf("%d rules, %d events, %d matches: identical with and without the prefilter", rep.Detection, len(evs), total)
	if total == 0 {
		t.Fatal("no rule matched any corpus event: the comparison proves nothing")
	}

	var noChan []*parsers.Event
	for i := 0; i < len(evs); i += 97 {
		e := evs[i].Clone()
		e.Channel = ""
		noChan = append(noChan, e)
	}
	total = diffMatches(t, fast, slow, noChan)
	t.Logf("%d events without a channel, %d matches: identical", len(noChan), total)
}
