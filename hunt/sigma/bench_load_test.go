package sigma

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// BenchmarkLoadWindowsRules parses and compiles SigmaHQ's rules/windows
// from memory (the files are read once, before timing). One op is one
// Loader over all of them. cpu-ns/op, the process's CPU time, stays
// meaningful on a shared machine.
func BenchmarkLoadWindowsRules(b *testing.B) {
	dir := filepath.Join(sharedDir(b), "sigma", "rules", "windows")
	type file struct {
		name string
		data []byte
	}
	var files []file
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yml") {
			if data, err := os.ReadFile(p); err == nil {
				files = append(files, file{p, data})
			}
		}
		return nil
	})
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, cpuOK := processCPU()
	rules := 0
	for i := 0; i < b.N; i++ {
		l := NewLoader(LoadOptions{})
		for _, f := range files {
			l.AddBytes(f.name, f.data)
		}
		_, rep := l.Compile()
		rules = rep.Detection
	}
	cpu1, _ := processCPU()
	b.ReportMetric(float64(rules), "rules")
	if cpuOK && cpu1 > cpu0 {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
