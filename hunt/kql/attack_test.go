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
// the newest event. It prints the run rate and each failing query with its
// reason, and requires at least 80% to run to completion without error.
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
	ran, rows := 0, 0
	var failures []string
	for _, p := range qs {
		if p.err != nil {
			failures = append(failures, p.name+": parse: "+p.err.Error())
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		res, _, err := p.q.Run(ctx, cat, kql.Options{Now: newest})
		cancel()
		if err != nil {
			failures = append(failures, p.name+": "+firstLineOf(err.Error()))
			continue
		}
		ran++
		if len(res.Rows) > 0 {
			rows++
		}
	}
	rate := float64(ran) / float64(len(qs))
	t.Logf("%d events; ran %d/%d corpus queries (%.1f%%), %d returned rows; now() = %s", events, ran, len(qs), 100*rate, rows, newest.Format(time.RFC3339))
	for _, f := range failures {
		t.Logf("  run failure: %s", f)
	}
	if rate < 0.80 {
		t.Errorf("run rate %.1f%% is below 80%%", 100*rate)
	}
}

func firstLineOf(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
