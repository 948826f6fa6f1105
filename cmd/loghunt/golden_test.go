package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/internal/testshared"
)

// The golden tests pin what a user sees: every output format, the summary,
// "rules check" and the founding KQL queries, byte for byte. They were
// recorded before the seams refactor (issue 10) and must not change unless
// a change of behaviour is meant; then rerun with -update and review the
// diff.
//
//	go test ./cmd/loghunt -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files of the golden tests")

// goldenCase is one CLI invocation. Paths in args are relative to the
// repository root, which is the working directory while it runs, so the
// output does not depend on where the clone lives. A "{tmp}" arg is a file in
// a temporary directory whose content is appended to the output.
type goldenCase struct {
	name string
	args []string
	con  *console // nil: no terminal
}

func goldenSampleCases() []goldenCase {
	cases := []goldenCase{
		{name: "hunt-table", args: []string{"hunt", "samples"}},
		{name: "hunt-table-stats", args: []string{"hunt", "--stats", "samples"}},
		{name: "hunt-csv", args: []string{"hunt", "--format", "csv", "samples"}},
		{name: "hunt-jsonl", args: []string{"hunt", "--format", "jsonl", "samples"}},
		{name: "hunt-summary-json", args: []string{"hunt", "-q", "--summary-json", "{tmp}", "samples"}},
		{name: "hunt-all-matches-high", args: []string{"hunt", "--all-matches", "--min-level", "high", "samples"}},
		{name: "hunt-no-kql", args: []string{"hunt", "--no-kql", "samples"}},
		{name: "rules-check-bundled", args: []string{"rules", "check", "--bundled", "-v"}},
		// A terminal of 100 columns, without and with colour, and --wide
		// on it.
		{name: "hunt-table-100", args: []string{"hunt", "samples"}, con: &console{width: 100}},
		{name: "hunt-table-100-color", args: []string{"hunt", "samples"}, con: &console{width: 100, color: true}},
		{name: "hunt-table-100-wide", args: []string{"hunt", "--wide", "--no-kql", "samples"}, con: &console{width: 100}},
		// Formula injection in computer names and a command line (a
		// fixture, not a sample): neutralised, and raw.
		{name: "hunt-csv-injection", args: []string{"hunt", "--format", "csv", "cmd/loghunt/testdata/injection"}},
		{name: "hunt-csv-injection-raw", args: []string{"hunt", "--format", "csv", "--csv-raw", "cmd/loghunt/testdata/injection"}},
		{name: "hunt-jsonl-injection", args: []string{"hunt", "-q", "--format", "jsonl", "cmd/loghunt/testdata/injection"}},
		// Timelines for Timesketch (issue 14), in UTC and in a zone with
		// an offset; and the CSV form's neutralisation.
		{name: "hunt-timesketch", args: []string{"hunt", "-q", "--format", "timesketch", "samples"}},
		{name: "hunt-timesketch-berlin", args: []string{"hunt", "-q", "--format", "timesketch", "--timezone", "Europe/Berlin", "samples"}},
		{name: "hunt-timesketch-csv", args: []string{"hunt", "-q", "--format", "timesketch-csv", "samples"}},
		{name: "hunt-timesketch-csv-injection", args: []string{"hunt", "-q", "--format", "timesketch-csv", "cmd/loghunt/testdata/injection"}},
		// The ATT&CK Navigator layer of the samples' hits.
		{name: "hunt-navigator", args: []string{"hunt", "-q", "-o", os.DevNull, "--navigator", "{tmp}", "samples"}},
	}
	for _, q := range foundingQueries() {
		cases = append(cases, goldenCase{name: "kql-" + strings.TrimSuffix(q, ".yaml"),
			args: []string{"kql", "-f", filepath.Join("rulepacks", "kql", q), "samples"}})
	}
	return cases
}

func goldenCorpusCases(sharedRel string) []goldenCase {
	rules := filepath.Join(sharedRel, "sigma", "rules")
	corpus := filepath.Join(sharedRel, "corpora", "evtx")
	cases := []goldenCase{
		{name: "corpus-hunt-table", args: []string{"hunt", "--stats", "-r", rules, corpus}},
		{name: "corpus-hunt-csv", args: []string{"hunt", "--format", "csv", "-r", rules, corpus}},
		{name: "corpus-hunt-jsonl", args: []string{"hunt", "-q", "--format", "jsonl", "-r", rules, corpus}},
		{name: "corpus-hunt-summary-json", args: []string{"hunt", "-q", "--format", "jsonl", "-o", os.DevNull, "--summary-json", "{tmp}", "-r", rules, corpus}},
		{name: "corpus-rules-check", args: []string{"rules", "check", rules}},
	}
	for _, q := range foundingQueries() {
		cases = append(cases, goldenCase{name: "corpus-kql-" + strings.TrimSuffix(q, ".yaml"),
			args: []string{"kql", "-f", filepath.Join("rulepacks", "kql", q), corpus}})
	}
	return cases
}

