package json

import (
	"bytes"
	"os"
	"testing"

	"github.com/loghunt/loghunt/parsers"
)

// benchInput repeats the lines of a fixture until it has n events.
func benchInput(b *testing.B, file string, n int) []byte {
	data, err := os.ReadFile("testdata/" + file)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	per := bytes.Count(data, []byte("\n{")) + 1
	for i := 0; i < n; i += per {
		buf.Write(data)
	}
	return buf.Bytes()
}

func benchmarkDecode(b *testing.B, file string) {
	data := benchInput(b, file, 3000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var events int64
	for b.Loop() {
		st, err := NewUnit(bytes.NewReader(data), file, Options{}).Decode(func(*parsers.Event) error { return nil }, nil)
		if err != nil || st.Failed != 0 {
			b.Fatal(err, st)
		}
		events += st.Records
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkDecodeFlat(b *testing.B)       { benchmarkDecode(b, "flat.jsonl") }
func BenchmarkDecodeWinlogbeat(b *testing.B) { benchmarkDecode(b, "winlogbeat.jsonl") }
func BenchmarkDecodeEvtxDump(b *testing.B)   { benchmarkDecode(b, "evtxdump.json") }
