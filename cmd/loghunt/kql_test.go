package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/internal/testshared"
)

func rulepack(name string) string {
	return filepath.Join(testshared.RepoRoot(), "rulepacks", name)
}

// sigmaTimes returns the timestamps of the events one bundled Sigma rule
// flags in dir.
func sigmaTimes(t *testing.T, dir, ruleID string) []string {
	t.Helper()
	code, out, errOut := runCLI(t, "hunt", "-q", "--format", "jsonl", "--no-bundled", "-r", rulepack("sigma"), dir)
	if code != 0 {
		t.Fatalf("hunt: exit %d: %s", code, errOut)
	}
	var ts []string
	for _, h := range readJSONL(t, out) {
		if h.Rule.ID == ruleID {
			ts = append(ts, h.Timestamp)
		}
	}
	slices.Sort(ts)
	return ts
}

// kqlTimes runs a KQL rule file with loghunt kql -f and returns the value
// of timeCol in each result row, and stderr.
func kqlTimes(t *testing.T, file, dir, timeCol string) ([]string, string) {
	t.Helper()
	code, out, errOut := runCLI(t, "kql", "-f", file, "--format", "jsonl", dir)
	if code != 0 {
		t.Fatalf("kql -f %s: exit %d: %s", file, code, errOut)
	}
	var ts []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		row := map[string]any{}
		if err := jsonUnmarshal(line, &row); err != nil {
			t.Fatalf("row %q: %v", line, err)
		}
		s, _ := row[timeCol].(string)
		if s == "" {
			t.Fatalf("row without %s: %v", timeCol, row)
		}
		ts = append(ts, s)
	}
	slices.Sort(ts)
	return ts, errOut
}

// TestFoundingKQLMatchesSigma is issue 5's acceptance on samples/: the
// founding queries, run as written, flag exactly the events the bundled
// Sigma rules flag; the corrected azurewebsites query agrees with Sigma; the
// verbatim one returns nothing and says why.
func TestFoundingKQLMatchesSigma(t *testing.T) {
	dir := samplesDir()
	tests := []struct {
		file, ruleID, timeCol string
	}{
		{"kql/judgement_panda_exfil.yaml", idPanda, "Timestamp"},
		{"kql/apt_sofacy_zebrocy.yaml", idZebrocy, "Timestamp"},
		{"kql/azurewebsites_non_browser.yaml", idAzure, "TimeGenerated"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			want := sigmaTimes(t, dir, tt.ruleID)
			got, _ := kqlTimes(t, rulepack(tt.file), dir, tt.timeCol)
			if len(want) == 0 {
				t.Fatal("the Sigma rule flags nothing in samples/: the comparison would be empty")
			}
			if !slices.Equal(got, want) {
				t.Errorf("KQL rows %v\nSigma hits %v", got, want)
			}
		})
	}
	t.Run("verbatim azurewebsites", func(t *testing.T) {
		got, errOut := kqlTimes(t, rulepack("kql/azurewebsites_non_browser_verbatim.yaml"), dir, "TimeGenerated")
		if len(got) != 0 {
			t.Errorf("verbatim query returned %d rows; it can never match under ASIM", len(got))
		}
		if !strings.Contains(errOut, `NetworkDirection =~ "true" can never be true`) {
			t.Errorf("no semantic warning in:\n%s", errOut)
		}
	})
}

