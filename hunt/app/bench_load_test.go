package app

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/loghunt/loghunt/internal/testshared"
)

// BenchmarkPrepareAllSigmaRules loads and compiles every SigmaHQ rule
// under ../shared/sigma/rules through Prepare, the path "loghunt hunt -r"
// and "loghunt rules check" take: finding and classifying the files,
// parsing, compiling on Threads 0 (GOMAXPROCS: use -cpu 1,2), routing and
// the prefilter plans. Files come from the page cache after the first op.
// cpu-ns/op is the process's CPU time (user+system) per op.
func BenchmarkPrepareAllSigmaRules(b *testing.B) {
	dir := filepath.Join(testshared.Dir(b), "sigma", "rules")
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, cpuOK := processCPU()
	loaded := 0
	for i := 0; i < b.N; i++ {
		p, err := Prepare(Config{RulePaths: []string{dir}, NoBundled: true})
		if err != nil {
			b.Fatal(err)
		}
		loaded = p.SigmaReport.Detection
	}
	cpu1, _ := processCPU()
	b.ReportMetric(float64(loaded), "rules")
	if cpuOK && cpu1 > cpu0 {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
