package kql

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/schema"
)

// FuzzParse checks that Parse never panics, that it returns either a query
// or a *SyntaxError with a position, and that a parsed query can be checked
// and run against an empty catalog without panicking. Seeds: the queries
// under testdata, and the ../shared KQL corpus when present.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"testdata", filepath.Join("testdata", "fuzz_seeds")} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.kql"))
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(string(b))
			}
		}
	}
	if root := corpusRoot(); root != "" {
		files, _ := filepath.Glob(filepath.Join(root, "kql", "queries", "*.kql"))
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(string(b))
			}
		}
	}
	f.Add(`T | where a has "x" or b in~ ("y") | summarize count() by bin(t, 1h)`)
	cat := NewMapCatalog(processTable(), networkTable()).SetNaming(schema.SentinelNaming{})
	f.Fuzz(func(t *testing.T, src string) {
		q, err := Parse(src)
		if err != nil {
			se, ok := err.(*SyntaxError)
			if !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if se.Line < 1 || se.Col < 1 {
				t.Fatalf("error without position: %v", se)
			}
			if q != nil {
				t.Fatal("query and error both set")
			}
			return
		}
		if q == nil {
			t.Fatal("nil query without error")
		}
		_ = q.Tables(schema.SentinelNaming{})
		for _, w := range Check(q, cat) {
			if strings.Contains(w.Msg, "internal error") {
				t.Fatalf("Check: %s", w.Msg)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		// Run turns a panic into an "internal error": that is a bug too.
		if _, _, err := q.Run(ctx, cat, Options{Now: testNow, MaxRows: 10000}); err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatalf("Run: %v", err)
		}
	})
}

// corpusRoot returns ../shared next to the module root, or "".
func corpusRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			shared := filepath.Join(dir, "..", "shared")
			if _, err := os.Stat(filepath.Join(shared, "kql", "queries")); err == nil {
				return shared
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
