package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/internal/testshared"
)

const (
	idPanda   = "ae8a5c5d-4cfb-4a59-9adb-eb6c6c219620"
	idZebrocy = "92f02b0b-cd8e-4d49-957c-5ad0ee86da65"
	idAzure   = "5c80b618-0dbb-46e6-acbb-03d90bcb6d83"
)

func samplesDir() string { return filepath.Join(testshared.RepoRoot(), "samples") }

// runCLI runs the CLI in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

type jsonlHit struct {
	Timestamp string `json:"timestamp"`
	Rule      struct {
		ID, Title, Engine string
		Engines           []string
	}
	RecordID *uint64 `json:"record_id"`
	Source   struct {
		Path string
		Line int64
	}
	Fields map[string]any
}

// by reports whether the hit lists engine among the engines that found
// it (a merged hit lists several).
func (h *jsonlHit) by(engine string) bool {
	return h.Rule.Engine == engine || slices.Contains(h.Rule.Engines, engine)
}

func readJSONL(t *testing.T, s string) []jsonlHit {
	t.Helper()
	var hits []jsonlHit
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var h jsonlHit
		if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
			t.Fatalf("bad JSONL line %q: %v", sc.Text(), err)
		}
		hits = append(hits, h)
	}
	return hits
}

// sampleNotes maps "file:line" of every sample event to its _sample_note,
// which says whether (and which rule) it must hit.
func sampleNotes(t *testing.T) map[string]string {
	t.Helper()
	notes := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(samplesDir(), "*.jsonl"))
	if len(files) < 3 {
		t.Fatalf("samples missing: %v", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatal(err)
			}
			note, _ := m["_sample_note"].(string)
			notes[filepath.Base(f)+":"+itoa(i+1)] = note
		}
	}
	return notes
}

func itoa(i int) string { return strconv.Itoa(i) }

func ruleForNote(note string) string {
	switch {
	case strings.HasPrefix(note, "HIT judgement panda"):
		return idPanda
	case strings.HasPrefix(note, "HIT zebrocy"):
		return idZebrocy
	case strings.HasPrefix(note, "HIT azurewebsites"):
		return idAzure
	}
	return ""
}

