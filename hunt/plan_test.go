package hunt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

func TestParseNow(t *testing.T) {
	if n, err := ParseNow(""); err != nil || n.Wallclock || !n.Time.IsZero() {
		t.Errorf("empty: %+v %v", n, err)
	}
	if n, err := ParseNow("wallclock"); err != nil || !n.Wallclock {
		t.Errorf("wallclock: %+v %v", n, err)
	}
	n, err := ParseNow("2024-05-01T02:00:00.5+02:00")
	if err != nil || !n.Time.Equal(time.Date(2024, 5, 1, 0, 0, 0, 5e8, time.UTC)) || n.Time.Location() != time.UTC {
		t.Errorf("rfc3339: %+v %v", n, err)
	}
	if _, err := ParseNow("yesterday"); err == nil {
		t.Error("yesterday accepted")
	}
}

func TestClassifyRule(t *testing.T) {
	tests := []struct {
		name, data string
		want       RuleKind
	}{
		{"a.yml", "title: x\ndetection:\n  sel: {a: 1}\n  condition: sel\n", SigmaRule},
		{"a.yaml", "id: 1\nname: q\nquery: |\n  T | take 1\n", KQLRule},
		{"a.kql", "T | take 1", KQLRule},
		{"a.yml", "title: x\ncorrelation:\n  type: event_count\n", SigmaRule},
		{"a.yml", "a: 1\n---\ntitle: y\nlogsource: {product: windows}\ndetection: {s: {a: 1}, condition: s}\n", SigmaRule},
		{"notes.yml", "just: data\n", NotARule},
		{"README.md", "# hi", NotARule},
	}
	for _, tt := range tests {
		if got, _ := ClassifyRule(tt.name, []byte(tt.data)); got != tt.want {
			t.Errorf("%s %q: %v, want %v", tt.name, tt.data, got, tt.want)
		}
	}
}

func TestFindRulesReportsNonRules(t *testing.T) {
	fsys := fstest.MapFS{
		"r/a.yml":      {Data: []byte("title: a\nlogsource: {product: windows}\ndetection: {s: {a: 1}, condition: s}\n")},
		"r/b.kql":      {Data: []byte("T | take 1")},
		"r/odd.yml":    {Data: []byte("colour: blue\n")},
		"r/README.md":  {Data: []byte("docs")},
		"r/.git/x.yml": {Data: []byte("title: hidden\ndetection: {}\n")},
	}
	files, skipped := FindRules(fsys, "r", "")
	if len(files) != 2 || files[0].Kind != SigmaRule || files[1].Kind != KQLRule {
		t.Fatalf("files = %+v", files)
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0].Path, "odd.yml") {
		t.Fatalf("skipped = %+v (README is normal, odd.yml is not)", skipped)
	}
}

func TestFindRulesOnDiskSingleFileAndMissing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "q.kql")
	os.WriteFile(p, []byte("T | take 1"), 0o644)
	files, skipped := FindRulesOnDisk(p)
	if len(files) != 1 || files[0].Path != p || len(skipped) != 0 {
		t.Fatalf("%+v %+v", files, skipped)
	}
	_, skipped = FindRulesOnDisk(filepath.Join(dir, "nope"))
	if len(skipped) != 1 || !strings.Contains(skipped[0].Reason, "cannot read rules") {
		t.Fatalf("missing path: %+v", skipped)
	}
}

func TestFormatCell(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{nil, ""},
		{"x", "x"},
		{int64(-3), "-3"},
		{1.5, "1.5"},
		{true, "true"},
		{time.Date(2024, 1, 2, 3, 4, 5, 1234500, time.UTC), "2024-01-02T03:04:05.0012345Z"},
		{90 * time.Minute, "01:30:00"},
		{26*time.Hour + 150*time.Millisecond, "1.02:00:00.1500000"},
		{[]any{"a", int64(1)}, `["a",1]`},
	}
	for _, tt := range tests {
		if got := FormatCell(tt.in); got != tt.want {
			t.Errorf("FormatCell(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRowHit(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tab := &value.Table{Columns: []value.Column{{Name: "Timestamp", Type: value.DateTime}, {Name: "DeviceName", Type: value.String}, {Name: "ReportId", Type: value.Long}}}
	h := rowHit(&Rule{ID: "q"}, tab, []any{ts, "ws1", int64(42)})
	if !h.Time.Equal(ts) || h.Event.Computer != "ws1" || h.Event.RecordID != 42 || len(h.Row) != 3 {
		t.Fatalf("%+v %+v", h, h.Event)
	}
}
