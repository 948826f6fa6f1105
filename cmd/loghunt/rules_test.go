package main

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRulesCheckFieldWarnings: a process_creation rule on a Sysmon-only
// field is listed with a field warning and counted in the summary;
// --no-field-warnings hides the line but keeps the count.
func TestRulesCheckFieldWarnings(t *testing.T) {
	dir := t.TempDir()
	rule := "title: ofn\nid: 0f0f0f0f-0000-0000-0000-000000000001\nlogsource:\n  category: process_creation\n  product: windows\ndetection:\n  s:\n    OriginalFileName: x.exe\n  condition: s\n"
	if err := os.WriteFile(filepath.Join(dir, "ofn.yml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	const line = "field OriginalFileName is not in Security 4688 events"
	const summary = "1 loaded rules name fields that some of their event sources lack (1 warnings"
	code, out, errs := runCLI(t, "rules", "check", dir)
	if code != 0 || !strings.Contains(out, "WARNING") || !strings.Contains(out, line) || !strings.Contains(out, summary) {
		t.Errorf("rules check: code %d, stdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	code, out, _ = runCLI(t, "rules", "check", "--no-field-warnings", dir)
	if code != 0 || strings.Contains(out, line) || !strings.Contains(out, summary) || !strings.Contains(out, "--no-field-warnings") {
		t.Errorf("rules check --no-field-warnings: code %d, stdout:\n%s", code, out)
	}
}

// TestKQLSyntaxErrorAtFileLine: a KQL syntax error on line 5 of a Sentinel
// YAML file is reported at line 5 (column 22) of the file by rules check
// and by kql -f, not at the query's line 2.
func TestKQLSyntaxErrorAtFileLine(t *testing.T) {
	dir := t.TempDir()
	q := "id: q-5\n" +
		"name: line five\n" +
		"query: |\n" +
		"  SecurityEvent\n" +
		"  | where EventID == )\n"
	p := filepath.Join(dir, "q.yaml")
	if err := os.WriteFile(p, []byte(q), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "rules", "check", dir)
	if want := "NOT LOADED " + p + `:5:22 [q-5]: query does not parse: unexpected ")"`; code != exitError || !strings.Contains(out, want) {
		t.Errorf("rules check: code %d, stdout lacks %q:\n%s", code, want, out)
	}
	code, _, errOut := runCLI(t, "kql", "-f", p, dir)
	if want := p + `:5:22: query does not parse: unexpected ")"`; code != exitError || !strings.Contains(errOut, want) {
		t.Errorf("kql -f: code %d, stderr lacks %q:\n%s", code, want, errOut)
	}
}

// TestRulesFromArchive: -r takes a rule archive as SigmaHQ publishes
// them (a zip with rules/ inside); its rules hunt as if unpacked, and
// report their path inside the archive.
func TestRulesFromArchive(t *testing.T) {
	dir := t.TempDir()
	rule, err := os.ReadFile(rulepack("sigma/apt_sofacy_zebrocy.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("rules/windows/process_creation/zebrocy.yml")
	w.Write(rule)
	w, _ = zw.Create("LICENSE")
	w.Write([]byte("DRL 1.1"))
	zw.Close()
	zipPath := filepath.Join(dir, "sigma_core.zip")
	os.WriteFile(zipPath, b.Bytes(), 0o644)

	code, out, errOut := runCLI(t, "hunt", "-q", "--no-bundled", "-r", zipPath, "--format", "jsonl", samplesDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	hits := readJSONL(t, out)
	// The samples have two Zebrocy events (Sysmon 1 and 4688), each in a
	// JSONL file and in its EVTX twin.
	if len(hits) != 4 {
		t.Fatalf("%d hits, want 4:\n%s", len(hits), out)
	}
	code, out, _ = runCLI(t, "rules", "check", "-v", zipPath)
	if code != 0 || !strings.Contains(out, "loaded     "+zipPath+"!rules/windows/process_creation/zebrocy.yml:1 [92f02b0b-cd8e-4d49-957c-5ad0ee86da65]") {
		t.Errorf("rules check: exit %d\n%s", code, out)
	}
}
