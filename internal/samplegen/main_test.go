package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/app"
	"github.com/loghunt/loghunt/internal/testshared"
)

func samplesDir() string { return filepath.Join(testshared.RepoRoot(), "samples") }

// TestSamplesReproducible regenerates the EVTX samples twice into fresh
// folders: both runs give the bytes shipped in samples/.
func TestSamplesReproducible(t *testing.T) {
	for run := 0; run < 2; run++ {
		dir := t.TempDir()
		written, err := build(samplesDir(), dir)
		if err != nil {
			t.Fatal(err)
		}
		jsonl, _ := filepath.Glob(filepath.Join(samplesDir(), "*.jsonl"))
		if len(written) != len(jsonl) || len(written) == 0 {
			t.Fatalf("wrote %d files for %d JSON Lines samples", len(written), len(jsonl))
		}
		for _, p := range written {
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			shipped, err := os.ReadFile(filepath.Join(samplesDir(), filepath.Base(p)))
			if err != nil {
				t.Fatalf("%v (run go generate ./internal/samplegen)", err)
			}
			if !bytes.Equal(got, shipped) {
				t.Errorf("run %d: %s differs from the shipped file (run go generate ./internal/samplegen)", run, filepath.Base(p))
			}
		}
	}
}

// hitKey is what must be the same for a hit on the JSON twin and on the
// EVTX twin: the rule, the record and the time.
type hitKey struct {
	rule   string
	record uint64
	time   time.Time
}

type collect struct{ hits []hitKey }

func (c *collect) WriteHit(h *hunt.Hit) error {
	k := hitKey{rule: h.Rule.Engine + ":" + h.Rule.Path + ":" + h.Rule.Title, time: h.Time}
	if h.Event != nil {
		k.record = h.Event.RecordID
	}
	c.hits = append(c.hits, k)
	return nil
}

func (c *collect) Close() error { return nil }

func huntHits(t *testing.T, path string) []hitKey {
	t.Helper()
	// KQL's now() is the newest event of the input (the CLI's default),
	// which the twins share.
	plan, err := app.Prepare(app.Config{Paths: []string{path}, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Inputs) != 1 {
		t.Fatalf("%s: %d inputs", path, len(plan.Inputs))
	}
	c := &collect{}
	plan.Options.Sink = c
	res, err := plan.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Events == 0 {
		t.Fatalf("%s: no events", path)
	}
	sort.Slice(c.hits, func(i, j int) bool { return fmt.Sprint(c.hits[i]) < fmt.Sprint(c.hits[j]) })
	return c.hits
}

// TestSamplesHitLikeTheirTwins hunts each sample and its EVTX twin with the
// bundled rules (Sigma and KQL): the same rules fire on the same records at
// the same times, and the near misses fire on neither.
func TestSamplesHitLikeTheirTwins(t *testing.T) {
	jsonl, _ := filepath.Glob(filepath.Join(samplesDir(), "*.jsonl"))
	total := 0
	for _, j := range jsonl {
		e := j[:len(j)-len(".jsonl")] + ".evtx"
		hj, he := huntHits(t, j), huntHits(t, e)
		if fmt.Sprint(hj) != fmt.Sprint(he) {
			t.Errorf("%s: hits differ from its JSON twin\nevtx:  %v\njsonl: %v", filepath.Base(e), he, hj)
		}
		if len(hj) == 0 {
			t.Errorf("%s: no hits; a sample exists to make rules fire", filepath.Base(j))
		}
		total += len(hj)
		t.Logf("%s: %d hits", filepath.Base(j), len(hj))
	}
	t.Logf("%d hits on each twin", total)
}
