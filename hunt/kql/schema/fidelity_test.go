package schema

import (
	"testing"
	"time"
)

// TestSysmonTimestampIsUtcTime: a Sysmon 1 whose record time is two hours
// off (an export that wrote TimeCreated as local time) gives
// DeviceProcessEvents the Timestamp of its UtcTime, as schema_map.tsv
// says, and so agrees with its own ProcessCreationTime.
func TestSysmonTimestampIsUtcTime(t *testing.T) {
	utc := time.Date(2024, 5, 1, 8, 30, 15, 250e6, time.UTC)
	ev := proc1(7, utc.Add(2*time.Hour), "{AAAA0000-1111-2222-3333-444455556666}", `C:\Windows\System32\cmd.exe`,
		"{BBBB0000-1111-2222-3333-444455556666}", `C:\Windows\explorer.exe`)
	ev.Set("UtcTime", "2024-05-01 08:30:15.250")
	got := rowMap(t, build(t, []string{"DeviceProcessEvents"}, ev), "DeviceProcessEvents", 0)
	for _, col := range []string{"Timestamp", "TimeGenerated", "ProcessCreationTime"} {
		if got[col] != utc {
			t.Errorf("%s = %v, want %v (UtcTime)", col, got[col], utc)
		}
	}
}

// TestSecurity4688AccountIsSysmons: a service process created by the
// machine account in SYSTEM's logon session (0x3e7), with no target
// account, runs as NT AUTHORITY\SYSTEM: the account Sysmon 1 names and
// Sigma's 4688 User gives (winevent.NewProcessAccount).
func TestSecurity4688AccountIsSysmons(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	ev := security(4688, 9, t0, "SubjectUserSid", "S-1-5-18", "SubjectUserName", "WS01$", "SubjectDomainName", "WORKGROUP",
		"SubjectLogonId", "0x3e7", "NewProcessId", "0x1f4", "NewProcessName", `C:\Windows\System32\svchost.exe`,
		"TokenElevationType", "%%1936", "ProcessId", "0x270", "CommandLine", "svchost.exe -k netsvcs",
		"TargetUserSid", "S-1-0-0", "TargetUserName", "-", "TargetDomainName", "-", "TargetLogonId", "0x0",
		"ParentProcessName", `C:\Windows\System32\services.exe`, "MandatoryLabel", "S-1-16-16384")
	got := rowMap(t, build(t, []string{"DeviceProcessEvents"}, ev), "DeviceProcessEvents", 0)
	want := map[string]any{"AccountDomain": "NT AUTHORITY", "AccountName": "SYSTEM", "AccountSid": "S-1-5-18",
		"LogonId": int64(0x3e7), "InitiatingProcessAccountName": "WS01$"}
	for col, w := range want {
		if got[col] != w {
			t.Errorf("%s = %#v, want %#v", col, got[col], w)
		}
	}
}
