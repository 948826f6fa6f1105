package sigma

import (
	"io/fs"
	"path/filepath"
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

// BenchmarkMatchWindowsRules evaluates every rule of SigmaHQ's
// rules/windows against Sysmon and Security events from the corpus, on one
// goroutine. One op is one event.
func BenchmarkMatchWindowsRules(b *testing.B) {
	shared := sharedDir(b)
	l := NewLoader(LoadOptions{})
	l.AddPath(filepath.Join(shared, "sigma", "rules", "windows"))
	rs, rep := l.Compile()
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
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rs.Match(evs[i%len(evs)], fn)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
