package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/internal/testshared"
)

// TestCorpusHTMLReport hunts the corpus with every SigmaHQ rule, writes the
// HTML report and the Navigator layer beside the CSV, and loads the report
// in headless Chromium: after its script ran, the DOM has the chart's bars,
// the ATT&CK view's tactics and a page of the hit table. A screenshot goes
// to the CI output folder ($LOGHUNT_CI_OUT, else .ci/out).
func TestCorpusHTMLReport(t *testing.T) {
	rules := testshared.Dir(t, "sigma", "rules")
	corpus := testshared.Dir(t, "corpora", "evtx")
	bin := testshared.Chromium(t)
	dir := t.TempDir()
	html, nav := filepath.Join(dir, "report.html"), filepath.Join(dir, "layer.json")
	var out, errb bytes.Buffer
	code := runConsole(context.Background(), []string{"hunt", "-q", "--format", "csv", "-o", filepath.Join(dir, "hits.csv"),
		"--html", html, "--navigator", nav, "-r", rules, corpus}, &out, &errb, &console{})
	if code != exitOK && code != exitError { // exitError: some corpus inputs are not logs, some rules do not load
		t.Fatalf("hunt exit %d: %s", code, errb.String())
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(filepath.Join(dir, "hits.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(fh).ReadAll()
	fh.Close()
	if err != nil {
		t.Fatal(err)
	}
	hits := len(recs) - 1 // less the header
	if _, err := os.Stat(nav); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	profile := t.TempDir()
	args := append(append([]string{}, testshared.ChromiumArgs...), "--user-data-dir="+profile, "--dump-dom", "file://"+html)
	dom, err := exec.CommandContext(ctx, bin, args...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	d := string(dom)
	if !strings.Contains(d, `data-ready="1"`) {
		t.Fatalf("the report's script did not finish (%d bytes of DOM)", len(d))
	}
	if n := strings.Count(d, `<rect class="bar`); n == 0 {
		t.Error("the chart has no bars")
	}
	if n := strings.Count(d, `<div class="tactic">`); n < 5 {
		t.Errorf("the ATT&CK view shows %d tactics", n)
	}
	if !strings.Contains(d, "<h3>Execution <small>TA0002</small></h3>") {
		t.Error("the ATT&CK view has no Execution column")
	}
	if n := strings.Count(d, `<tr class="hit"`); n != 100 {
		t.Errorf("the table's first page has %d rows, want 100", n)
	}
	// The table counts every hit the run wrote.
	m := regexp.MustCompile(`<p id="status" class="hint">(\d+) hits;`).FindStringSubmatch(d)
	if m == nil {
		t.Fatal("no hit count in the table's status line")
	}
	n, _ := strconv.Atoi(m[1])
	if n == 0 || n != hits {
		t.Errorf("the table has %d hits, the CSV %d", n, hits)
	}
	if !bytes.Contains(page, []byte(strconv.Itoa(n)+"</dd>")) {
		t.Errorf("the summary's hit count is not %d", n)
	}

	shot := filepath.Join(testshared.OutDir(t), "report-corpus.png")
	args = append(append([]string{}, testshared.ChromiumArgs...), "--user-data-dir="+profile, "--window-size=1400,2000", "--screenshot="+shot, "file://"+html)
	if err := exec.CommandContext(ctx, bin, args...).Run(); err != nil {
		t.Fatalf("chromium --screenshot: %v", err)
	}
	if st, err := os.Stat(shot); err != nil || st.Size() == 0 {
		t.Fatalf("no screenshot: %v", err)
	}
	t.Logf("screenshot: %s", shot)
}
