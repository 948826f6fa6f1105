package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitStatus covers every exit status of the README's table, for hunt,
// kql and search (130: Ctrl-C before the run starts): what
// each run writes, on which stream, and that -q never hides an input or
// rule left unread.
func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	broken := write("rules/broken.yml", "title: Broken\nlogsource:\n  product: windows\ndetection:\n  selection:\n    Image: x\n  condition: selection and nothere\n")
	quiet := write("quiet.jsonl", `{"EventID": 4624, "Channel": "Security", "Computer": "quiet"}`+"\n")
	notLog := write("notes.txt", "not a log\n")
	samples := samplesDir()
	mistyped := samples + "-typo"

	// The hits of a clean run: the runs that exit 1 must still write them.
	clean := filepath.Join(dir, "clean.jsonl")
	if code, _, errOut := runCLI(t, "hunt", "-q", "-o", clean, samples); code != 0 {
		t.Fatalf("clean run: exit %d: %s", code, errOut)
	}
	cleanHits := readFile(t, clean)
	if n := strings.Count(cleanHits, "\n"); n < 10 {
		t.Fatalf("clean run: %d hits", n)
	}

	tests := []struct {
		name     string
		args     []string // "{o}" is the -o file
		code     int
		stderr   []string // each must be in stderr
		stdout   []string // each must be in stdout
		allHits  bool     // -o holds the clean run's hits
		noStdout bool
		// interrupted: Ctrl-C came before the run started (the
		// console's interrupt is closed): nothing is read.
		interrupted bool
	}{
		{name: "clean", args: []string{"hunt", "-o", "{o}", samples}, code: exitOK, allHits: true},
		{name: "not a log beside the logs", args: []string{"hunt", "-o", "{o}", samples, notLog}, code: exitOK, allHits: true,
			stdout: []string{"skipped input: " + notLog + ": unknown type"}},
		{name: "no hit", args: []string{"hunt", "--fail-on-hit", quiet}, code: exitOK, stdout: []string{"No hits."}},
		{name: "no log at all", args: []string{"hunt", mistyped}, code: exitError,
			stderr: []string{"no EVTX or JSON log found under " + mistyped}},
		{name: "mistyped path beside a good one", args: []string{"hunt", "-o", "{o}", samples, mistyped}, code: exitError, allHits: true,
			stdout: []string{"skipped input: " + mistyped + ": "},
			stderr: []string{"loghunt hunt: the run completed, but 1 input was not read (listed above)"}},
		{name: "-q, mistyped path beside a good one", args: []string{"hunt", "-q", "-o", "{o}", samples, mistyped}, code: exitError, allHits: true,
			stderr: []string{"loghunt: input not read: " + mistyped + ": ", "1 input was not read"}, noStdout: true},
		{name: "-q, a rule that does not load", args: []string{"hunt", "-q", "-r", broken, "-o", "{o}", samples}, code: exitError, allHits: true,
			stderr: []string{"loghunt: rule not loaded: " + broken + ":7:", `search "nothere" is not defined`, "1 rule did not load"}, noStdout: true},
		{name: "a rule that does not load, summary", args: []string{"hunt", "-r", broken, "-o", "{o}", samples}, code: exitError, allHits: true,
			stdout: []string{"  rule not loaded: " + broken + ":7: "}},
		{name: "--no-bundled and no rule loaded", args: []string{"hunt", "--no-bundled", "-r", broken, "-o", "{o}", samples}, code: exitError,
			stderr: []string{"loghunt hunt: no rule loaded (1 did not load, 0 deselected):", `search "nothere" is not defined`}, noStdout: true},
		{name: "rule and input unread, --fail-on-hit", args: []string{"hunt", "--fail-on-hit", "-r", broken, "-o", "{o}", samples, mistyped}, code: exitError, allHits: true,
			stderr: []string{"1 input was not read and 1 rule did not load"}},
		{name: "unknown flag", args: []string{"hunt", "--bogus", samples}, code: exitUsage,
			stderr: []string{"loghunt hunt: flag provided but not defined: -bogus\nhint: run \"loghunt hunt -h\" for the flags\n"}, noStdout: true},
		{name: "bad flag value", args: []string{"hunt", "--threads", "x", samples}, code: exitUsage,
			stderr: []string{`invalid value "x" for flag -threads`}, noStdout: true},
		{name: "bad format", args: []string{"hunt", "--format", "xml", samples}, code: exitUsage, stderr: []string{"unknown format"}, noStdout: true},
		{name: "--fail-on-hit with hits", args: []string{"hunt", "--fail-on-hit", "-o", "{o}", samples}, code: exitHits, allHits: true},
		{name: "-q --fail-on-hit with hits", args: []string{"hunt", "-q", "--fail-on-hit", "--output", "{o}", samples}, code: exitHits, allHits: true, noStdout: true},
		{name: "interrupted", args: []string{"hunt", "-o", "{o}", samples}, code: exitInterrupted, interrupted: true,
			stdout: []string{"  INTERRUPTED:       the run was stopped; "}, stderr: []string{"loghunt hunt: interrupted: the hits found so far were written"}},
		// 130 wins over 1 and 3.
		{name: "interrupted, mistyped path, --fail-on-hit", args: []string{"hunt", "-q", "--fail-on-hit", "-o", "{o}", samples, mistyped}, code: exitInterrupted, interrupted: true,
			stderr: []string{"loghunt: input not read: " + mistyped, "loghunt hunt: interrupted: "}, noStdout: true},
		// kql and search end as hunt does.
		{name: "kql --fail-on-hit with rows", args: []string{"kql", "-q", "--fail-on-hit", "DeviceProcessEvents | take 1", samples}, code: exitHits},
		{name: "kql, mistyped path beside a good one", args: []string{"kql", "-q", "DeviceProcessEvents | count", samples, mistyped}, code: exitError,
			stderr: []string{"loghunt: input not read: " + mistyped + ": ", "loghunt kql: the run completed, but 1 input was not read"}},
		{name: "kql interrupted", args: []string{"kql", "-q", "--fail-on-hit", "DeviceProcessEvents | count", samples}, code: exitInterrupted, interrupted: true,
			stderr: []string{"loghunt kql: interrupted: "}},
		{name: "kql unknown flag", args: []string{"kql", "--wide", "DeviceProcessEvents", samples}, code: exitUsage,
			stderr: []string{"loghunt kql: flag provided but not defined: -wide\n"}, noStdout: true},
		{name: "search --fail-on-hit with matches", args: []string{"search", "-q", "--fail-on-hit", "-k", "ldifde", samples}, code: exitHits},
		{name: "search --fail-on-hit, no match", args: []string{"search", "-q", "--fail-on-hit", "-k", "no-such-word", samples}, code: exitOK, stdout: []string{"No matches."}},
		{name: "search, mistyped path beside a good one", args: []string{"search", "-q", "-k", "ldifde", samples, mistyped}, code: exitError,
			stderr: []string{"loghunt: input not read: " + mistyped + ": ", "loghunt search: the run completed, but 1 input was not read"}},
		{name: "search interrupted", args: []string{"search", "-k", "ldifde", samples}, code: exitInterrupted, interrupted: true,
			stdout: []string{"  INTERRUPTED:       the run was stopped; ", "the matches are those found so far"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, "out", strings.ReplaceAll(tt.name, " ", "_")+".jsonl")
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				t.Fatal(err)
			}
			args := append([]string(nil), tt.args...)
			for k, a := range args {
				if a == "{o}" {
					args[k] = out
				}
			}
			con := &console{}
			if tt.interrupted {
				stop := make(chan struct{})
				close(stop)
				con.interrupt = stop
			}
			var outb, errb bytes.Buffer
			code := runConsole(context.Background(), args, &outb, &errb, con)
			stdout, stderr := outb.String(), errb.String()
			if code != tt.code {
				t.Errorf("#%d: exit %d, want %d\nstderr: %s", i, code, tt.code, stderr)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if tt.noStdout && stdout != "" {
				t.Errorf("stdout: %q", stdout)
			}
			if tt.code == exitOK && stderr != "" {
				t.Errorf("success with stderr %q", stderr)
			}
			if tt.allHits {
				if got := readFile(t, out); got != cleanHits {
					t.Errorf("-o holds %d lines, the clean run %d", strings.Count(got, "\n"), strings.Count(cleanHits, "\n"))
				}
			}
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
