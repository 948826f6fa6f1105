// Package testshared locates the ../shared corpora for the second test tier.
//
// Tests over ../shared call Dir: when the folder is absent the test is
// skipped with a message, unless LOGHUNT_REQUIRE_SHARED is set (CI sets it),
// in which case it fails. Corpus-tier test names contain Corpus, Oracle or
// Regression so that CI can run the tier on its own.
package testshared

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Root returns the absolute path of ../shared beside the repository, and
// whether it exists.
func Root() (string, bool) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", false
	}
	// file is <repo>/internal/testshared/testshared.go
	repo := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	dir := filepath.Join(filepath.Dir(repo), "shared")
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return dir, true
	}
	return dir, false
}

// Dir returns ../shared joined with elem, or skips (fails under
// LOGHUNT_REQUIRE_SHARED) when it does not exist.
//
// In -short mode (CI's race tier) the corpus tier is skipped: it runs on
// its own, without the race detector.
func Dir(tb testing.TB, elem ...string) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("corpus tier skipped in -short mode")
	}
	root, ok := Root()
	p := filepath.Join(append([]string{root}, elem...)...)
	if ok {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("LOGHUNT_REQUIRE_SHARED") != "" {
		tb.Fatalf("corpus tier: %s is missing (LOGHUNT_REQUIRE_SHARED is set)", p)
	}
	tb.Skipf("corpus tier skipped: %s not found (clone the repo beside ../shared to run it)", p)
	return ""
}

// RepoRoot returns the repository's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}
