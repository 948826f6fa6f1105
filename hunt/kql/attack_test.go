package kql_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt/kql"
	"github.com/loghunt/loghunt/hunt/kql/schema"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtx"
)

// sharedRoot returns ../shared next to the module root or skips.
func sharedRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found")
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared")
	for _, need := range []string{"kql/queries", "corpora/evtx/attack-samples"} {
		if _, err := os.Stat(filepath.Join(shared, need)); err != nil {
			t.Skipf("corpus tier: %s not present", filepath.Join(shared, need))
		}
	}
	return shared
}

// TestCorpusRunAttackSamples runs every corpus query over the tables
// emulated from ../shared/corpora/evtx/attack-samples, with now() pinned to
// the newest event. It prints the run rate, split into the queries that
// read only derived tables and those that read a table with no source in
// Windows event logs (served empty, with a warning each such query must
// get), and each failing query with its reason; at least 92% must run to
// completion without error.
func TestCorpusRunAttackSamples(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 20 MB of EVTX")
	}
	shared := sharedRoot(t)
	files, _ := filepath.Glob(filepath.Join(shared, "kql", "queries", "*.kql"))
	sort.Strings(files)
	type parsed struct {
		name string
		q    *kql.Query
		err  error
	}
	var qs []parsed
	var tables []string
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		q, err := kql.Parse(string(b))
		qs = append(qs, parsed{filepath.Base(f), q, err})
		if err == nil {
			for _, name := range q.Tables(schema.SentinelNaming{}) {
				if !seen[name] {
					seen[name] = true
					tables = append(tables, name)
				}
			}
		}
	}
	b := schema.NewBuilder(schema.Options{Tables: tables})
	var newest time.Time
	events := 0
	err := filepath.WalkDir(filepath.Join(shared, "corpora", "evtx", "attack-samples"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".evtx") {
			return err
		}
		_, rerr := evtx.ReadFile(path, evtx.Options{}, func(ev *parsers.Event) error {
			events++
			b.Add(ev)
			if ev.Time.After(newest) {
				newest = ev.Time
			}
			return nil
		}, func(*parsers.ParseError) {})
		if rerr != nil {
			t.Logf("skipping %s: %v", path, rerr)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cat := schema.Adapt[kql.Arg](b.Finish())
	s := schema.Default()
	ran, rows := 0, 0
	// A query that runs either reads only tables derived from the events,
	// or reads (also) a table with no source in Windows event logs, which
	// is always empty offline: the two are counted apart.
	derivedOnly, readsEmpty := 0, 0
	emptyTables := map[string]int{}
	var failures []string
	for _, p := range qs {
		if p.err != nil {
			failures = append(failures, p.name+": parse: "+p.err.Error())
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		res, warns, err := p.q.Run(ctx, cat, kql.Options{Now: newest})
		cancel()
		if err != nil {
			failures = append(failures, p.name+": "+firstLineOf(err.Error()))
			continue
		}
		ran++
		if len(res.Rows) > 0 {
			rows++
		}
		var empty []string
		for _, name := range p.q.Tables(schema.SentinelNaming{}) {
			if s.IsNoSource(name) {
				empty = append(empty, name)
				emptyTables[name]++
			}
		}
		if len(empty) == 0 {
			derivedOnly++
			continue
		}
		readsEmpty++
		// Every such query is told, once per table.
		for _, name := range empty {
			n := 0
			for _, w := range warns {
				if w.Msg == schema.NoSourceNote(name) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s reads %s: %d warnings saying it has no source, want 1 (warnings: %v)", p.name, name, n, warns)
			}
		}
	}
	rate := float64(ran) / float64(len(qs))
	var names []string
	for n := range emptyTables {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("%d events; ran %d/%d corpus queries (%.1f%%): %d over derived tables only, %d reading an always-empty table with no source in Windows event logs (%s); %d returned rows; now() = %s",
		events, ran, len(qs), 100*rate, derivedOnly, readsEmpty, strings.Join(names, ", "), rows, newest.Format(time.RFC3339))
	for _, f := range failures {
		t.Logf("  run failure: %s", f)
	}
	if rate < 0.92 {
		t.Errorf("run rate %.1f%% is below 92%%", 100*rate)
	}
}

func firstLineOf(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
