package rules

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/loghunt/loghunt/hunt"
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
	files, skipped := Find(fsys, "r", "", 0)
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
	files, skipped := FindOnDisk(p, 0)
	if len(files) != 1 || files[0].Path != p || len(skipped) != 0 {
		t.Fatalf("%+v %+v", files, skipped)
	}
	_, skipped = FindOnDisk(filepath.Join(dir, "nope"), 0)
	if len(skipped) != 1 || !strings.Contains(skipped[0].Reason, "cannot read rules") {
		t.Fatalf("missing path: %+v", skipped)
	}
}

// TestFindLimitsFileSize: a rule file over MaxFileSize is not read; it is
// skipped with a reason and ErrTooLarge. Files that cannot be rules are
// never read.
func TestFindLimitsFileSize(t *testing.T) {
	big := make([]byte, MaxFileSize+1)
	fsys := fstest.MapFS{
		"r/big.yml":      {Data: big},
		"r/limit.kql":    {Data: []byte("T | take 1" + strings.Repeat(" ", MaxFileSize-10))},
		"r/big.evtx.bin": {Data: big},
	}
	files, skipped := Find(fsys, "r", "", 0)
	if len(files) != 1 || files[0].Name != "r/limit.kql" || len(files[0].Data) != MaxFileSize {
		t.Errorf("files = %d, want limit.kql at exactly the limit", len(files))
	}
	if len(skipped) != 1 || skipped[0].Path != filepath.FromSlash("r/big.yml") || !errors.Is(skipped[0], ErrTooLarge) ||
		skipped[0].Reason != "rule file too large: 8388609 bytes is over the 8388608 byte limit for a rule file" {
		t.Errorf("skipped = %+v", skipped)
	}
}

// TestParseKQLErrorsHaveLines: a Sentinel file that does not load is a
// hunt.Skipped with the line of the problem and its cause.
func TestParseKQLErrorsHaveLines(t *testing.T) {
	tests := []struct {
		name, data string
		line       int
		cause      error
	}{
		{"no query", "id: x\nname: y\nquery: \"  \"\n", 3, ErrNoQuery},
		{"no query key", "id: x\nname: y\n", 0, ErrNoQuery},
		{"bad yaml", "id: x\nname: [y\nquery: |\n  T\n", 3, nil}, // where yaml.v3 notices
		{"wrong type", "id: x\ntactics: {a: 1}\nquery: T\n", 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseKQL(File{Path: "r/q.yaml", Name: "q.yaml", Data: []byte(tt.data), Kind: KindKQL})
			var sk hunt.Skipped
			if !errors.As(err, &sk) || sk.Path != "r/q.yaml" || sk.Line != tt.line || sk.Err == nil {
				t.Fatalf("got %#v, want a Skipped at line %d", err, tt.line)
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Errorf("%v is not %v", err, tt.cause)
			}
		})
	}
}