// TestHuntSamples is the skeleton's acceptance: every bundled Sigma rule
// fires on its samples, on nothing else, including the near misses.
func TestHuntSamples(t *testing.T) {
	code, out, errOut := runCLI(t, "hunt", "-q", "--format", "jsonl", samplesDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	notes := sampleNotes(t)
	got := map[string]map[string]bool{} // sample -> sigma rule ids
	for _, h := range readJSONL(t, out) {
		if !h.by("sigma") {
			continue
		}
		key := filepath.Base(h.Source.Path) + ":" + itoa(int(h.Source.Line))
		if got[key] == nil {
			got[key] = map[string]bool{}
		}
		got[key][h.Rule.ID] = true
		if h.Timestamp == "" || h.RecordID == nil || h.Rule.Title == "" || len(h.Fields) == 0 {
			t.Errorf("%s: hit lacks core keys: %+v", key, h)
		}
	}
	fired := map[string]int{}
	for key, note := range notes {
		want := ruleForNote(note)
		switch {
		case want == "" && len(got[key]) > 0:
			t.Errorf("%s (%s) fired %v: near misses must not fire", key, note, got[key])
		case want != "" && !got[key][want]:
			t.Errorf("%s (%s) did not fire rule %s (fired %v)", key, note, want, got[key])
		case want != "":
			fired[want]++
		}
	}
	for _, id := range []string{idPanda, idZebrocy, idAzure} {
		if fired[id] == 0 {
			t.Errorf("rule %s fired on no sample", id)
		}
	}
}

// Test4688Path: Security 4688 with NewProcessName C:\Users\Public\7za.exe
// fires Judgement Panda through the field mapping, not a rule written twice.
func Test4688Path(t *testing.T) {
	dir := t.TempDir()
	ev := `{"Channel":"Security","EventID":4688,"EventRecordID":7,"Computer":"h","TimeCreated":"2024-01-02T03:04:05.1234567Z","NewProcessName":"C:\\Users\\Public\\7za.exe","CommandLine":"7za.exe x y","ParentProcessName":"C:\\Windows\\explorer.exe"}`
	if err := os.WriteFile(filepath.Join(dir, "sec.json"), []byte(ev+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "hunt", "-q", "--format", "jsonl", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	hits := readJSONL(t, out)
	ok := false
	for _, h := range hits {
		ok = ok || (h.Rule.ID == idPanda && h.by("sigma") && h.Timestamp == "2024-01-02T03:04:05.1234567Z")
	}
	if !ok {
		t.Fatalf("4688 event did not fire Judgement Panda: %s", out)
	}
	// A near miss through the same path stays quiet.
	miss := strings.Replace(ev, `Public\\7za.exe`, `Public\\7zip.exe`, 1)
	if err := os.WriteFile(filepath.Join(dir, "sec.json"), []byte(miss+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, _ = runCLI(t, "hunt", "-q", "--format", "jsonl", "--no-bundled", "-r", filepath.Join(testshared.RepoRoot(), "rulepacks", "sigma"), dir)
	if strings.TrimSpace(out) != "" {
		t.Fatalf("near miss fired: %s", out)
	}
}

func TestHuntCSVFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "hits.csv")
	code, _, errOut := runCLI(t, "hunt", "-q", "-o", out, samplesDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	if len(recs) < 4 {
		t.Fatalf("rows = %d", len(recs))
	}
	head := strings.Join(recs[0], ",")
	for _, col := range []string{"timestamp", "computer", "channel", "event_id", "record_id", "rule_title", "rule_id", "level", "source_file", "details"} {
		if !strings.Contains(head, col) {
			t.Errorf("header lacks %s: %s", col, head)
		}
	}
	for _, r := range recs[1:] {
		if len(r) != len(recs[0]) {
			t.Fatalf("ragged row: %v", r)
		}
	}
}

func TestUsageErrorsTeach(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"hunt"}, "no PATH"},
		{[]string{"hunt", "--format", "xml", "x"}, "unknown format"},
		{[]string{"hunt", "--no-bundled", "x"}, "--no-bundled without -r"},
		{[]string{"hunt", "--min-level", "severe", "x"}, "unknown --min-level"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"kql"}, "no query"},
		{[]string{"hunt", "--now", "yesterday", "x"}, "--now"},
		{[]string{"hunt", "-r", "/no/such/rules", "x"}, "rules path /no/such/rules"},
		{[]string{"rules", "check", "--min-level", "severe", "x"}, `--min-level: unknown level "severe"`},
		{[]string{"hunt", "--expand", "/no/such/expand.yml", "samples"}, "--expand: open /no/such/expand.yml"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "hint") && tt.args[0] != "frobnicate" {
				t.Errorf("stderr %q lacks %q and a hint", errOut, tt.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	code, out, _ := runCLI(t, "help")
	if code != 0 || !strings.Contains(out, "hunt") || !strings.Contains(out, "kql") {
		t.Fatalf("help: %d %q", code, out)
	}
	// -h is asked for: on stdout, so "loghunt hunt -h | less" works, with
	// the long flags as they are typed.
	code, out, errOut := runCLI(t, "hunt", "-h")
	if code != 0 || errOut != "" || !strings.Contains(out, "\n  --rules PATH\n") || !strings.Contains(out, "\n  -r PATH\n") || !strings.Contains(out, "\n  --fail-on-hit\n") {
		t.Fatalf("hunt -h: %d %q %q", code, out, errOut)
	}
}

// TestParseArgsInterleaved: flags after paths work, and "--" ends flags.
func TestParseArgsInterleaved(t *testing.T) {
	var f huntFlags
	fs := newFlagSet("hunt", "", &bytes.Buffer{})
	f.register(fs, huntUse)
	pos, err := parseArgs(fs, []string{"a", "-o", "x.csv", "b", "--threads", "3", "--", "-c"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(pos, " ") != "a b -c" || f.out != "x.csv" || f.threads != 3 {
		t.Fatalf("pos=%v out=%q threads=%d", pos, f.out, f.threads)
	}
}

// TestCorpusHuntEveryEVTX: the whole EVTX corpus is hunted without a
// crash, and the JSON summary accounts for every file.
func TestCorpusHuntEveryEVTX(t *testing.T) {
	dir := testshared.Dir(t, "corpora", "evtx")
	sum := filepath.Join(t.TempDir(), "sum.json")
	code, _, errOut := runCLI(t, "hunt", "-q", "--format", "jsonl", "--summary-json", sum, dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(sum)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Files   int
		PerFile []struct {
			Path    string
			Records int64
			Failed  int64
			Error   string
		} `json:"per_file"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	rs := 0
	for _, f := range s.PerFile {
		if f.Error != "" {
			t.Errorf("%s: %s", f.Path, f.Error)
		}
		if strings.Contains(f.Path, "evtx-rs-samples/samples") {
			rs++
		}
		t.Logf("%8d parsed %4d failed  %s", f.Records, f.Failed, f.Path)
	}
	if rs < 20 {
		t.Errorf("only %d evtx-rs-samples files hunted", rs)
	}
}

func TestDump(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testshared.RepoRoot(), "parsers", "evtx", "testdata", "*.evtx"))
	if len(files) == 0 {
		t.Skip("no EVTX fixture in parsers/evtx/testdata")
	}
	for _, format := range []string{"xml", "jsonl"} {
		code, out, errOut := runCLI(t, "dump", "--format", format, "--threads", "2", files[0])
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, errOut)
		}
		n := strings.Count(out, "<Event ") + strings.Count(out, "<Event>")
		if format == "jsonl" {
			lines := strings.Split(strings.TrimSpace(out), "\n")
			for _, l := range lines {
				if !strings.HasPrefix(l, `{"Event":`) {
					t.Fatalf("bad JSON record line %.80q", l)
				}
			}
			n = len(lines)
		}
		if n == 0 || !strings.Contains(errOut, "dumped "+strconv.Itoa(n)+" records") {
			t.Errorf("%s: %d records written but summary says %q", format, n, errOut)
		}
	}
	code, _, errOut := runCLI(t, "dump", filepath.Join(testshared.RepoRoot(), "README.md"))
	if code != exitError || !strings.Contains(errOut, "not an EVTX file") {
		t.Errorf("dumping a non-EVTX file: exit %d, %q", code, errOut)
	}
}

func TestNoKQL(t *testing.T) {
	code, out, errOut := runCLI(t, "hunt", "-q", "--no-kql", "--format", "jsonl", samplesDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	hits := readJSONL(t, out)
	if len(hits) == 0 {
		t.Fatal("no Sigma hits")
	}
	for _, h := range hits {
		if h.by("kql") {
			t.Fatalf("KQL hit with --no-kql: %+v", h)
		}
	}
}

func TestNoLogsIsAnError(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hello"), 0o644)
	code, _, errOut := runCLI(t, "hunt", dir, filepath.Join(dir, "missing"))
	if code != exitError || !strings.Contains(errOut, "no EVTX or JSON log found") || !strings.Contains(errOut, "notes.txt") {
		t.Fatalf("exit %d: %q", code, errOut)
	}
}
