package kql

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/schema"
	"github.com/loghunt/loghunt/hunt/kql/value"
)

// syntheticCatalog builds one table per table of ../shared/kql/schema_map.tsv
// with a few rows of plausible values, so that every corpus query can be
// evaluated end to end without the EVTX parser.
func syntheticCatalog(t testing.TB, shared string) *MapCatalog {
	b, err := os.ReadFile(filepath.Join(shared, "kql", "schema_map.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	extra, err := os.ReadFile(filepath.Join("testdata", "extra_tables.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]*value.Table{}
	var order []string
	for i, l := range strings.Split(string(b)+string(extra), "\n") {
		f := strings.Split(l, "\t")
		if i == 0 || len(f) < 3 || strings.HasPrefix(l, "#") {
			continue
		}
		name := f[0]
		if j := strings.IndexByte(name, '('); j >= 0 { // ASimProcessEvent(imProcessCreate)
			name = strings.TrimSuffix(name[j+1:], ")")
		}
		typ, ok := value.ParseType(f[2])
		if !ok {
			typ = value.String
		}
		tb := tables[name]
		if tb == nil {
			tb = &value.Table{Name: name}
			tables[name] = tb
			order = append(order, name)
		}
		if tb.Index(f[1]) < 0 {
			tb.Columns = append(tb.Columns, value.Column{Name: f[1], Type: typ})
		}
	}
	var list []*value.Table
	for _, name := range order {
		tb := tables[name]
		for r := 0; r < 5; r++ {
			row := make([]any, len(tb.Columns))
			for i, c := range tb.Columns {
				row[i] = syntheticCell(c, r)
			}
			tb.Rows = append(tb.Rows, row)
		}
		list = append(list, tb)
	}
	// imProcess (all process events) is served by the creation events
	proc := *tables["imProcessCreate"]
	proc.Name = "imProcess"
	list = append(list, &proc)
	cat := NewMapCatalog(list...).SetNaming(schema.SentinelNaming{})
	cat.SetValues("imNetworkSession", "NetworkDirection", "Inbound", "Outbound", "Local", "External", "NA")
	return cat
}

func syntheticCell(c value.Column, r int) any {
	switch c.Type {
	case value.DateTime:
		return testNow.Add(-time.Duration(r+1) * time.Hour)
	case value.Long, value.Int:
		return int64(1000 + r)
	case value.Real:
		return float64(r) + 0.5
	case value.Bool:
		return r%2 == 0
	case value.TimeSpan:
		return time.Duration(r) * time.Minute
	case value.Dynamic:
		return map[string]any{"Key": fmt.Sprintf("v%d", r), "List": []any{int64(r), "x"}}
	}
	name := c.Name
	switch {
	case strings.Contains(name, "CommandLine"):
		return []string{`powershell.exe -enc SQBFAFgA`, `cmd.exe /c whoami`, `rundll32.exe shell32.dll,Control_RunDLL`, `net user admin /add`, `C:\Windows\System32\svchost.exe -k netsvcs`}[r]
	case strings.HasSuffix(name, "FileName") || name == "FileName":
		return []string{"powershell.exe", "cmd.exe", "rundll32.exe", "net.exe", "svchost.exe"}[r]
	case strings.Contains(name, "Path") || strings.HasSuffix(name, "ProcessName"):
		return []string{`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `C:\Windows\System32\cmd.exe`, `C:\Windows\System32\rundll32.exe`, `C:\Windows\System32\net.exe`, `C:\Windows\System32\svchost.exe`}[r]
	case strings.Contains(name, "IP"):
		return []string{"10.0.0.5", "8.8.8.8", "192.168.1.10", "52.1.2.3", "127.0.0.1"}[r]
	case strings.Contains(name, "Url") || strings.Contains(name, "Hostname") || strings.Contains(name, "Domain"):
		return []string{"evil.azurewebsites.net", "www.example.com", "contoso.local", "raw.githubusercontent.com", "localhost"}[r]
	case name == "NetworkDirection":
		return []string{"Outbound", "Inbound", "Outbound", "Local", "NA"}[r]
	case name == "ActionType":
		return []string{"ProcessCreated", "ConnectionSuccess", "FileCreated", "RegistryValueSet", "ImageLoaded"}[r]
	case strings.Contains(name, "SHA256"):
		return strings.Repeat(fmt.Sprint(r), 64)
	case strings.Contains(name, "SHA1"):
		return strings.Repeat(fmt.Sprint(r), 40)
	case strings.Contains(name, "MD5"):
		return strings.Repeat(fmt.Sprint(r), 32)
	case strings.Contains(name, "Account") || strings.Contains(name, "User"):
		return []string{"alice", "bob", "SYSTEM", "admin", "LOCAL SERVICE"}[r]
	case strings.Contains(name, "Registry"):
		return []string{`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Run`, `HKLM\System\CurrentControlSet\Control\SecurityProviders\WDigest`, `HKCU\Software\x`, `HKLM\SOFTWARE\Policies`, `HKLM\x`}[r]
	}
	return fmt.Sprintf("%s-%d", name, r)
}

// TestCorpusRunSynthetic runs every parsable corpus query against synthetic
// tables with the schema_map.tsv columns (a proxy until the emulated schema
// runs over real evidence), prints the run rate and lists each failure.
func TestCorpusRunSynthetic(t *testing.T) {
	shared := sharedDir(t)
	cat := syntheticCatalog(t, shared)
	qs := loadCorpus(t)
	ran, parsed := 0, 0
	var failures []string
	for _, cq := range qs {
		q, err := Parse(cq.src)
		if err != nil {
			failures = append(failures, fmt.Sprintf("%s: parse: %v", cq.file, err))
			continue
		}
		parsed++
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, _, err = q.Run(ctx, cat, Options{Now: testNow})
		cancel()
		if err != nil {
			failures = append(failures, fmt.Sprintf("%s: %v", cq.file, firstLine(err.Error())))
			continue
		}
		ran++
	}
	t.Logf("ran %d/%d corpus queries (%.1f%%; %d parsed) over synthetic schema_map tables", ran, len(qs), 100*float64(ran)/float64(len(qs)), parsed)
	for _, f := range failures {
		t.Logf("  run failure: %s", f)
	}
	if float64(ran) < 0.5*float64(len(qs)) {
		t.Errorf("run rate below 50%%")
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
