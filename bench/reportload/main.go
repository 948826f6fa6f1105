// Command reportload measures how long Chromium takes to load the HTML
// report of a synthetic hunt (issue 14: under 5 s for 100,000 hits).
//
// It writes a report of -hits synthetic hits (40 rules over 5 levels and 8
// ATT&CK tactics, 50 computers, a week of times, 24 event fields each, the
// size of a Sysmon process creation), then loads it -runs times with
// headless Chromium's --dump-dom, which returns once the page has loaded
// and its script has run. It prints, per run, the wall time of the whole
// Chromium process and the page's own figure: performance.now() when the
// table's first page was drawn (data-load-ms, from the navigation's start:
// reading the file, parsing the HTML and the JSON, filtering, sorting and
// drawing). A run with an empty report gives Chromium's own start-up time.
//
//	go run ./bench/reportload -hits 100000 -runs 3
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/output"
	"github.com/loghunt/loghunt/hunt/report"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/winevent"
)

func main() {
	n := flag.Int("hits", 100000, "synthetic hits in the report")
	runs := flag.Int("runs", 3, "loads to time")
	bin := flag.String("chromium", "chromium", "the Chromium to run")
	keep := flag.String("keep", "", "also copy the report to this `file`")
	flag.Parse()
	dir, err := os.MkdirTemp("", "reportload")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)

	for _, hits := range []int{0, *n} {
		path := filepath.Join(dir, fmt.Sprintf("report-%d.html", hits))
		start := time.Now()
		size, err := writeReport(path, hits)
		if err != nil {
			fail(err)
		}
		fmt.Printf("report of %d hits: %.1f MB, written in %v\n", hits, float64(size)/1e6, time.Since(start).Round(time.Millisecond))
		if *keep != "" && hits == *n {
			data, _ := os.ReadFile(path)
			if err := os.WriteFile(*keep, data, 0o644); err != nil {
				fail(err)
			}
		}
		for i := range *runs {
			wall, page, extra, err := load(*bin, path, filepath.Join(dir, "profile"))
			if err != nil {
				fail(err)
			}
			fmt.Printf("  load %d: chromium process %v, page ready at %d ms%s\n", i+1, wall.Round(time.Millisecond), page, extra)
		}
	}
}

var (
	readyMS = regexp.MustCompile(`data-load-ms="(\d+)"`)
	startMS = regexp.MustCompile(`data-start-ms="(\d+)"`)
	parseMS = regexp.MustCompile(`data-parse-ms="(\d+)"`)
)

// load runs Chromium on the report and returns its wall time and the page's
// data-load-ms.
func load(bin, path, profile string) (time.Duration, int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-extensions", "--user-data-dir="+profile, "--dump-dom", "file://"+path).Output()
	wall := time.Since(start)
	if err != nil {
		return 0, 0, "", fmt.Errorf("chromium: %w", err)
	}
	m := readyMS.FindSubmatch(out)
	if m == nil {
		return 0, 0, "", fmt.Errorf("the page's script did not finish")
	}
	ms, _ := strconv.Atoi(string(m[1]))
	extra := ""
	if s, p := startMS.FindSubmatch(out), parseMS.FindSubmatch(out); s != nil && p != nil {
		extra = fmt.Sprintf(" (script started at %s ms, JSON parsed in %s ms)", s[1], p[1])
	}
	return wall, ms, extra, nil
}

var levels = []string{"critical", "high", "medium", "low", "informational"}

var tactics = []string{"execution", "persistence", "privilege-escalation", "stealth", "credential-access", "discovery", "lateral-movement", "command-and-control"}

// writeReport writes a report of n synthetic hits and returns its size.
func writeReport(path string, n int) (int64, error) {
	fh, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriter(fh)
	w := report.New(bw, report.Options{})
	var rules []*hunt.Rule
	for i := range 40 {
		rules = append(rules, &hunt.Rule{ID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i), Title: fmt.Sprintf("Synthetic rule %d", i),
			Level: levels[i%len(levels)], Engine: "sigma", Path: fmt.Sprintf("rules/rule_%d.yml", i),
			Description: "Detects a synthetic behaviour for the report benchmark.",
			Tags:        []string{"attack." + tactics[i%len(tactics)], fmt.Sprintf("attack.t%04d", 1000+i%30), fmt.Sprintf("attack.t%04d.%03d", 1000+i%30, i%5)}})
	}
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	sum := &output.Summary{Files: 1, RulesLoaded: map[string]int{"sigma": len(rules)}, HitsPerLevel: map[string]int{}}
	for i := range n {
		r := rules[(i*7)%len(rules)]
		at := base.Add(time.Duration(i) * 6 * time.Second) // a week for 100,000 hits
		ev := &parsers.Event{Time: at, Computer: fmt.Sprintf("WS-%02d.corp.example.com", i%50), Channel: winevent.Sysmon,
			EventID: 1, RecordID: uint64(i + 1), Source: parsers.Source{Path: "logs/Sysmon.evtx", Offset: int64(4096 + i*600)}}
		add := func(name, value string) { ev.Fields = append(ev.Fields, parsers.Field{Name: name, Value: value}) }
		add("UtcTime", at.Format("2006-01-02 15:04:05.000"))
		add("ProcessGuid", fmt.Sprintf("{%08x-1111-2222-3333-444455556666}", i))
		add("ProcessId", strconv.Itoa(1000+i%5000))
		add("Image", `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`)
		add("FileVersion", "10.0.19041.546")
		add("Description", "Windows PowerShell")
		add("Product", "Microsoft Windows Operating System")
		add("Company", "Microsoft Corporation")
		add("OriginalFileName", "PowerShell.EXE")
		add("CommandLine", fmt.Sprintf(`powershell.exe -NoProfile -ExecutionPolicy Bypass -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIAAkAHgA%06d`, i))
		add("CurrentDirectory", `C:\Users\jdoe\`)
		add("User", `CORP\jdoe`)
		add("LogonGuid", "{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}")
		add("LogonId", "0x3e7")
		add("TerminalSessionId", "1")
		add("IntegrityLevel", "High")
		add("Hashes", "SHA256=D3AC94AF0F21DDB66CAD4A268D116ECE1738F7D93D9C172411E20B8F6B0D549B")
		add("ParentProcessGuid", "{bbbbbbbb-1111-2222-3333-444455556666}")
		add("ParentProcessId", "4242")
		add("ParentImage", `C:\Windows\explorer.exe`)
		add("ParentCommandLine", `C:\Windows\explorer.exe`)
		add("ParentUser", `CORP\jdoe`)
		add("RuleName", "-")
		add("Provider_Name", "Microsoft-Windows-Sysmon")
		h := &hunt.Hit{Rule: r, Time: at, Event: ev, Matched: []hunt.Matched{{Search: "selection", Field: "CommandLine", Value: ev.Fields[9].Value}}}
		if err := w.WriteHit(h); err != nil {
			return 0, err
		}
		sum.HitsPerLevel[r.Level]++
		sum.HitsTotal++
	}
	if err := w.Close(sum); err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	st, err := fh.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), fh.Close()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "reportload:", err)
	os.Exit(1)
}
