package sigma

import (
	"errors"
	"testing"

	"gopkg.in/yaml.v3"
)

// compileStandalone reads src as a YAML document and compiles its
// top-level mapping as a detection.
func compileStandalone(t *testing.T, src string) (*EventMatcher, error) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return CompileDetection("tuning.yml", doc.Content[0], LoadOptions{})
}

// TestEventMatcher: a standalone detection matches by the Sigma semantics
// (case-insensitive contains, all of, not), on Sysmon 1 and, through the
// process_creation field mapping, on Security 4688 events.
func TestEventMatcher(t *testing.T) {
	m, err := compileStandalone(t, `
parent:
    ParentImage|endswith: '\veeambackup.exe'
words:
    CommandLine|contains|all: [backup, job]
condition: parent and words and not other
other:
    User: 'CORP\mallory'
`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ev   func() bool
		want bool
	}{
		{"sysmon 1, all there", func() bool {
			return m.Match(proc("ParentImage", `C:\Veeam\VeeamBackup.exe`, "CommandLine", "7za.exe a BACKUP-JOB.7z"))
		}, true},
		{"sysmon 1, one word missing", func() bool {
			return m.Match(proc("ParentImage", `C:\Veeam\VeeamBackup.exe`, "CommandLine", "7za.exe a backup.7z"))
		}, false},
		{"sysmon 1, other parent", func() bool {
			return m.Match(proc("ParentImage", `C:\Windows\explorer.exe`, "CommandLine", "backup job"))
		}, false},
		{"sysmon 1, not-ed search", func() bool {
			return m.Match(proc("ParentImage", `C:\Veeam\VeeamBackup.exe`, "CommandLine", "backup job", "User", `corp\MALLORY`))
		}, false},
		{"security 4688, mapped ParentImage", func() bool {
			return m.Match(ev("Security", 4688, "ParentProcessName", `C:\Veeam\veeambackup.exe`, "CommandLine", "backup job"))
		}, true},
		{"security 4624 has no mapping", func() bool {
			return m.Match(ev("Security", 4624, "ParentProcessName", `C:\Veeam\veeambackup.exe`, "CommandLine", "backup job"))
		}, false},
		{"event without a channel", func() bool {
			return m.Match(ev("", 0, "ParentImage", `x\veeambackup.exe`, "CommandLine", "a backup job"))
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ev(); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
	if len(m.Detection().Searches) != 3 {
		t.Errorf("tree: %d searches", len(m.Detection().Searches))
	}
}

// TestCompileDetectionErrorsSayWhere: errors are LoadErrors at their
// position in the file.
func TestCompileDetectionErrorsSayWhere(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		line, col int
		cause     error
	}{
		{"unknown modifier", "sel:\n    Image|bogus: x\ncondition: sel\n", 2, 5, ErrModifier},
		{"unknown search", "sel:\n    Image: x\ncondition: sel and nope\n", 3, 12, ErrCondition},
		{"no condition", "sel:\n    Image: x\n", 1, 1, ErrCondition},
		{"aggregation", "sel:\n    Image: x\ncondition: sel | count() > 2\n", 3, 12, ErrUnsupported},
		{"not a mapping", "- a\n- b\n", 1, 1, ErrYAML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compileStandalone(t, tt.src)
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a *LoadError", err)
			}
			if le.Path != "tuning.yml" || le.Line != tt.line || le.Column != tt.col || !errors.Is(err, tt.cause) {
				t.Errorf("err = %v (at %d:%d), want tuning.yml:%d:%d and %v", err, le.Line, le.Column, tt.line, tt.col, tt.cause)
			}
		})
	}
}
