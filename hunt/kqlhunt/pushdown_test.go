package kqlhunt

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/kql/value"
	"github.com/loghunt/loghunt/hunt/rules"
	"github.com/loghunt/loghunt/internal/testshared"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtx"
)

// TestCorpusPushdownSameResults runs every query of ../shared/kql/queries
// and the bundled KQL rules over the whole EVTX corpus twice, with the
// tables built whole and with the queries' filters and columns pushed into
// the builder, and requires the same result table from every query that
// runs, and the same failures.
func TestCorpusPushdownSameResults(t *testing.T) {
	queries := testshared.Dir(t, "kql", "queries")
	corpus := testshared.Dir(t, "corpora", "evtx")
	var defs []*rules.KQL
	files, _ := filepath.Glob(filepath.Join(queries, "*.kql"))
	bundled, _ := filepath.Glob(filepath.Join(testshared.RepoRoot(), "rulepacks", "kql", "*.yaml"))
	sort.Strings(files)
	for _, f := range append(files, bundled...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := rules.ParseKQL(rules.File{Path: f, Name: filepath.Base(f), Data: data, Kind: rules.KindKQL})
		if err != nil {
			continue
		}
		defs = append(defs, d)
	}
	// the corpus' events, read once
	var events []*parsers.Event
	err := filepath.WalkDir(corpus, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".evtx") {
			return err
		}
		_, _ = evtx.ReadFile(path, evtx.Options{}, func(ev *parsers.Event) error {
			events = append(events, ev.Clone())
			return nil
		}, func(*parsers.ParseError) {})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Each query runs alone: one that reads a table whole (or every table,
	// find without in) would otherwise turn the others' pushdown off.
	pushedRules, ran, nonEmpty, hitsTotal := 0, 0, 0, 0
	for _, d := range defs {
		pushed, _ := New([]*rules.KQL{d}, Options{})
		if len(pushed.Rules()) == 0 || len(pushed.push) == 0 {
			continue
		}
		pushedRules++
		whole, _ := New([]*rules.KQL{d}, Options{NoPushdown: true})
		ww, pw := whole.Worker(), pushed.Worker()
		for _, ev := range events {
			ww(ev)
			pw(ev)
		}
		hits := func(e *Engine) int {
			n := 0
			if err := e.Finish(context.Background(), func(*hunt.Hit) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
			return n
		}
		wh, ph := hits(whole), hits(pushed)
		a, b := whole.Result(d), pushed.Result(d)
		name := filepath.Base(d.Path)
		switch {
		case (a == nil) != (b == nil):
			t.Errorf("%s: ran whole %v, pushed %v", name, a != nil, b != nil)
		case a != nil:
			ran++
			if len(a.Rows) > 0 {
				nonEmpty++
			}
			if x, y := render(a), render(b); x != y {
				t.Errorf("%s: results differ\nwhole:\n%s\npushed:\n%s", name, clip(x), clip(y))
			}
		}
		if wh != ph {
			t.Errorf("%s: hits whole %d, pushed %d", name, wh, ph)
		}
		hitsTotal += wh
	}
	t.Logf("%d events; %d rules, %d with a pushdown, %d of those ran (%d with rows, %d hits)", len(events), len(defs), pushedRules, ran, nonEmpty, hitsTotal)
	if nonEmpty == 0 {
		t.Error("no query returned rows: the comparison proves nothing")
	}
}

func render(t *value.Table) string {
	var b strings.Builder
	for _, c := range t.Columns {
		b.WriteString(c.Name + "\t")
	}
	b.WriteByte('\n')
	for _, r := range t.Rows {
		for _, v := range r {
			b.WriteString(FormatCell(v) + "\t")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func clip(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "..."
	}
	return s
}