func foundingQueries() []string {
	return []string{"apt_sofacy_zebrocy.yaml", "azurewebsites_non_browser.yaml",
		"azurewebsites_non_browser_verbatim.yaml", "judgement_panda_exfil.yaml"}
}

var (
	durationLine = regexp.MustCompile(`(?m)^(  time:\s+)\S+$`)
	durationJSON = regexp.MustCompile(`"duration_ms": \d+`)
)

// runGolden runs c from the repository root and returns its exit code,
// stdout, stderr and the {tmp} file, with run times blanked.
func runGolden(t *testing.T, c goldenCase) []byte {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), "out")
	args := slices.Clone(c.args)
	for i, a := range args {
		if a == "{tmp}" {
			args[i] = tmp
		}
	}
	var out, errb bytes.Buffer
	con := c.con
	if con == nil {
		con = &console{}
	}
	code := runConsole(context.Background(), args, &out, &errb, con)
	var b bytes.Buffer
	fmt.Fprintf(&b, "$ loghunt %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(c.args, " "), code, out.String(), errb.String())
	if data, err := os.ReadFile(tmp); err == nil {
		fmt.Fprintf(&b, "--- {tmp}\n%s", data)
	}
	s := durationLine.ReplaceAll(b.Bytes(), []byte("${1}(time)"))
	return durationJSON.ReplaceAll(s, []byte(`"duration_ms": 0`))
}

func TestGoldenSamples(t *testing.T) {
	t.Chdir(testshared.RepoRoot())
	for _, c := range goldenSampleCases() {
		t.Run(c.name, func(t *testing.T) {
			got := runGolden(t, c)
			path := filepath.Join("cmd", "loghunt", "testdata", "golden", c.name+".txt")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (record with -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s:\n%s", c.name, path, firstDiff(want, got))
			}
		})
	}
}

// TestCorpusGolden pins the outputs over the whole shared corpus with every
// SigmaHQ rule. They are megabytes, so only their SHA-256 is kept; on a
// mismatch the test writes the output next to the digest file's name under
// the test's temporary directory and shows the first differing line against
// a run of -update's recording, if one is given in LOGHUNT_GOLDEN_DIR.
func TestCorpusGolden(t *testing.T) {
	testshared.Dir(t, "sigma", "rules")
	testshared.Dir(t, "corpora", "evtx")
	root := testshared.RepoRoot()
	t.Chdir(root)
	shared, _ := testshared.Root()
	sharedRel, err := filepath.Rel(root, shared)
	if err != nil {
		t.Fatal(err)
	}
	digests := filepath.Join("cmd", "loghunt", "testdata", "golden", "corpus.sha256")
	want := map[string]string{}
	if data, err := os.ReadFile(digests); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if sum, name, ok := strings.Cut(line, "  "); ok {
				want[name] = sum
			}
		}
	} else if !*update {
		t.Fatalf("%v (record with -update)", err)
	}
	keep := os.Getenv("LOGHUNT_GOLDEN_DIR") // where to write the full outputs, to diff by hand
	var lines []string
	for _, c := range goldenCorpusCases(sharedRel) {
		got := runGolden(t, c)
		sum := sha256.Sum256(got)
		hexSum := hex.EncodeToString(sum[:])
		lines = append(lines, hexSum+"  "+c.name)
		if keep != "" {
			if err := os.WriteFile(filepath.Join(keep, c.name+".txt"), got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if !*update && want[c.name] != hexSum {
			t.Errorf("%s: output digest %s, golden %s (set LOGHUNT_GOLDEN_DIR=DIR to keep the outputs and diff them)", c.name, hexSum, want[c.name])
		}
	}
	if *update {
		if err := os.WriteFile(digests, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// firstDiff shows the first line where got differs from want.
func firstDiff(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n want %q\n  got %q", i+1, w, g)
		}
	}
	return "(same lines, different bytes)"
}
