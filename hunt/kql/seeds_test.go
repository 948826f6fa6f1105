package kql

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/schema"
	"github.com/loghunt/loghunt/hunt/kql/value"
)

var testNow = time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC)

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustParse(t testing.TB, src string) *Query {
	t.Helper()
	q, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	return q
}

func mustRun(t testing.TB, q *Query, cat Catalog) (*value.Table, []Warning) {
	t.Helper()
	res, warns, err := q.Run(context.Background(), cat, Options{Now: testNow})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res, warns
}

// column returns one column of a result as strings.
func column(t testing.TB, res *value.Table, name string) []string {
	t.Helper()
	i := res.Index(name)
	if i < 0 {
		t.Fatalf("no column %s in %v", name, res.Columns)
	}
	var out []string
	for _, r := range res.Rows {
		out = append(out, toStr(r[i]))
	}
	return out
}

// processColumns are the DeviceProcessEvents columns the synthetic test
// tables share.
var processColumns = []value.Column{
	{Name: "Timestamp", Type: value.DateTime},
	{Name: "DeviceName", Type: value.String},
	{Name: "FileName", Type: value.String},
	{Name: "FolderPath", Type: value.String},
	{Name: "ProcessCommandLine", Type: value.String},
	{Name: "ProcessId", Type: value.Long},
}

func processTable() *value.Table {
	t := &value.Table{Name: "DeviceProcessEvents", Columns: slices.Clone(processColumns)}
	add := func(ago time.Duration, dev, folder, cmd string, pid int64) {
		file := folder[strings.LastIndexByte(folder, '\\')+1:]
		t.Rows = append(t.Rows, []any{testNow.Add(-ago), dev, file, folder, cmd, pid})
	}
	add(1*time.Hour, "ws1", `C:\Windows\System32\ldifde.exe`, `C:\Windows\System32\ldifde.exe -f -n eprod.ldf`, 10)
	add(2*time.Hour, "ws1", `C:\Windows\System32\cmd.exe`, `cmd.exe /c SYSTEMINFO & TASKLIST`, 11)
	add(40*24*time.Hour, "ws2", `C:\Windows\System32\cmd.exe`, `cmd.exe /c SYSTEMINFO & TASKLIST`, 12)
	add(3*time.Hour, "ws2", `C:\Users\Public\7za.exe`, `7za.exe a x.7z`, 13)
	add(4*time.Hour, "ws3", `C:\aaaa\procdump64.exe`, `C:\aaaa\procdump64.exe -ma lsass.exe`, 14)
	add(5*time.Hour, "ws3", `C:\aaaa\procdump64.exe`, `C:\aaaa\procdump64.exeX -ma lsass.exe`, 15)
	add(6*time.Hour, "ws3", `C:\Windows\System32\cmd.exe`, `copy \client\c$\aaaa\secret.txt .`, 16)
	add(7*time.Hour, "ws1", `C:\Windows\explorer.exe`, `explorer.exe`, 17)
	add(8*time.Hour, "ws4", `C:\Windows\System32\cmd.exe`, `xcmd.exe /c SYSTEMINFO & TASKLISTS`, 18)
	return t
}

func networkTable() *value.Table {
	t := &value.Table{Name: "imNetworkSession", Columns: []value.Column{
		{Name: "TimeGenerated", Type: value.DateTime},
		{Name: "NetworkDirection", Type: value.String},
		{Name: "DstHostname", Type: value.String},
		{Name: "SrcProcessName", Type: value.String},
		{Name: "DstProcessName", Type: value.String},
	}}
	add := func(dir, host, src, dst string) {
		t.Rows = append(t.Rows, []any{testNow.Add(-time.Duration(len(t.Rows)) * time.Minute), dir, host, src, dst})
	}
	add("Outbound", "evil.azurewebsites.net", `C:\Users\bob\malware.exe`, "")
	add("Outbound", "ok.azurewebsites.net", `C:\Program Files\Google\Chrome\Application\chrome.exe`, "")
	add("Outbound", "example.com", `C:\Users\bob\malware.exe`, "")
	add("Inbound", "x.azurewebsites.net", "", `C:\Windows\svchost.exe`)
	return t
}

