package sigmahunt

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/loghunt/loghunt/hunt/rules"
	"github.com/loghunt/loghunt/hunt/sigma"
	"github.com/loghunt/loghunt/internal/testshared"
)

// reportText renders everything a Report says, positions included.
func reportText(rep *sigma.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "files %d detection %d correlation %d filter %d\n", rep.Files, rep.Detection, rep.Correlation, rep.Filter)
	for _, r := range rep.Rules {
		fmt.Fprintf(&b, "rule %s %s %s:%d generate=%v\n", r.ID, r.Title, r.Path, r.Line, r.Generate)
	}
	for _, f := range rep.Failed {
		fmt.Fprintf(&b, "failed %s:%d:%d %s %s: %v\n", f.Path, f.Line, f.Column, f.RuleID, f.Title, f.Err)
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(&b, "skipped %+v\n", s)
	}
	for _, n := range rep.Unrouted {
		fmt.Fprintf(&b, "unrouted %+v\n", n)
	}
	for _, n := range rep.Warnings {
		fmt.Fprintf(&b, "warning %+v\n", n)
	}
	return b.String()
}

// withoutDocs returns files as a caller that did not parse them gives
// them: the Loader then parses their bytes itself (AddBytes).
func withoutDocs(files []rules.File) []rules.File {
	out := make([]rules.File, len(files))
	for i, f := range files {
		f.Docs, f.YAMLErr = nil, nil
		out[i] = f
	}
	return out
}

// TestParsedOnceSameReport: rule files parsed once by rules.Find (the
// nodes go to the Loader) load exactly as when the Loader parses the bytes:
// same rules, same errors at the same lines and columns, with good, broken
// and multi-document files.
func TestParsedOnceSameReport(t *testing.T) {
	good := "title: ok\nid: a1\nlogsource: {category: process_creation, product: windows}\ndetection:\n  s:\n    Image|endswith: '\\\\x.exe'\n  condition: s\n"
	fsys := fstest.MapFS{
		"r/good.yml":      {Data: []byte(good)},
		"r/badyaml.yml":   {Data: []byte(good + "---\ntitle: [unclosed\n")},
		"r/badmod.yml":    {Data: []byte("title: m\nid: b1\nlogsource: {product: windows}\ndetection:\n  s:\n    Image|frobnicate: a\n  condition: s\n")},
		"r/notmap.yml":    {Data: []byte("- a\n- b\n")},
		"r/multi.yml":     {Data: []byte(strings.Replace(good, "a1", "c1", 1) + "---\n" + strings.Replace(good, "a1", "c2", 1) + "---\n")},
		"r/notitle.yml":   {Data: []byte("id: d1\nlogsource: {product: windows}\ndetection:\n  s:\n    A: b\n  condition: s\n")},
		"r/dupkeys.yml":   {Data: []byte(good + "title: again\n")},
		"r/sentinel.yaml": {Data: []byte("name: q\nquery: SecurityEvent | take 1\n")},
	}
	files, _ := rules.Find(fsys, "r", "", 2)
	if len(files) == 0 || files[0].Docs == nil {
		t.Fatalf("Find gave %d files, the first without parsed documents", len(files))
	}
	var sig []rules.File
	for _, f := range files {
		if f.Kind == rules.KindSigma {
			sig = append(sig, f)
		}
	}
	got := reportText(New(sig, Options{}).Report())
	want := reportText(New(withoutDocs(sig), Options{}).Report())
	if got != want {
		t.Errorf("parsed once:\n%s\nparsed by the Loader:\n%s", got, want)
	}
	for _, must := range []string{"failed r/badyaml.yml:", "rule a1 ok r/badyaml.yml:1 ", "failed r/badmod.yml:6:5", "failed r/notmap.yml:1:1", "rule c2 ok r/multi.yml:9"} {
		if !strings.Contains(got, must) {
			t.Errorf("report lacks %q:\n%s", must, got)
		}
	}
}

// TestCorpusCompileAnyThreads: all SigmaHQ rules load to the same report,
// rule for rule, on 1 and on 3 threads, and parsed once as parsed by the
// Loader.
func TestCorpusCompileAnyThreads(t *testing.T) {
	dir := filepath.Join(testshared.Dir(t), "sigma", "rules")
	files, _ := rules.FindOnDisk(dir, 3)
	var sig []rules.File
	for _, f := range files {
		if f.Kind == rules.KindSigma {
			sig = append(sig, f)
		}
	}
	one := reportText(New(withoutDocs(sig), Options{Threads: 1}).Report())
	three := reportText(New(sig, Options{Threads: 3}).Report())
	if one != three {
		a, b := strings.Split(one, "\n"), strings.Split(three, "\n")
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Fatalf("1 thread and 3 differ at line %d:\n%s\n%s", i+1, a[i], b[i])
			}
		}
		t.Fatalf("1 thread: %d lines, 3 threads: %d", len(a), len(b))
	}
	if !strings.Contains(one, "detection 3") {
		t.Errorf("unexpected counts: %.80s", one)
	}
}
