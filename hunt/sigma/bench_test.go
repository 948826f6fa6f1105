package sigma

import (
	"io/fs"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/loghunt/loghunt/parsers"
)

var benchEvents struct {
	once sync.Once
	evs  []*parsers.Event
}

// corpusEvents returns up to max Sysmon and Security events from the
// shared EVTX corpora, in a fixed order.
func corpusEvents(tb testing.TB, max int) []*parsers.Event {
	shared := sharedDir(tb)
	benchEvents.once.Do(func() {
		var files []string
		for _, root := range []string{"corpora/evtx", "sigma/regression_data"} {
			_ = filepath.WalkDir(filepath.Join(shared, root), func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && strings.HasSuffix(strings.ToLower(p), ".evtx") {
					files = append(files, p)
				}
				return nil
			})
		}
		sort.Strings(files)
		for _, f := range files {
			_ = evtxEvents(f, func(e *parsers.Event) {
				if len(benchEvents.evs) < max && (e.Channel == "Security" || e.Channel == sysmonCh) {
					benchEvents.evs = append(benchEvents.evs, e.Clone())
				}
			})
			if len(benchEvents.evs) >= max {
				break
			}
		}
	})
	if len(benchEvents.evs) == 0 {
		tb.Skip("no Sysmon or Security events in the corpus")
	}
	return benchEvents.evs
}

var benchRules struct {
	once sync.Once
	rs   *Ruleset
	rep  *Report
}

// windowsRuleset compiles SigmaHQ's rules/windows once per test binary.
func windowsRuleset(tb testing.TB) (*Ruleset, *Report) {
	shared := sharedDir(tb)
	benchRules.once.Do(func() {
		l := NewLoader(LoadOptions{})
		l.AddPath(filepath.Join(shared, "sigma", "rules", "windows"))
		benchRules.rs, benchRules.rep = l.Compile()
	})
	return benchRules.rs, benchRules.rep
}

// BenchmarkMatchWindowsRules evaluates every rule of SigmaHQ's
// rules/windows against Sysmon and Security events from the corpus, on one
// goroutine. One op is one event. Besides ns/op (wall clock) it reports
// cpu-ns/op and cpu-events/s from the process's CPU time, which stay
// meaningful when the machine is shared; run it with -cpu 1 and
// -benchtime=Nx with N a multiple of the event count to weigh every event
// equally.
func BenchmarkMatchWindowsRules(b *testing.B) {
	rs, rep := windowsRuleset(b)
	evs := corpusEvents(b, 50000)
	sysmon := 0
	for _, e := range evs {
		if e.Channel == sysmonCh {
			sysmon++
		}
	}
	b.Logf("%d rules, %d events (%d Sysmon, %d Security)", rep.Detection, len(evs), sysmon, len(evs)-sysmon)
	hits := 0
	fn := func(*Match) { hits++ }
	runtime.GC() // not the loading's garbage
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, cpuOK := processCPU()
	for i := 0; i < b.N; i++ {
		rs.Match(evs[i%len(evs)], fn)
	}
	cpu1, _ := processCPU()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if cpuOK && cpu1 > cpu0 {
		cpu := cpu1 - cpu0
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "cpu-events/s")
	}
}