func seedCatalog() *MapCatalog {
	cat := NewMapCatalog(processTable(), networkTable()).SetNaming(schema.SentinelNaming{})
	cat.SetValues("imNetworkSession", "NetworkDirection", "Inbound", "Outbound", "Local", "External", "NA")
	return cat
}

func TestSeedQueries(t *testing.T) {
	cat := seedCatalog()
	tests := []struct {
		file string
		pids []string
	}{
		// 000: has with punctuated needles, endswith, ==, or, top by desc.
		// Row 15 (procdump64.exeX) fails the term boundary after "exe".
		{"seed_000.kql", []string{"10", "13", "14", "16"}},
		// 001: endswith; the 40-day-old row falls outside ago(7d).
		{"seed_001.kql", []string{"11"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			q := mustParse(t, readTestdata(t, tt.file))
			if got := q.Tables(schema.SentinelNaming{}); len(got) != 1 || got[0] != "DeviceProcessEvents" {
				t.Errorf("Tables() = %v", got)
			}
			res, warns := mustRun(t, q, cat)
			if len(warns) != 0 {
				t.Errorf("warnings: %v", warns)
			}
			got := strings.Join(column(t, res, "ProcessId"), ",")
			if want := strings.Join(tt.pids, ","); got != want {
				t.Errorf("ProcessId = %s, want %s", got, want)
			}
		})
	}
}

func TestSeed002NeverTrue(t *testing.T) {
	cat := seedCatalog()
	src := readTestdata(t, "seed_002.kql")
	q := mustParse(t, src)
	res, warns := mustRun(t, q, cat)
	if len(res.Rows) != 0 {
		t.Errorf("verbatim query returned %d rows, want 0", len(res.Rows))
	}
	var sawDir, sawNull bool
	for _, w := range warns {
		if strings.Contains(w.Msg, `NetworkDirection =~ "true" can never be true`) && w.Line == 2 && w.Col == 27 {
			sawDir = true
		}
		if strings.Contains(w.Msg, "isnull() on string SrcProcessName") {
			sawNull = true
		}
	}
	if !sawDir || !sawNull {
		t.Errorf("warnings = %v", warns)
	}
	if cw := Check(q, cat); len(cw) != len(warns) {
		t.Errorf("Check() = %v, Run warnings = %v", cw, warns)
	}

	// A naive correction (Outbound, isnull -> isempty on both sides) still
	// returns nothing: on outbound rows DstProcessName is always empty, so
	// the OR-ed Src/Dst null filter excludes every row.
	fixed := strings.Replace(src, `NetworkDirection =~ "true"`, `NetworkDirection == "Outbound"`, 1)
	naive := strings.ReplaceAll(fixed, "isnull(", "isempty(")
	res, warns = mustRun(t, mustParse(t, naive), cat)
	if len(res.Rows) != 0 || len(warns) != 0 {
		t.Errorf("naive correction: rows %v, warnings %v", res.Rows, warns)
	}
	// Checking only the initiating process (Sigma's Image) gives the hit.
	nullFilter := `(isnull(SrcProcessName) or isnull(DstProcessName)) or (SrcProcessName =~ "" or DstProcessName =~ "")`
	if !strings.Contains(fixed, nullFilter) {
		t.Fatal("seed_002 no longer has the expected null filter")
	}
	proper := strings.Replace(fixed, nullFilter, `isempty(SrcProcessName)`, 1)
	res, warns = mustRun(t, mustParse(t, proper), cat)
	if got := column(t, res, "DstHostname"); len(got) != 1 || got[0] != "evil.azurewebsites.net" {
		t.Errorf("corrected query: %v", res.Rows)
	}
	if len(warns) != 0 {
		t.Errorf("corrected query warnings: %v", warns)
	}
}
