package schema

import (
	"fmt"
	"testing"
	"time"

	"github.com/loghunt/loghunt/parsers"
)

// benchEvents returns a synthetic mix: for each process, its Sysmon 1, a
// Sysmon 3 connection, and a Security 4688.
func benchEvents(n int) []*parsers.Event {
	var evs []*parsers.Event
	for i := 0; len(evs) < n; i++ {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		g := fmt.Sprintf("{%08X-0000-0000-0000-000000000000}", i)
		evs = append(evs,
			proc1(uint64(3*i), at, g, `C:\Windows\System32\cmd.exe`, "{00000000-0000-0000-0000-000000000001}", `C:\Windows\explorer.exe`),
			sysmon(3, uint64(3*i+1), at, "ProcessGuid", g, "ProcessId", "4242", "Image", `C:\Windows\System32\cmd.exe`,
				"User", `CORP\alice`, "Protocol", "tcp", "Initiated", "true", "SourceIp", "10.0.0.5", "SourcePort", "50000",
				"SourceHostname", "-", "DestinationIp", "52.1.2.3", "DestinationHostname", "x.azurewebsites.net", "DestinationPort", "443"),
			security(4688, uint64(3*i+2), at, "SubjectUserSid", "S-1-5-21-1", "SubjectUserName", "alice", "SubjectDomainName", "CORP",
				"SubjectLogonId", "0x1a2b", "NewProcessId", "0x1a2c", "NewProcessName", `C:\Windows\System32\whoami.exe`,
				"TokenElevationType", "%%1937", "ProcessId", "0x10", "CommandLine", "whoami /all", "TargetUserSid", "S-1-0-0",
				"TargetUserName", "-", "TargetDomainName", "-", "TargetLogonId", "0x0",
				"ParentProcessName", `C:\Windows\System32\cmd.exe`, "MandatoryLabel", "S-1-16-12288"))
	}
	return evs[:n]
}

func benchmarkBuild(b *testing.B, tables ...string) {
	evs := benchEvents(3000)
	b.ReportAllocs()
	b.ResetTimer()
	var rows int64
	for i := 0; i < b.N; i++ {
		bl := NewBuilder(Options{Tables: tables})
		for _, ev := range evs {
			bl.Add(ev)
		}
		rows += bl.Finish().Stats().Rows
	}
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkBuildDeviceProcessEvents(b *testing.B) { benchmarkBuild(b, "DeviceProcessEvents") }
func BenchmarkBuildImNetworkSession(b *testing.B)    { benchmarkBuild(b, "imNetworkSession") }
func BenchmarkBuildSecurityEvent(b *testing.B)       { benchmarkBuild(b, "SecurityEvent") }
func BenchmarkBuildAllTables(b *testing.B) {
	var names []string
	for _, t := range Default().Tables() {
		names = append(names, t.Name)
	}
	benchmarkBuild(b, names...)
}
