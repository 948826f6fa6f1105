package input

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/internal/testshared"
)

// sharedDir returns ../shared, or skips (see internal/testshared).
func sharedDir(t *testing.T) string {
	t.Helper()
	return testshared.Dir(t)
}

// Every .evtx of the shared corpora is found as EVTX and every .json of
// the Sigma regression data as JSON; what is skipped is skipped for its
// type only.
func TestCorpusDiscover(t *testing.T) {
	shared := sharedDir(t)
	roots := []string{filepath.Join(shared, "corpora", "evtx"), filepath.Join(shared, "sigma", "regression_data")}
	res, err := Discover(roots, Options{})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]Kind{}
	for _, f := range res.Files {
		found[f.Path] = f.Kind
	}
	var evtx, json int
	for _, root := range roots {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			switch filepath.Ext(p) {
			case ".evtx":
				evtx++
				if found[p] != KindEVTX {
					t.Errorf("%s: found as %v", p, found[p])
				}
			case ".json":
				json++
				if found[p] != KindJSON {
					t.Errorf("%s: found as %v", p, found[p])
				}
			}
			return nil
		})
	}
	for _, s := range res.Skipped {
		if !errors.Is(s.Err, ErrUnknownType) || strings.HasSuffix(s.Path, ".evtx") {
			t.Errorf("skipped %v", s)
		}
	}
	if evtx == 0 || json == 0 {
		t.Errorf("corpus has %d .evtx and %d .json files", evtx, json)
	}
	t.Logf("%d files (%d .evtx, %d .json), %d skipped", len(res.Files), evtx, json, len(res.Skipped))
}
