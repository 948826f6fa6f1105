package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name, data string
		want       Kind
	}{
		{"a.yml", "title: x\ndetection:\n  sel: {a: 1}\n  condition: sel\n", KindSigma},
		{"a.yaml", "id: 1\nname: q\nquery: |\n  T | take 1\n", KindKQL},
		{"a.kql", "T | take 1", KindKQL},
		{"a.yml", "title: x\ncorrelation:\n  type: event_count\n", KindSigma},
		{"a.yml", "a: 1\n---\ntitle: y\nlogsource: {product: windows}\ndetection: {s: {a: 1}, condition: s}\n", KindSigma},
		{"notes.yml", "just: data\n", KindNone},
		{"README.md", "# hi", KindNone},
	}
	for _, tt := range tests {
		if got, _ := Classify(tt.name, []byte(tt.data)); got != tt.want {
			t.Errorf("%s %q: %v, want %v", tt.name, tt.data, got, tt.want)
		}
	}
}

func TestFindReportsNonRules(t *testing.T) {
	fsys := fstest.MapFS{
		"r/a.yml":      {Data: []byte("title: a\nlogsource: {product: windows}\ndetection: {s: {a: 1}, condition: s}\n")},
		"r/b.kql":      {Data: []byte("T | take 1")},
		"r/odd.yml":    {Data: []byte("colour: blue\n")},
		"r/README.md":  {Data: []byte("docs")},
		"r/.git/x.yml": {Data: []byte("title: hidden\ndetection: {}\n")},
	}
	files, skipped := Find(fsys, "r", "")
	if len(files) != 2 || files[0].Kind != KindSigma || files[1].Kind != KindKQL {
		t.Fatalf("files = %+v", files)
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0].Path, "odd.yml") {
		t.Fatalf("skipped = %+v (README is normal, odd.yml is not)", skipped)
	}
}

func TestFindOnDiskSingleFileAndMissing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "q.kql")
	os.WriteFile(p, []byte("T | take 1"), 0o644)
	files, skipped := FindOnDisk(p)
	if len(files) != 1 || files[0].Path != p || len(skipped) != 0 {
		t.Fatalf("%+v %+v", files, skipped)
	}
	_, skipped = FindOnDisk(filepath.Join(dir, "nope"))
	if len(skipped) != 1 || !strings.Contains(skipped[0].Reason, "cannot read rules") {
		t.Fatalf("missing path: %+v", skipped)
	}
}
