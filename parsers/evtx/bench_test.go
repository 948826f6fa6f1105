package evtx

import (
	"bytes"
	"os"
	"testing"

	"github.com/loghunt/loghunt/parsers"
)

// fixtureUnits opens the fixtures in memory and returns their units and
// the bytes of their chunks.
func fixtureUnits(b *testing.B, opts Options, names ...string) ([]parsers.Unit, int64) {
	var units []parsers.Unit
	var size int64
	for _, name := range names {
		data, err := os.ReadFile(fixture(name))
		if err != nil {
			b.Fatal(err)
		}
		f, err := Open(bytes.NewReader(data), int64(len(data)), name, opts)
		if err != nil {
			b.Fatal(err)
		}
		units = append(units, f.Units()...)
		size += int64(len(data) - FileHeaderSize)
	}
	return units, size
}

// benchmarkDecode decodes the units of an in-memory fixture b.N times and
// reports records/s and allocations per record.
func benchmarkDecode(b *testing.B, name string, opts Options) {
	units, size := fixtureUnits(b, opts, name)
	var records int64
	emit := func(*parsers.Event) error { return nil }
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, u := range units {
			st, err := u.Decode(emit, nil)
			if err != nil {
				b.Fatal(err)
			}
			records += st.Records
		}
	}
	b.StopTimer()
	if records > 0 {
		b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
		b.ReportMetric(float64(testing.AllocsPerRun(1, func() {
			for _, u := range units {
				u.Decode(emit, nil)
			}
		}))/float64(records/int64(b.N)), "allocs/record")
	}
}

func BenchmarkDecodeSecurity(b *testing.B) { benchmarkDecode(b, "security_chunk0.evtx", Options{}) }
func BenchmarkDecodeSysmon(b *testing.B)   { benchmarkDecode(b, "sysmon_chunk0.evtx", Options{}) }
func BenchmarkDecodeCAPI2(b *testing.B)    { benchmarkDecode(b, "capi2_chunk0.evtx", Options{}) }
func BenchmarkDecodeSecurityFields(b *testing.B) {
	benchmarkDecode(b, "security_chunk0.evtx", Options{Fields: []string{"EventID", "TargetUserName", "CommandLine"}})
}

func BenchmarkDecodeSecurityNoFields(b *testing.B) {
	benchmarkDecode(b, "security_chunk0.evtx", Options{Fields: []string{}})
}

// BenchmarkDecodeParallel decodes the Security and Sysmon fixtures on
// GOMAXPROCS goroutines at once, each with its own pooled state, as the
// parallel file decode does. Run with -cpu 1,2: the MB/s at 2 divided by
// the MB/s at 1 is the speed-up of in-memory chunk decoding, without the
// reading of the file.
func BenchmarkDecodeParallel(b *testing.B) {
	units, size := fixtureUnits(b, Options{}, "security_chunk0.evtx", "sysmon_chunk0.evtx")
	emit := func(*parsers.Event) error { return nil }
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			for _, u := range units {
				if _, err := u.Decode(emit, nil); err != nil {
					b.Error(err)
					return
				}
			}
		}
	})
}