// TestHasVersusContains documents where the verbatim KQL (has, whole terms)
// and the Sigma rule (contains, substrings) part ways: "xcopy .\1.7z \..."
// contains the needle "copy .\1.7z \" but the term "xcopy" does not start
// with it, so Sigma fires and KQL does not.
func TestHasVersusContains(t *testing.T) {
	dir := t.TempDir()
	ev := `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"EventRecordID":9,"Computer":"h","UtcTime":"2026-11-04 10:00:00.000","TimeCreated":"2026-11-04T10:00:00.0000001Z","Image":"C:\\Windows\\System32\\xcopy.exe","CommandLine":"xcopy .\\1.7z \\\\srv\\share"}`
	if err := os.WriteFile(filepath.Join(dir, "p.jsonl"), []byte(ev+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := sigmaTimes(t, dir, idPanda); len(got) != 1 {
		t.Fatalf("Sigma (contains) hits = %v, want 1", got)
	}
	if got, _ := kqlTimes(t, rulepack("kql/judgement_panda_exfil.yaml"), dir, "Timestamp"); len(got) != 0 {
		t.Fatalf("KQL (has) rows = %v, want none", got)
	}
}

// TestCorpusBundledKQLIsVerbatim: the bundled founding queries are the
// seed documents' text, unchanged.
func TestCorpusBundledKQLIsVerbatim(t *testing.T) {
	seeds := testshared.Dir(t, "seeds")
	for seed, file := range map[string]string{
		"000_e8d958268c96e243.txt": "kql/judgement_panda_exfil.yaml",
		"001_a7802eed90172d66.txt": "kql/apt_sofacy_zebrocy.yaml",
		"002_a05638c60170a780.txt": "kql/azurewebsites_non_browser_verbatim.yaml",
	} {
		s, err := os.ReadFile(filepath.Join(seeds, seed))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(rulepack(file))
		if err != nil {
			t.Fatal(err)
		}
		q := queryOf(t, b)
		if !strings.Contains(string(s), q) {
			t.Errorf("%s: bundled query is not verbatim from %s", file, seed)
		}
	}
}

// TestCorpusSeedRuleAgreesWithSigmaHQ: the bundled azurewebsites rule and
// SigmaHQ's own file flag the same sample events.
func TestCorpusSeedRuleAgreesWithSigmaHQ(t *testing.T) {
	hq := filepath.Join(testshared.Dir(t, "sigma", "rules"), "windows", "network_connection", "net_connection_win_domain_azurewebsites.yml")
	bundled := sigmaTimes(t, samplesDir(), idAzure)
	code, out, errOut := runCLI(t, "hunt", "-q", "--format", "jsonl", "--no-bundled", "-r", hq, samplesDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var theirs []string
	for _, h := range readJSONL(t, out) {
		if h.Rule.ID == idAzure {
			theirs = append(theirs, h.Timestamp)
		}
	}
	slices.Sort(theirs)
	if len(bundled) == 0 || !slices.Equal(bundled, theirs) {
		t.Fatalf("bundled %v, SigmaHQ %v", bundled, theirs)
	}
}

func TestKQLErrorsSayWhere(t *testing.T) {
	code, _, errOut := runCLI(t, "kql", "DeviceProcessEvents\n| where x ==", samplesDir())
	if code != exitError || !strings.Contains(errOut, "2:13") {
		t.Errorf("syntax error: exit %d, %q (want the line:column)", code, errOut)
	}
	code, out, errOut := runCLI(t, "kql", "DeviceProcessEvents | where NoSuchColumn == 1 | count", samplesDir())
	if code != 0 || !strings.Contains(out, "0") || !strings.Contains(errOut, "NoSuchColumn") {
		t.Errorf("unknown column: exit %d, %q %q", code, out, errOut)
	}
}

// TestKQLHitsPointAtTheirEvents: in loghunt hunt, each founding KQL
// query flags the same events as its Sigma twin, so every hit of a bundled
// detection is one hit listing both engines (the KQL hits name the same
// file and line as the Sigma hits on the same event, or they would not
// merge); none is left to one engine.
func TestKQLHitsPointAtTheirEvents(t *testing.T) {
	code, out, errOut := runCLI(t, "hunt", "-q", "--format", "jsonl", samplesDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	n := map[string]int{}
	perFormat := map[string]int{}
	for _, h := range readJSONL(t, out) {
		perFormat[filepath.Ext(h.Source.Path)]++
		if !slices.Equal(h.Rule.Engines, []string{"sigma", "kql"}) || h.Rule.Engine != "sigma,kql" {
			t.Errorf("%s %s:%d: engines %q (%s), want sigma and kql", h.Rule.ID, filepath.Base(h.Source.Path), h.Source.Line, h.Rule.Engines, h.Rule.Engine)
		}
		n[h.Rule.ID]++
	}
	// The samples' _sample_note fields name 6, 2 and 2 hits; each sample
	// event is there twice, in the JSONL file and in its EVTX twin.
	if perFormat[".jsonl"] != perFormat[".evtx"] || perFormat[".jsonl"] != 10 {
		t.Errorf("hits per format %v, want 10 from the JSONL files and 10 from their EVTX twins", perFormat)
	}
	for id, want := range map[string]int{idPanda: 12, idZebrocy: 4, idAzure: 4} {
		if n[id] != want {
			t.Errorf("%s: %d hits, want %d", id, n[id], want)
		}
	}
}
