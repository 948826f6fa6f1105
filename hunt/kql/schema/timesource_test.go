package schema

import (
	"strconv"
	"testing"
	"time"

	"github.com/loghunt/loghunt/parsers"
)

// TestTimestampSource states, for every table and every kind of event that
// fills it, which event field gives the row's time column. Each event's
// System TimeCreated (tc) and Sysmon UtcTime (tu) differ by two hours, so a
// row shows which one it took. The expectations are schema_map.tsv's
// (Timestamp: Sysmon "UtcTime", Security "System/TimeCreated/@SystemTime")
// and, for the tables it does not cover, the record's TimeCreated, except
// that Sysmon events take UtcTime everywhere (winevent.TimeField).
func TestTimestampSource(t *testing.T) {
	tu := time.Date(2024, 5, 1, 8, 0, 0, 500e6, time.UTC)
	tc := tu.Add(2 * time.Hour)
	utc := tu.Format("2006-01-02 15:04:05.000")
	sys := func(id uint32, kv ...string) *parsers.Event {
		return sysmon(id, 1, tc, append([]string{"UtcTime", utc, "ProcessGuid", "{A}", "ProcessId", "10", "Image", `C:\a.exe`}, kv...)...)
	}
	sec := func(id uint32, kv ...string) *parsers.Event { return security(id, 1, tc, kv...) }
	const (
		fromUtcTime     = "UtcTime"
		fromTimeCreated = "TimeCreated"
	)
	tests := []struct {
		table, column string
		ev            *parsers.Event
		source        string
	}{
		{"DeviceProcessEvents", "Timestamp", sys(1), fromUtcTime},
		{"DeviceProcessEvents", "Timestamp", sec(4688, "NewProcessName", `C:\a.exe`, "NewProcessId", "0x10"), fromTimeCreated},
		{"DeviceNetworkEvents", "Timestamp", sys(3, "Initiated", "true"), fromUtcTime},
		{"DeviceNetworkEvents", "Timestamp", sec(5156, "Direction", "%%14593"), fromTimeCreated},
		{"DeviceFileEvents", "Timestamp", sys(11, "TargetFilename", `C:\x`), fromUtcTime},
		{"DeviceFileEvents", "Timestamp", sec(4663, "ObjectType", "File", "AccessMask", "0x2", "ObjectName", `C:\x`), fromTimeCreated},
		{"DeviceRegistryEvents", "Timestamp", sys(13, "EventType", "SetValue", "TargetObject", `HKLM\x`), fromUtcTime},
		{"DeviceRegistryEvents", "Timestamp", sec(4657, "ObjectName", `\REGISTRY\MACHINE\x`, "OperationType", "%%1905"), fromTimeCreated},
		{"DeviceImageLoadEvents", "Timestamp", sys(7, "ImageLoaded", `C:\x.dll`), fromUtcTime},
		{"DeviceEvents", "Timestamp", sys(8, "SourceImage", `C:\a.exe`), fromUtcTime},
		{"DeviceEvents", "Timestamp", sys(10, "SourceImage", `C:\a.exe`), fromUtcTime},
		{"DeviceEvents", "Timestamp", sys(22, "QueryName", "x"), fromUtcTime},
		{"DeviceEvents", "Timestamp", sec(4698, "TaskName", `\t`), fromTimeCreated},
		{"DeviceEvents", "Timestamp", other("Microsoft-Windows-Windows Defender/Operational", "", 1116, 1, tc, "Path", "file:_C:\\x"), fromTimeCreated},
		{"DeviceEvents", "Timestamp", other("Microsoft-Windows-PowerShell/Operational", "", 4104, 1, tc), fromTimeCreated},
		{"DeviceEvents", "Timestamp", other("System", "Service Control Manager", 7045, 1, tc), fromTimeCreated},
		{"DeviceLogonEvents", "Timestamp", sec(4624, "LogonType", "2"), fromTimeCreated},
		{"DeviceInfo", "Timestamp", sec(4624, "LogonType", "2"), fromTimeCreated},
		{"DeviceInfo", "Timestamp", sys(1), fromUtcTime},
		{"IdentityLogonEvents", "Timestamp", sec(4768, "Status", "0x0"), fromTimeCreated},
		{"IdentityQueryEvents", "Timestamp", sec(4661, "ObjectServer", "Security Account Manager", "ObjectType", "SAM_USER", "ObjectName", "S-1-5-21-1-2-3-500"), fromTimeCreated},
		{"IdentityQueryEvents", "Timestamp", other("Directory Service", "Microsoft-Windows-ActiveDirectory_DomainService", 1644, 1, tc, "Data", "DC=corp,DC=local", "Data", "(objectClass=user)", "Data", "subtree"), fromTimeCreated},
		{"DeviceFileCertificateInfo", "Timestamp", sys(7, "ImageLoaded", `C:\x.dll`, "Signed", "true"), fromUtcTime},
		{"SecurityEvent", "TimeGenerated", sec(4624), fromTimeCreated},
		{"Event", "TimeGenerated", other("System", "Service Control Manager", 7045, 1, tc), fromTimeCreated},
		{"Event", "TimeGenerated", sys(1), fromUtcTime},
		{"imProcessCreate", "TimeGenerated", sys(1), fromUtcTime},
		{"imProcessCreate", "TimeGenerated", sec(4688, "NewProcessName", `C:\a.exe`), fromTimeCreated},
		{"imNetworkSession", "TimeGenerated", sys(3, "Initiated", "true"), fromUtcTime},
		{"imNetworkSession", "TimeGenerated", sec(5156, "Direction", "%%14593"), fromTimeCreated},
		{"imFileEvent", "TimeGenerated", sys(11, "TargetFilename", `C:\x`), fromUtcTime},
		{"imRegistry", "TimeGenerated", sys(13, "EventType", "SetValue", "TargetObject", `HKLM\x`), fromUtcTime},
		{"imRegistry", "TimeGenerated", sec(4657, "ObjectName", `\REGISTRY\MACHINE\x`, "OperationType", "%%1905"), fromTimeCreated},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.table] = true
		t.Run(tt.table+"/"+tt.ev.Channel+"/"+strconv.Itoa(int(tt.ev.EventID)), func(t *testing.T) {
			want := tc
			if tt.source == fromUtcTime {
				want = tu
			}
			got := rowMap(t, build(t, []string{tt.table}, tt.ev), tt.table, 0)[tt.column]
			if got != want {
				t.Errorf("%s = %v, want %v (%s)", tt.column, got, want, tt.source)
			}
		})
	}
	for _, info := range Default().Tables() {
		if !covered[info.Name] && !info.NoSource {
			t.Errorf("table %s: no statement of its time source", info.Name)
		}
	}
}
