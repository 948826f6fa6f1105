package sigma

import (
	"path/filepath"
	"sort"
	"testing"

	"github.com/loghunt/loghunt/internal/testshared"
)

// sharedDir returns ../shared (relative to the module root), or skips
// the test when it is absent.
func sharedDir(t testing.TB) string {
	t.Helper()
	return testshared.Dir(t)
}

// TestCorpusRulesCheck is "loghunt rules check" over every SigmaHQ rule
// folder: at least 99.5% of detection and correlation rules must load,
// and every rule that does not is listed with its reason.
func TestCorpusRulesCheck(t *testing.T) {
	shared := sharedDir(t)
	dirs, _ := filepath.Glob(filepath.Join(shared, "sigma", "rules*"))
	sort.Strings(dirs)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			l := NewLoader(LoadOptions{})
			l.AddPath(dir)
			_, rep := l.Compile()
			loaded := rep.Detection + rep.Correlation
			total := loaded + len(rep.Failed)
			for _, f := range rep.Failed {
				t.Logf("not loaded: %v", f)
			}
			t.Logf("%s: %d files, %d of %d detection+correlation rules loaded, %d filters, %d failed, %d unrouted, %d warnings",
				filepath.Base(dir), rep.Files, loaded, total, rep.Filter, len(rep.Failed), len(rep.Unrouted), len(rep.Warnings))
			if total == 0 {
				return
			}
			if rate := float64(loaded) / float64(total); rate < 0.995 {
				t.Errorf("load rate %.4f below 0.995", rate)
			}
		})
	}
}
