package kql

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/internal/testshared"
)

// sharedDir returns ../shared, skipping the test when it is absent (the
// corpus tier; see internal/testshared).
func sharedDir(t testing.TB) string {
	t.Helper()
	testshared.Dir(t, "kql", "queries")
	root, _ := testshared.Root()
	return root
}

type corpusQuery struct {
	file     string
	src      string
	syntaxOK bool
}

func loadCorpus(t testing.TB) []corpusQuery {
	shared := sharedDir(t)
	idx, err := os.ReadFile(filepath.Join(shared, "kql", "index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]bool{}
	lines := strings.Split(string(idx), "\n")
	header := strings.Split(lines[0], "\t")
	col := -1
	for i, h := range header {
		if h == "kusto_syntax_ok" {
			col = i
		}
	}
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		if col >= 0 && len(f) > col {
			ok[f[0]] = f[col] == "yes"
		}
	}
	files, err := filepath.Glob(filepath.Join(shared, "kql", "queries", "*.kql"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var out []corpusQuery
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		out = append(out, corpusQuery{file: name, src: string(b), syntaxOK: ok[name]})
	}
	return out
}

// msFirstErrors reads testdata/kqlcheck_first_errors.tsv: the first error
// position Microsoft's parser reports for each query it rejects.
func msFirstErrors(t testing.TB) map[string]Pos {
	b := readTestdata(t, "kqlcheck_first_errors.tsv")
	m := map[string]Pos{}
	for _, l := range strings.Split(b, "\n") {
		f := strings.Split(l, "\t")
		if len(f) < 3 || strings.HasPrefix(l, "#") {
			continue
		}
		var p Pos
		if _, err := fmt.Sscan(f[1], &p.Line); err != nil {
			t.Fatal(err)
		}
		if _, err := fmt.Sscan(f[2], &p.Col); err != nil {
			t.Fatal(err)
		}
		m[f[0]] = p
	}
	return m
}

// TestCorpusParse parses every query of ../shared/kql/queries, prints the
// parse rate and every failure, and requires at least 90%. Every query
// that Microsoft's parser accepts (index.tsv kusto_syntax_ok=yes) must
// parse; every query it rejects must fail at the same line and column as
// Microsoft's first error.
func TestCorpusParse(t *testing.T) {
	qs := loadCorpus(t)
	ms := msFirstErrors(t)
	parsed := 0
	var failures []string
	for _, q := range qs {
		_, err := Parse(q.src)
		if err == nil {
			parsed++
			if _, rejected := ms[q.file]; rejected {
				t.Errorf("%s: parsed, but Microsoft's parser rejects it", q.file)
			}
			continue
		}
		failures = append(failures, q.file+": "+err.Error())
		if q.syntaxOK {
			t.Errorf("%s: Microsoft's parser accepts it, we fail: %v", q.file, err)
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%s: error without position: %v", q.file, err)
			continue
		}
		lines := strings.Split(q.src, "\n")
		if se.Line < 1 || se.Line > len(lines) || se.Col < 1 || se.Col > len([]rune(lines[se.Line-1]))+1 {
			t.Errorf("%s: position %d:%d outside the text", q.file, se.Line, se.Col)
		}
		if want, ok := ms[q.file]; ok && (want.Line != se.Line || want.Col != se.Col) {
			t.Errorf("%s: error at %d:%d, Microsoft's parser at %s", q.file, se.Line, se.Col, want)
		}
	}
	rate := float64(parsed) / float64(len(qs))
	t.Logf("parsed %d/%d queries (%.1f%%)", parsed, len(qs), 100*rate)
	for _, f := range failures {
		t.Logf("  parse failure: %s", f)
	}
	if rate < 0.90 {
		t.Errorf("parse rate %.1f%% is below 90%%", 100*rate)
	}
}
