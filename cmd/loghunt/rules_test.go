package main

import (
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
