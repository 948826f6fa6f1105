package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestHuntCancelledWritesNoFile: hits are written only when the run is
// complete, so a cancelled hunt leaves no -o file behind, as before the
// hits were streamed to a sink.
func TestHuntCancelledWritesNoFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "hits.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"hunt", "-q", "-o", out, samplesDir()}, &stdout, &stderr); code == 0 {
		t.Fatalf("cancelled hunt exited 0: %s", stderr.String())
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("cancelled hunt left %s (%v)", out, err)
	}
}

// TestHuntEmptyOutputs: with no hit, every format still writes what it
// wrote before: the CSV header, "No hits." for the table, nothing for JSONL.
func TestHuntEmptyOutputs(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.jsonl")
	if err := os.WriteFile(empty, []byte(`{"EventID": 4624, "Channel": "Security", "Computer": "quiet"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"csv":   "timestamp,computer,channel,event_id,record_id,rule_title,rule_id,level,engine,source_file,source_offset,source_line,recovered,matched_searches,details,process_key\n",
		"table": "No hits.\n",
		"jsonl": "",
	}
	for format, w := range want {
		out := filepath.Join(dir, "hits."+format)
		code, _, errOut := runCLI(t, "hunt", "-q", "--format", format, "-o", out, empty)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, errOut)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != w {
			t.Errorf("%s: %q, want %q", format, got, w)
		}
	}
}
