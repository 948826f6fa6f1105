package kql

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// benchTable builds n synthetic process events.
func benchTable(n int) *value.Table {
	t := &value.Table{Name: "DeviceProcessEvents", Columns: slices.Clone(processColumns)}
	files := []string{"cmd.exe", "powershell.exe", "svchost.exe", "rundll32.exe", "conhost.exe", "explorer.exe", "7za.exe"}
	t.Rows = make([][]any, n)
	for i := range t.Rows {
		f := files[i%len(files)]
		t.Rows[i] = []any{
			testNow.Add(-time.Duration(i) * time.Second),
			fmt.Sprintf("ws%d.contoso.local", i%50),
			f,
			`C:\Windows\System32\` + f,
			fmt.Sprintf(`C:\Windows\System32\%s /c "echo %d" -NoProfile -ExecutionPolicy Bypass`, f, i),
			int64(i),
		}
	}
	return t
}

// BenchmarkWhere1M evaluates a single-table where (has, =~, endswith,
// ago) over one million rows; rows/s is reported as a metric.
func BenchmarkWhere1M(b *testing.B) {
	const n = 1_000_000
	cat := NewMapCatalog(benchTable(n))
	q, err := Parse(`DeviceProcessEvents
| where Timestamp > ago(30d)
| where ProcessCommandLine has "bypass" and FileName =~ "powershell.exe" or FolderPath endswith @"\7za.exe"`)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	rows := 0
	for i := 0; i < b.N; i++ {
		res, _, err := q.Run(ctx, cat, Options{Now: testNow})
		if err != nil {
			b.Fatal(err)
		}
		rows = len(res.Rows)
	}
	b.StopTimer()
	if rows == 0 {
		b.Fatal("no rows matched")
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkSummarize100k groups 100,000 rows by device and file.
func BenchmarkSummarize100k(b *testing.B) {
	cat := NewMapCatalog(benchTable(100_000))
	q, err := Parse(`DeviceProcessEvents | summarize n = count(), first = min(Timestamp), cmds = make_set(ProcessCommandLine, 5) by DeviceName, FileName`)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := q.Run(context.Background(), cat, Options{Now: testNow}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(100_000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
