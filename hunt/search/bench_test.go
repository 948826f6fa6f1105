package search

import (
	"fmt"
	"testing"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/parsers"
)

// benchEvents are synthetic events shaped like Sysmon process creations
// and Security logons: about twenty fields of paths, command lines, GUIDs
// and numbers, none of which holds the benchmarks' keywords.
func benchEvents(n int) []*parsers.Event {
	evs := make([]*parsers.Event, n)
	for i := range evs {
		evs[i] = &parsers.Event{
			Computer: fmt.Sprintf("WS-%04d.corp.example.com", i%300), Channel: "Microsoft-Windows-Sysmon/Operational",
			Provider: "Microsoft-Windows-Sysmon", EventID: 1, RecordID: uint64(i),
			Fields: []parsers.Field{
				{Name: "EventID", Value: "1"}, {Name: "Version", Value: "5"}, {Name: "Level", Value: "4"},
				{Name: "Task", Value: "1"}, {Name: "Opcode", Value: "0"}, {Name: "Keywords", Value: "0x8000000000000000"},
				{Name: "EventRecordID", Value: fmt.Sprint(i)}, {Name: "Channel", Value: "Microsoft-Windows-Sysmon/Operational"},
				{Name: "Computer", Value: fmt.Sprintf("WS-%04d.corp.example.com", i%300)},
				{Name: "UtcTime", Value: "2024-05-01 10:11:12.123"},
				{Name: "ProcessGuid", Value: fmt.Sprintf("{8f3c2a1e-%04x-65f0-1a00-000000001e00}", i%65536)},
				{Name: "ProcessId", Value: fmt.Sprint(1000 + i%5000)},
				{Name: "Image", Value: `C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE`},
				{Name: "FileVersion", Value: "16.0.17328.20162"},
				{Name: "Description", Value: "Microsoft Outlook"},
				{Name: "CommandLine", Value: fmt.Sprintf(`"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE" /recycle /profile user%d`, i%50)},
				{Name: "CurrentDirectory", Value: `C:\Users\jdoe\Documents\`},
				{Name: "User", Value: `CORP\jdoe`},
				{Name: "LogonId", Value: "0x3e7"},
				{Name: "IntegrityLevel", Value: "Medium"},
				{Name: "Hashes", Value: "SHA256=9F2B1C0D4E5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0B1C"},
				{Name: "ParentImage", Value: `C:\Windows\explorer.exe`},
				{Name: "ParentCommandLine", Value: `C:\Windows\Explorer.EXE`},
			},
		}
	}
	return evs
}

func BenchmarkMatch(b *testing.B) {
	evs := benchEvents(1024)
	for _, bc := range []struct {
		name string
		opts Options
	}{
		{"keyword", Options{Keywords: []string{"mimikatz"}}},
		{"keyword-case-sensitive", Options{Keywords: []string{"mimikatz"}, CaseSensitive: true}},
		{"any-of-3-keywords", Options{Keywords: []string{"mimikatz", "psexec", "lsass"}, Any: true}},
		{"regex-with-literals", Options{Regexps: []string{`sekurlsa|lsass\.dmp`}}},
		{"regex-dotted-quad", Options{Regexps: []string{`\d+\.\d+\.\d+\.\d+`}}},
		{"field-wildcard", Options{Fields: []FieldFilter{{"Image", `*\powershell.exe`}}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := New(bc.opts)
			if err != nil {
				b.Fatal(err)
			}
			hits := 0
			emit := func(*hunt.Rule, []hunt.Matched) { hits++ }
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				s.Match(evs[i%len(evs)], emit)
			}
			_ = hits
		})
	}
}
