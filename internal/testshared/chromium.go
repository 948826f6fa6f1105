package testshared

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Chromium returns the path of a headless Chromium (Debian's chromium),
// or skips the test with a message when there is none, unless
// LOGHUNT_REQUIRE_SHARED is set (CI installs it for the corpus tier), in
// which case it fails.
func Chromium(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("LOGHUNT_REQUIRE_SHARED") != "" {
		tb.Fatal("chromium is not installed (LOGHUNT_REQUIRE_SHARED is set: .ci/run installs it)")
	}
	tb.Skip("chromium not installed: apt-get install chromium to run the report's browser tests")
	return ""
}

// ChromiumArgs are the flags every headless run takes: no sandbox (CI runs
// as root), no GPU, and no first-run or network-using features.
var ChromiumArgs = []string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
	"--no-first-run", "--disable-background-networking", "--disable-extensions", "--disable-sync"}

// OutDir returns the folder for a CI run's outputs (screenshots):
// $LOGHUNT_CI_OUT, else .ci/out in the repository (git ignores it).
func OutDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("LOGHUNT_CI_OUT")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), ".ci", "out")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}
