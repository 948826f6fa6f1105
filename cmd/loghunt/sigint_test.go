//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt/output"
)

// The SIGINT tests run the real binary, as a responder does, and send it
// real signals: they check what TestInterruptWritesHitsSoFar checks
// in-process, through main's signal wiring. They read /proc/PID/io to
// know when the hunt has started reading its input, so they build on Linux
// only; they skip with -short (they build the binary and write 40 MB).

const (
	sigintFiles   = 8
	sigintPerFile = 20000
	// sigintDecoding is how much a process must have read (rchar, which
	// counts page-cache reads) beyond the size of its input before it is
	// known to be hunting: discovery sniffs 512 bytes per file, and a
	// large JSON Lines file split into units may have each unit's line
	// numbers counted (at most the file read once) before or while the
	// units are decoded; the rules are embedded. Past input + 4 MiB, at
	// least 4 MiB of events have been decoded, and the whole run reads
	// nearly twice its input.
	sigintDecoding = 4 << 20
)

// buildLoghunt builds the command into a temporary directory.
func buildLoghunt(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and hunts 40 MB: not with -short")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build loghunt with")
	}
	bin := filepath.Join(t.TempDir(), "loghunt")
	cmd := exec.Command(gobin, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// writeSigintInput writes sigintFiles JSON logs of sigintPerFile Sysmon
// process creations, each of which the bundled Judgement Panda rule
// (ldifde.exe) flags once: a full hunt has one hit per event.
func writeSigintInput(t *testing.T) string {
	t.Helper()
	logs := filepath.Join(t.TempDir(), "logs")
	if err := os.Mkdir(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	for f := range sigintFiles {
		var b bytes.Buffer
		for i := range sigintPerFile {
			fmt.Fprintf(&b, `{"TimeCreated": "2026-11-03T%02d:%02d:%02d.%07dZ", "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "EventRecordID": %d, "Computer": "WS-%02d", "Image": "C:\\Windows\\System32\\ldifde.exe", "CommandLine": "C:\\Windows\\System32\\ldifde.exe -f -n out%d.ldf", "ParentImage": "C:\\Windows\\System32\\cmd.exe"}`+"\n",
				f, i/6000%60, i/100%60, i, i+1, f, i)
		}
		if err := os.WriteFile(filepath.Join(logs, fmt.Sprintf("sysmon-%02d.jsonl", f)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return logs
}

// startedReading waits until the process has read its input's size plus
// sigintDecoding bytes,
// polling /proc/PID/io; exited is closed when it ends first.
func startedReading(t *testing.T, pid int, exited <-chan struct{}, input string) {
	threshold := dirSize(t, input) + sigintDecoding
	t.Helper()
	procIO := fmt.Sprintf("/proc/%d/io", pid)
	// A guard against a hang, not a measure: a loaded machine gets
	// minutes.
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatal("loghunt ended before it was interrupted")
		default:
		}
		data, err := os.ReadFile(procIO)
		if err != nil {
			t.Fatalf("reading %s: %v", procIO, err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "rchar: "); ok {
				if n, _ := strconv.ParseInt(v, 10, 64); n >= threshold {
					return
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("loghunt read nothing in 3 minutes")
}

// runningHunt is a loghunt process and what it printed.
type runningHunt struct {
	cmd    *exec.Cmd
	stdout syncBuffer
	stderr *lineWatch
	exited chan struct{}
	err    error // Wait's, once exited is closed
}

func startHunt(t *testing.T, bin string, args ...string) *runningHunt {
	t.Helper()
	r := &runningHunt{cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	r.cmd.Stdout = &r.stdout
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	r.stderr = watchLines(stderr)
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		<-r.stderr.done // Wait closes the pipe: read it all first
		r.err = r.cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-r.exited:
		default:
			r.cmd.Process.Kill()
			<-r.exited
		}
	})
	return r
}

// wait waits for the process to end and returns its exit status.
func (r *runningHunt) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-r.exited:
	case <-time.After(3 * time.Minute): // a hang guard
		t.Fatalf("loghunt still running 3 minutes after the signal; stderr:\n%s", r.stderr)
	}
	var ee *exec.ExitError
	switch {
	case r.err == nil:
		return 0
	case errors.As(r.err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("loghunt killed by %v, not exited", ws.Signal())
		}
		return ee.ExitCode()
	}
	t.Fatal(r.err)
	return -1
}

// lineWatch collects a stream's lines as they come; done is closed at
// the stream's end.
type lineWatch struct {
	mu    sync.Mutex
	lines []string
	done  chan struct{}
}

func watchLines(r io.Reader) *lineWatch {
	w := &lineWatch{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			w.mu.Lock()
			w.lines = append(w.lines, sc.Text())
			w.mu.Unlock()
		}
	}()
	return w
}

// waitFor waits until a line holding s has been printed.
func (w *lineWatch) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute) // a hang guard
	for time.Now().Before(deadline) {
		if strings.Contains(w.String(), s) {
			return
		}
		select {
		case <-w.done:
			if strings.Contains(w.String(), s) {
				return
			}
			t.Fatalf("stderr ended without %q:\n%s", s, w)
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatalf("no %q on stderr in 3 minutes", s)
}

func (w *lineWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

// TestSIGINTWritesHitsSoFar: the first SIGINT to a running hunt stops
// the reading; loghunt writes every hit found so far to -o, marks the
// summary interrupted, and exits 130.
func TestSIGINTWritesHitsSoFar(t *testing.T) {
	bin := buildLoghunt(t)
	logs := writeSigintInput(t)
	dir := t.TempDir()
	hits := filepath.Join(dir, "hits.jsonl")
	sumFile := filepath.Join(dir, "s.json")
	r := startHunt(t, bin, "hunt", "-o", hits, "--summary-json", sumFile, logs)
	startedReading(t, r.cmd.Process.Pid, r.exited, logs)
	if err := r.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := r.wait(t); code != exitInterrupted {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, r.stderr)
	}
	stderr := r.stderr.String()
	for _, want := range []string{
		"loghunt: interrupted: finishing the records being read, then writing the hits found so far (Ctrl-C again to quit at once)",
		"loghunt hunt: interrupted: the hits found so far were written",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(r.stdout.String(), "  INTERRUPTED:       the run was stopped; ") {
		t.Errorf("text summary not marked interrupted:\n%s", r.stdout.String())
	}

	var sum output.Summary
	if err := json.Unmarshal([]byte(readFile(t, sumFile)), &sum); err != nil {
		t.Fatal(err)
	}
	if !sum.Interrupted || sum.UnfinishedFiles() == 0 {
		t.Errorf("summary: interrupted %v, %d files unfinished; want true and some", sum.Interrupted, sum.UnfinishedFiles())
	}
	// Every line of -o is one whole hit on one event read, each event
	// read is flagged once, and the run stopped before the end.
	data := readFile(t, hits)
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	if data == "" {
		lines = nil
	}
	for i, l := range lines {
		var h struct {
			Rule struct{ Title string }
		}
		if err := json.Unmarshal([]byte(l), &h); err != nil || h.Rule.Title == "" {
			t.Fatalf("hits.jsonl line %d is not a whole hit (%v): %.200s", i+1, err, l)
		}
	}
	n, all := len(lines), sigintFiles*sigintPerFile
	t.Logf("%d of %d hits written before the interrupt", n, all)
	if n == 0 || n >= all || n != sum.HitsTotal || int64(n) != sum.Totals.Records {
		t.Errorf("%d hits written, summary: %d hits, %d records read; want them equal, more than 0 and fewer than the %d of a full run",
			n, sum.HitsTotal, sum.Totals.Records, all)
	}
}

// TestSecondSIGINTExitsAtOnce: a second SIGINT ends the process at once,
// with 130, even while it is still writing. The hits go to a FIFO no one
// reads, so after the first SIGINT the run blocks opening its output: it
// could never end on its own, and only the second signal ends it, before
// any summary is written.
func TestSecondSIGINTExitsAtOnce(t *testing.T) {
	bin := buildLoghunt(t)
	logs := writeSigintInput(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "hits.jsonl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	sumFile := filepath.Join(dir, "s.json")
	r := startHunt(t, bin, "hunt", "-o", fifo, "--summary-json", sumFile, logs)
	startedReading(t, r.cmd.Process.Pid, r.exited, logs)
	if err := r.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	// The first signal has been taken when loghunt says so; a second sent
	// before could merge with it.
	r.stderr.waitFor(t, "Ctrl-C again to quit at once")
	select {
	case <-r.exited:
		t.Fatalf("loghunt ended after one SIGINT with its output blocked; stderr:\n%s", r.stderr)
	default:
	}
	if err := r.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := r.wait(t); code != exitInterrupted {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, r.stderr)
	}
	if strings.Contains(r.stderr.String(), "the hits found so far were written") {
		t.Errorf("the run finished instead of quitting:\n%s", r.stderr)
	}
	if _, err := os.Stat(sumFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("summary written (%v): the process did not quit at once", err)
	}
}

// dirSize is the size of the files under dir.
func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n += info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
