package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/internal/testshared"
)

// spillRun runs hunt with extra args, writing the hits to a file, and
// returns them with the summary's memory account.
func spillRun(t *testing.T, format string, args ...string) ([]byte, spillSummary) {
	t.Helper()
	dir := t.TempDir()
	out, sum := filepath.Join(dir, "hits."+format), filepath.Join(dir, "sum.json")
	full := append([]string{"hunt", "-q", "--format", format, "-o", out, "--summary-json", sum}, args...)
	var stdout, stderr bytes.Buffer
	if code := runConsole(context.Background(), full, &stdout, &stderr, &console{}); code != 0 {
		t.Fatalf("loghunt %s: exit %d\n%s", strings.Join(full, " "), code, stderr.String())
	}
	hits, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(sum)
	if err != nil {
		t.Fatal(err)
	}
	var s spillSummary
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return hits, s
}

type spillSummary struct {
	Hits   int `json:"hits"`
	Memory struct {
		LimitBytes int64 `json:"limit_bytes"`
		SpillRuns  int   `json:"spill_runs"`
	} `json:"memory"`
}

// assertSameOutput runs every variant and checks that each writes the
// same bytes as the first: one thread, two, and a budget so small that
// every hit is its own run (and the runs need merge passes), or a few
// hits are.
func assertSameOutput(t *testing.T, format string, wantSpills bool, paths ...string) {
	t.Helper()
	variants := [][]string{
		{"--threads", "1"},
		{"--threads", "2"},
		{"--threads", "2", "--max-memory", "1"},
		{"--threads", "1", "--max-memory", "64KiB"},
		{"--threads", "2", "--max-memory", "0"},
	}
	var first []byte
	for i, v := range variants {
		got, sum := spillRun(t, format, append(v, paths...)...)
		tiny := i == 2 || i == 3
		if tiny && wantSpills && sum.Memory.SpillRuns == 0 {
			t.Errorf("%v: nothing spilled", v)
		}
		if !tiny && sum.Memory.SpillRuns != 0 {
			t.Errorf("%v: %d runs spilled under the default budget", v, sum.Memory.SpillRuns)
		}
		if i == 0 {
			first = got
			if sum.Hits == 0 {
				t.Fatal("no hits: the test would prove nothing")
			}
			continue
		}
		if !bytes.Equal(got, first) {
			t.Errorf("%s with %v differs from %v: %s", format, v, variants[0], firstDiff(first, got))
		}
	}
}

func TestSpillOutputIsTheSameForAnyThreadsAndBudget(t *testing.T) {
	t.Chdir(testshared.RepoRoot())
	for _, format := range []string{"jsonl", "csv", "table"} {
		t.Run(format, func(t *testing.T) {
			assertSameOutput(t, format, true, "samples")
		})
	}
	// --last from the newest event drops hits behind the sorter.
	t.Run("last", func(t *testing.T) {
		assertSameOutput(t, "jsonl", true, "--last", "400d", "samples")
	})
}

// The corpus with every SigmaHQ rule: thousands of hits, spilled in many
// runs under a small budget, written the same.
func TestSpillCorpusOrder(t *testing.T) {
	rules := testshared.Dir(t, "sigma", "rules")
	corpus := testshared.Dir(t, "corpora", "evtx")
	t.Chdir(testshared.RepoRoot())
	assertSameOutput(t, "jsonl", true, "-r", rules, corpus)
	got, sum := spillRun(t, "jsonl", "-r", rules, "--max-memory", "4MiB", corpus)
	if sum.Memory.SpillRuns < 2 {
		t.Errorf("4 MiB budget: %d runs spilled, want several", sum.Memory.SpillRuns)
	}
	if lines := bytes.Count(got, []byte("\n")); lines != sum.Hits {
		t.Errorf("%d lines, %d hits", lines, sum.Hits)
	}
	fmt.Fprintf(os.Stderr, "corpus: %d hits, %d runs at 4 MiB\n", sum.Hits, sum.Memory.SpillRuns)
}
