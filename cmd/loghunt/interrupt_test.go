package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/loghunt/loghunt/hunt/output"
)

// TestInterruptWritesHitsSoFar: the first Ctrl-C (the console's interrupt)
// stops the reading, and the run still writes every hit found so far to
// -o, marks the summary interrupted and exits 130. The interrupt comes
// when the first input file is done, from the progress callback, so the
// test does not depend on timing: the other files are left unread, or
// read in part.
func TestInterruptWritesHitsSoFar(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if err := os.Mkdir(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	const files, perFile = 24, 3000
	for f := range files {
		var b bytes.Buffer
		for i := range perFile {
			// Every event hits the bundled Judgement Panda Sigma rule
			// (ldifde.exe), once.
			fmt.Fprintf(&b, `{"TimeCreated": "2026-11-03T09:%02d:%02d.%07dZ", "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "EventRecordID": %d, "Computer": "WS-%02d", "Image": "C:\\Windows\\System32\\ldifde.exe", "CommandLine": "C:\\Windows\\System32\\ldifde.exe -f -n out%d.ldf", "ParentImage": "C:\\Windows\\System32\\cmd.exe"}`+"\n",
				f, i/100%60, i, i+1, f, i)
		}
		if err := os.WriteFile(filepath.Join(logs, fmt.Sprintf("sysmon-%02d.jsonl", f)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var once sync.Once
	con := &console{interrupt: stop, onProgress: func(done, total int64) {
		once.Do(func() { close(stop) })
	}}
	hits := filepath.Join(dir, "hits.jsonl")
	sumFile := filepath.Join(dir, "summary.json")
	var stdout, stderr bytes.Buffer
	code := runConsole(context.Background(), []string{"hunt", "--no-kql", "-o", hits, "--summary-json", sumFile, logs}, &stdout, &stderr, con)
	if code != exitInterrupted {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitInterrupted, stderr.String())
	}
	if !strings.Contains(stderr.String(), "loghunt hunt: interrupted: the hits found so far were written") {
		t.Errorf("stderr: %q", stderr.String())
	}
	if !strings.Contains(stdout.String(), "  INTERRUPTED:       the run was stopped; ") {
		t.Errorf("text summary not marked interrupted:\n%s", stdout.String())
	}
	var sum output.Summary
	if err := json.Unmarshal([]byte(readFile(t, sumFile)), &sum); err != nil {
		t.Fatal(err)
	}
	got := strings.Count(readFile(t, hits), "\n")
	done := 0
	for _, f := range sum.PerFile {
		if !f.Unfinished {
			done++
			if f.Records != perFile {
				t.Errorf("%s: read whole, %d records", f.Path, f.Records)
			}
		}
	}
	// At least the first file was hunted whole and not every file was
	// read; every event read hit once, and every hit was written.
	if !sum.Interrupted || done < 1 || done == files || sum.UnfinishedFiles() != files-done {
		t.Errorf("interrupted %v, %d files read whole, %d unfinished", sum.Interrupted, done, sum.UnfinishedFiles())
	}
	if got < perFile || got >= files*perFile || int64(got) != sum.Totals.Records || got != sum.HitsTotal {
		t.Errorf("%d hits written, %d records read, %d hits counted; want at least %d, fewer than %d, all equal",
			got, sum.Totals.Records, sum.HitsTotal, perFile, files*perFile)
	}
}

// TestInterruptsSignals: the first SIGINT closes the stop channel and says
// what happens next; the second exits at once.
func TestInterruptsSignals(t *testing.T) {
	sigs := make(chan os.Signal)
	var stderr syncBuffer
	exited := make(chan struct{})
	stop := interrupts(sigs, &stderr, func() { close(exited) })
	select {
	case <-stop:
		t.Fatal("stopped before any signal")
	default:
	}
	sigs <- syscall.SIGINT
	<-stop // closed by the first signal; a hang here fails the test
	select {
	case <-exited:
		t.Fatal("exited at the first signal")
	default:
	}
	sigs <- syscall.SIGINT
	<-exited
	if !strings.Contains(stderr.String(), "Ctrl-C again to quit at once") {
		t.Errorf("stderr %q", stderr.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestKQLInterrupted: kql stops as hunt does at the first Ctrl-C: the
// rows of the events read so far, the summary marked interrupted, exit
// 130 (not 0, and not 3 with --fail-on-hit).
func TestKQLInterrupted(t *testing.T) {
	logs := t.TempDir()
	const files, perFile = 12, 2000
	for f := range files {
		var b bytes.Buffer
		for i := range perFile {
			fmt.Fprintf(&b, `{"TimeCreated": "2026-11-03T09:%02d:%02d.%07dZ", "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "EventRecordID": %d, "Computer": "WS-%02d", "Image": "C:\\Windows\\System32\\ldifde.exe", "CommandLine": "ldifde.exe -f out%d.ldf"}`+"\n",
				f, i/100%60, i, i+1, f, i)
		}
		if err := os.WriteFile(filepath.Join(logs, fmt.Sprintf("sysmon-%02d.jsonl", f)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var once sync.Once
	con := &console{interrupt: stop, onProgress: func(done, total int64) {
		once.Do(func() { close(stop) })
	}}
	var stdout, stderr bytes.Buffer
	code := runConsole(context.Background(), []string{"kql", "--fail-on-hit", "--format", "csv",
		`DeviceProcessEvents | project FileName`, logs}, &stdout, &stderr, con)
	if code != exitInterrupted {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitInterrupted, stderr.String())
	}
	if !strings.Contains(stderr.String(), "  INTERRUPTED:       the run was stopped; ") {
		t.Errorf("summary not marked interrupted:\n%s", stderr.String())
	}
	// A header, then one row per event read: at least the first file,
	// not all of them.
	rows := strings.Count(stdout.String(), "ldifde.exe\n")
	if rows < perFile || rows >= files*perFile {
		t.Errorf("%d rows, want at least %d and fewer than %d", rows, perFile, files*perFile)
	}
}
